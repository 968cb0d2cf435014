from __future__ import annotations

from django.urls import path, register_converter

from roadmap.views import (
    assumptions,
    board,
    cards,
    done,
    exchange,
    history,
    line_of_sight,
    panel,
    present,
    prioritise,
    release,
    reviews,
    sharing,
    snapshots,
    soon,
    start,
    teams,
)


class CardKindConverter:
    regex = "outcome|challenge|success_metric|feature"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CardKindConverter, "kind")


class SoonItemKindConverter(CardKindConverter):
    """The cards a customer may ask for."""

    regex = "outcome|feature"


register_converter(SoonItemKindConverter, "item")

app_name = "roadmap"

urlpatterns = [
    path("roadmap/", board.board, name="board"),
    path("roadmap/revision/", board.board_revision, name="board_revision"),
    path("roadmap/start/", start.guided_start, name="guided_start"),
    path(
        "roadmap/cells/<kind:kind>/<str:horizon>/",
        board.cell_cards,
        name="cell_cards",
    ),
    path("roadmap/deleted/", panel.deleted_cards, name="deleted_cards"),
    path("roadmap/<kind:kind>/new/", cards.card_create, name="card_create"),
    path("roadmap/<kind:kind>/<int:pk>/", cards.card_detail, name="card_detail"),
    path("roadmap/<kind:kind>/<int:pk>/menu/", cards.card_menu, name="card_menu"),
    path("roadmap/<kind:kind>/<int:pk>/edit/", cards.card_edit, name="card_edit"),
    path("roadmap/<kind:kind>/<int:pk>/move/", cards.card_move, name="card_move"),
    path("roadmap/<kind:kind>/<int:pk>/delete/", cards.card_delete, name="card_delete"),
    path(
        "roadmap/<kind:kind>/<int:pk>/restore/",
        cards.card_restore,
        name="card_restore",
    ),
    path("roadmap/<kind:kind>/<int:pk>/link/", cards.card_link, name="card_link"),
    path("roadmap/outcome/<int:pk>/panel/", panel.outcome_panel, name="outcome_panel"),
    path(
        "roadmap/outcome/<int:pk>/insights/",
        panel.outcome_insights,
        name="outcome_insights",
    ),
    path(
        "roadmap/outcome/<int:pk>/move-linked/",
        cards.outcome_move_linked,
        name="outcome_move_linked",
    ),
    path(
        "roadmap/outcome/<int:pk>/dependencies/new/",
        panel.dependency_create,
        name="dependency_create",
    ),
    path(
        "roadmap/outcome/<int:pk>/dependencies/<int:dependency_pk>/delete/",
        panel.dependency_delete,
        name="dependency_delete",
    ),
    path("roadmap/outcome/<int:pk>/close/", done.outcome_close, name="outcome_close"),
    path(
        "roadmap/outcome/<int:pk>/reopen/", done.outcome_reopen, name="outcome_reopen"
    ),
    path("done/", done.done, name="done"),
    path("reviews/", reviews.review_list, name="review_list"),
    path("reviews/start/", reviews.review_start, name="review_start"),
    path("reviews/cadence/", reviews.review_cadence, name="review_cadence"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", reviews.review_edit, name="review_edit"),
    path("reviews/<int:pk>/close/", reviews.review_close, name="review_close"),
    path(
        "roadmap/feature/<int:pk>/release/",
        release.feature_release,
        name="feature_release",
    ),
    path("prioritise/", prioritise.prioritise, name="prioritise"),
    path(
        "prioritise/settings/",
        prioritise.prioritise_settings,
        name="prioritise_settings",
    ),
    path(
        "prioritise/<item:kind>/<int:pk>/",
        prioritise.estimate_save,
        name="estimate_save",
    ),
    path(
        "roadmap/challenge/<int:pk>/assumption/",
        assumptions.assumption,
        name="assumption",
    ),
    path(
        "roadmap/challenge/<int:pk>/assumption/edit/",
        assumptions.assumption_update,
        name="assumption_update",
    ),
    path(
        "roadmap/challenge/<int:pk>/assumption/evidence/",
        assumptions.evidence_add,
        name="evidence_add",
    ),
    path(
        "roadmap/challenge/<int:pk>/assumption/settings/",
        assumptions.assumption_settings,
        name="assumption_settings",
    ),
    path("teams/", teams.teams, name="teams"),
    path("teams/new/", teams.team_add, name="team_add"),
    path("teams/<int:pk>/rename/", teams.team_rename, name="team_rename"),
    path("teams/<int:pk>/capacity/", teams.team_capacity, name="team_capacity"),
    path("dependencies/", teams.dependencies, name="dependencies"),
    path("dependencies/new/", teams.dependency_add, name="dependency_add"),
    path(
        "dependencies/<int:pk>/edit/",
        teams.dependency_edit,
        name="dependency_edit",
    ),
    path("line-of-sight/", line_of_sight.line_of_sight, name="line_of_sight"),
    path("present/", present.present, name="present"),
    path("soon/", soon.product_soon, name="soon"),
    path("soon/seen/", soon.product_soon_seen, name="soon_seen"),
    path(
        "soon/<item:kind>/<int:pk>/request/",
        soon.customer_request,
        name="customer_request",
    ),
    path("share/", sharing.share_links, name="share_links"),
    path(
        "share/<int:pk>/revoke/",
        sharing.share_link_revoke,
        name="share_link_revoke",
    ),
    path("history/", history.product_history, name="history"),
    path(
        "history/<int:pk>/reason/",
        history.history_reason,
        name="history_reason",
    ),
    path("snapshots/", snapshots.snapshot_list, name="snapshots"),
    path("snapshots/<int:pk>/", snapshots.snapshot_detail, name="snapshot"),
    path("compare/", snapshots.compare_view, name="compare"),
    path("compare/latest/", snapshots.compare_latest, name="compare_latest"),
    path("compare/digest/", snapshots.compare_digest, name="compare_digest"),
    path("plan/export/", exchange.plan_export, name="plan_export"),
    path("plan/import/", exchange.plan_import_page, name="plan_import"),
    path(
        "alignment/",
        line_of_sight.line_of_sight_redirect,
        name="line_of_sight_redirect",
    ),
]
