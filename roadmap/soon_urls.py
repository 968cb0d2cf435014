"""The Soon kit across every product, for sales, marketing and support."""

from __future__ import annotations

from django.urls import path

from roadmap.views import soon

app_name = "soon"

urlpatterns = [
    path("", soon.all_soon, name="all"),
    path("seen/", soon.all_soon_seen, name="seen"),
]
