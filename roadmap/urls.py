from __future__ import annotations

from django.urls import path

from roadmap import alignment, views

app_name = "roadmap"

urlpatterns = [
    path("roadmap/", views.board, name="board"),
    path("alignment/", alignment.alignment, name="alignment"),
]
