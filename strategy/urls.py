from __future__ import annotations

from django.urls import path

from strategy import views

app_name = "strategy"

urlpatterns = [
    path("", views.home, name="home"),
    path("company/", views.company, name="company"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
]
