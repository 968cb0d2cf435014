"""The public share link, reached without an account."""

from __future__ import annotations

from django.urls import path

from roadmap.views.sharing import share_page

urlpatterns = [
    path("<str:token>/", share_page, name="share_page"),
]
