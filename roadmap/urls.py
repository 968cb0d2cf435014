from __future__ import annotations

from django.urls import path, register_converter

from roadmap.views import board as views
from roadmap.views import line_of_sight


class CardKindConverter:
    regex = "outcome|challenge|metric|feature"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CardKindConverter, "kind")

app_name = "roadmap"

urlpatterns = [
    path("roadmap/", views.board, name="board"),
    path("roadmap/revision/", views.board_revision, name="board_revision"),
    path("roadmap/deleted/", views.deleted_cards, name="deleted_cards"),
    path("roadmap/<kind:kind>/new/", views.card_create, name="card_create"),
    path("roadmap/<kind:kind>/<int:pk>/", views.card_detail, name="card_detail"),
    path("roadmap/<kind:kind>/<int:pk>/edit/", views.card_edit, name="card_edit"),
    path("roadmap/<kind:kind>/<int:pk>/move/", views.card_move, name="card_move"),
    path("roadmap/<kind:kind>/<int:pk>/delete/", views.card_delete, name="card_delete"),
    path(
        "roadmap/<kind:kind>/<int:pk>/restore/",
        views.card_restore,
        name="card_restore",
    ),
    path("roadmap/<kind:kind>/<int:pk>/link/", views.card_link, name="card_link"),
    path("roadmap/outcome/<int:pk>/panel/", views.outcome_panel, name="outcome_panel"),
    path(
        "roadmap/outcome/<int:pk>/move-linked/",
        views.outcome_move_linked,
        name="outcome_move_linked",
    ),
    path(
        "roadmap/outcome/<int:pk>/dependencies/new/",
        views.dependency_create,
        name="dependency_create",
    ),
    path(
        "roadmap/outcome/<int:pk>/dependencies/<int:dependency_pk>/delete/",
        views.dependency_delete,
        name="dependency_delete",
    ),
    path("line-of-sight/", line_of_sight.line_of_sight, name="line_of_sight"),
    path(
        "alignment/",
        line_of_sight.line_of_sight_redirect,
        name="line_of_sight_redirect",
    ),
]
