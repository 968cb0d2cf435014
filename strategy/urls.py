from __future__ import annotations

from django.urls import path

from strategy import views

app_name = "strategy"

urlpatterns = [
    path("", views.home, name="home"),
    path("company/", views.company, name="company"),
    path("company/edit/", views.company_edit, name="company_edit"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path(
        "products/<slug:slug>/settings/",
        views.product_settings,
        name="product_settings",
    ),
    path("products/<slug:slug>/access/", views.product_access, name="product_access"),
    path("products/<slug:slug>/vision/", views.vision_board, name="vision_board"),
    path(
        "products/<slug:slug>/vision/edit/",
        views.vision_board_edit,
        name="vision_board_edit",
    ),
    path("products/<slug:slug>/themes/new/", views.theme_create, name="theme_create"),
    path(
        "products/<slug:slug>/themes/<int:pk>/",
        views.theme_detail,
        name="theme_detail",
    ),
    path(
        "products/<slug:slug>/themes/<int:pk>/edit/",
        views.theme_edit,
        name="theme_edit",
    ),
    path("products/<slug:slug>/goals/new/", views.goal_create, name="goal_create"),
    path(
        "products/<slug:slug>/goals/<int:pk>/",
        views.goal_detail,
        name="goal_detail",
    ),
    path(
        "products/<slug:slug>/goals/<int:pk>/edit/",
        views.goal_edit,
        name="goal_edit",
    ),
    path(
        "products/<slug:slug>/goals/<int:pk>/archive/",
        views.goal_archive,
        name="goal_archive",
    ),
]
