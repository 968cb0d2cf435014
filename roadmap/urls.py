from __future__ import annotations

from django.urls import path

from roadmap import views

app_name = "roadmap"

urlpatterns = [
    path("roadmap/", views.board, name="board"),
    path("alignment/", views.alignment, name="alignment"),
]
