"""Every write endpoint of the board: happy path, invalid input, refusals, stale versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import KeyResult
from roadmap.models import (
    Challenge,
    Feature,
    Outcome,
    SuccessMetric,
    TeamDependency,
)
from roadmap.services import as_json
from strategy.models import HistoryEntry, Product
from tests.metrics.factories import MetricFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    InsightFactory,
    OutcomeFactory,
    SuccessMetricFactory,
    TeamDependencyFactory,
    TeamFactory,
)
from tests.strategy.factories import GoalFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def url(product, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, *args])


def revision(product) -> int:
    return Product.objects.get(pk=product.pk).revision


@pytest.fixture
def outcome(product):
    return OutcomeFactory(
        roadmap=product.roadmap, title="Visitors see value", horizon="current"
    )


@pytest.fixture
def feature(product, outcome):
    return FeatureFactory(
        roadmap=product.roadmap, title="Style quiz", outcome=outcome, horizon="current"
    )


# Adding ----------------------------------------------------------------------


def test_card_create_form_is_served_for_a_cell(editor_client, product):
    response = editor_client.get(
        url(product, "card_create", "feature") + "?horizon=soon", headers=HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="horizon" value="soon"' in content
    assert 'name="title"' in content
    assert 'name="outcome"' in content


def test_card_create_adds_a_feature_at_the_end_of_its_cell(
    editor_client, editor, product, outcome, feature
):
    """A new card lands last in its cell, is recorded and bumps the revision."""
    before = revision(product)

    response = editor_client.post(
        url(product, "card_create", "feature"),
        {"title": "Outfit of the day", "outcome": outcome.pk, "horizon": "current"},
        headers=HTMX,
    )

    created = Feature.objects.get(title="Outfit of the day")
    content = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert 'id="cell-feature-current"' in content
    assert content.count('hx-swap-oob="true"') >= 2  # the cell and the counter
    assert "Outfit of the day" in content
    assert created.outcome == outcome
    assert created.position > feature.position
    assert revision(product) == before + 1
    entry = HistoryEntry.objects.get(item_id=created.pk, item_kind="feature")
    assert entry.action == HistoryEntry.Action.CREATED
    assert entry.actor == editor


def test_card_create_outcome_with_goal(editor_client, product):
    goal = GoalFactory(product=product, title="Grow signups")

    editor_client.post(
        url(product, "card_create", "outcome"),
        {"title": "Visitors return", "goal": goal.pk, "horizon": "future"},
        headers=HTMX,
    )

    outcome = Outcome.objects.get(title="Visitors return")
    assert outcome.goal == goal
    assert outcome.horizon == "future"


def test_card_create_key_result_card_creates_the_key_result(
    editor_client, product, outcome
):
    """A success-metric card creates its key result through the metrics form."""
    metric = MetricFactory(product=product, name="weekly signups")

    editor_client.post(
        url(product, "card_create", "success_metric"),
        {
            "horizon": "soon",
            "outcome": outcome.pk,
            "metric": metric.pk,
            "baseline": "100",
            "target": "500",
            "start_date": "2026-07-01",
            "due_date": "2027-06-30",
        },
        headers=HTMX,
    )

    card = SuccessMetric.objects.get()
    assert card.outcome == outcome
    assert card.horizon == "soon"
    assert card.key_result.target == Decimal("500")


def test_card_create_key_result_without_metrics_offers_a_new_metric(
    editor_client, product
):
    response = editor_client.get(
        url(product, "card_create", "success_metric") + "?horizon=current", headers=HTMX
    )

    content = response.content.decode()
    assert 'name="new_metric-name"' in content
    assert 'name="baseline"' in content


def test_card_create_invalid_shows_error_and_keeps_input(
    editor_client, product, outcome
):
    """A blank title is refused beside the field; the chosen outcome stays selected."""
    before = revision(product)

    response = editor_client.post(
        url(product, "card_create", "feature"),
        {"title": "  ", "outcome": outcome.pk, "horizon": "soon"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "has-error" in content
    assert "This field is required." in content
    assert f'<option value="{outcome.pk}" selected>' in content
    assert 'name="horizon" value="soon"' in content
    assert not Feature.objects.exists()
    assert revision(product) == before


def test_card_create_key_result_invalid_dates_saves_nothing(editor_client, product):
    metric = MetricFactory(product=product)

    response = editor_client.post(
        url(product, "card_create", "success_metric"),
        {
            "horizon": "soon",
            "metric": metric.pk,
            "baseline": "100",
            "target": "500",
            "start_date": "2027-07-01",
            "due_date": "2026-06-30",
        },
        headers=HTMX,
    )

    assert "Must be on or after the start date." in response.content.decode()
    assert not KeyResult.objects.exists()
    assert not SuccessMetric.objects.exists()


def test_card_create_unknown_horizon_is_refused(editor_client, product):
    response = editor_client.post(
        url(product, "card_create", "outcome"),
        {"title": "X", "horizon": "someday"},
        headers=HTMX,
    )

    assert response.status_code == 400
    assert not Outcome.objects.exists()


# Editing ---------------------------------------------------------------------


def test_card_edit_form_carries_the_version(editor_client, product, outcome):
    response = editor_client.get(
        url(product, "card_edit", "outcome", outcome.pk), headers=HTMX
    )

    content = response.content.decode()
    assert f'name="version" value="{outcome.version}"' in content
    assert 'value="Visitors see value"' in content


def test_card_edit_saves_and_records_from_and_to(
    editor_client, editor, product, outcome
):
    """A save bumps the card's version and records each changed field."""
    team = TeamFactory(name="Growth")

    response = editor_client.post(
        url(product, "card_edit", "outcome", outcome.pk),
        {
            "version": outcome.version,
            "title": "Visitors love it",
            "description": "",
            "goal": outcome.goal_id,
            "status": "active",
            "confidence": "high",
            "category": "growth",
            "teams": [team.pk],
        },
        headers=HTMX,
    )

    outcome.refresh_from_db()
    assert response.status_code == 200
    assert "Visitors love it" in response.content.decode()
    assert outcome.title == "Visitors love it"
    assert outcome.version == 2
    assert list(outcome.teams.all()) == [team]
    title = HistoryEntry.objects.get(item_id=outcome.pk, field="title")
    assert (title.before, title.after, title.actor) == (
        "Visitors see value",
        "Visitors love it",
        editor,
    )
    teams = HistoryEntry.objects.get(item_id=outcome.pk, field="teams")
    assert teams.action == HistoryEntry.Action.LINKED
    assert teams.after == [{"id": team.pk, "label": "Growth"}]


def test_card_edit_sets_the_customer_safe_summary_of_a_feature(
    editor_client, product, outcome
):
    feature = FeatureFactory(roadmap=product.roadmap, outcome=outcome)

    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {
            "version": feature.version,
            "title": feature.title,
            "stage": "idea",
            "outcome": outcome.pk,
            "customer_summary": "Your first outfit in a minute.",
            "is_customer_visible": "on",
        },
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert feature.customer_summary == "Your first outfit in a minute."
    assert feature.is_customer_visible
    entry = HistoryEntry.objects.get(item_id=feature.pk, field="is_customer_visible")
    assert (entry.before, entry.after) == (False, True)


def test_card_edit_links_a_feature_to_an_outcome(editor_client, product, outcome):
    feature = FeatureFactory(roadmap=product.roadmap, outcome=None)

    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {
            "version": feature.version,
            "title": feature.title,
            "stage": "idea",
            "outcome": outcome.pk,
        },
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert feature.outcome == outcome
    entry = HistoryEntry.objects.get(item_id=feature.pk, field="outcome")
    assert entry.action == HistoryEntry.Action.LINKED
    assert entry.after == {"id": outcome.pk, "label": outcome.title}


def test_card_edit_key_result_card(editor_client, product, outcome):
    card = SuccessMetricFactory(roadmap=product.roadmap)
    kr = card.key_result

    editor_client.post(
        url(product, "card_edit", "success_metric", card.pk),
        {
            "version": card.version,
            "kr_version": kr.version,
            "outcome": outcome.pk,
            "metric": kr.metric_id,
            "baseline": "100",
            "target": "900",
            "start_date": "2026-07-01",
            "due_date": "2027-06-30",
        },
        headers=HTMX,
    )

    kr.refresh_from_db()
    card.refresh_from_db()
    assert kr.target == Decimal("900")
    assert card.outcome == outcome
    # The key result's own history keeps the change, under its own reference.
    assert HistoryEntry.objects.filter(
        item_kind="key_result", item_id=kr.pk, field="target"
    ).exists()


def test_card_edit_refuses_to_overwrite_a_key_result_changed_on_its_own_page(
    editor_client, product, outcome
):
    """The card is unchanged, but its key result was saved elsewhere since."""
    card = SuccessMetricFactory(roadmap=product.roadmap)
    kr = card.key_result
    KeyResult.objects.filter(pk=kr.pk).update(target=Decimal("700"), version=2)

    response = editor_client.post(
        url(product, "card_edit", "success_metric", card.pk),
        {
            "version": card.version,
            "kr_version": 1,
            "outcome": outcome.pk,
            "metric": kr.metric_id,
            "baseline": "100",
            "target": "500",
            "start_date": "2026-07-01",
            "due_date": "2027-06-30",
        },
        headers=HTMX,
    )

    kr.refresh_from_db()
    card.refresh_from_db()
    assert response.status_code == 409
    assert 'name="kr_version" value="2"' in response.content.decode()
    assert kr.target == Decimal("700")
    assert card.outcome != outcome


def test_card_edit_invalid_keeps_everything_typed(editor_client, product, outcome):
    """A blank title is refused; the other fields keep what was typed."""
    response = editor_client.post(
        url(product, "card_edit", "outcome", outcome.pk),
        {
            "version": outcome.version,
            "title": "",
            "description": "Typed text that must survive",
            "status": "active",
            "confidence": "low",
            "category": "growth",
        },
        headers=HTMX,
    )

    content = response.content.decode()
    outcome.refresh_from_db()
    assert response.status_code == 200
    assert "This field is required." in content
    assert "Typed text that must survive" in content
    assert '<option value="low" selected>' in content
    assert outcome.title == "Visitors see value"
    assert outcome.version == 1
    assert not HistoryEntry.objects.exists()


def test_card_edit_without_version_is_refused(editor_client, product, outcome):
    response = editor_client.post(
        url(product, "card_edit", "outcome", outcome.pk),
        {
            "title": "No version",
            "status": "active",
            "confidence": "low",
            "category": "growth",
        },
        headers=HTMX,
    )

    outcome.refresh_from_db()
    assert response.status_code == 400
    assert outcome.title == "Visitors see value"


def test_card_edit_stale_version_shows_both_versions(editor_client, product, outcome):
    """Someone saved first: 409, their values beside mine, nothing overwritten."""
    Outcome.objects.filter(pk=outcome.pk).update(title="Their title", version=2)

    response = editor_client.post(
        url(product, "card_edit", "outcome", outcome.pk),
        {
            "version": 1,
            "title": "My title",
            "status": "proposed",
            "confidence": "medium",
            "category": "growth",
        },
        headers=HTMX,
    )

    content = response.content.decode()
    outcome.refresh_from_db()
    assert response.status_code == 409
    assert "Their title" in content
    assert "My title" in content
    assert 'name="version" value="2"' in content  # "Keep mine" overwrites knowingly
    assert response["HX-Retarget"] == f"#outcome-{outcome.pk}"
    assert outcome.title == "Their title"


def test_card_edit_keep_mine_after_a_conflict_saves(editor_client, product, outcome):
    Outcome.objects.filter(pk=outcome.pk).update(title="Their title", version=2)

    editor_client.post(
        url(product, "card_edit", "outcome", outcome.pk),
        {
            "version": 2,
            "title": "My title",
            "status": "proposed",
            "confidence": "medium",
            "category": "growth",
        },
        headers=HTMX,
    )

    outcome.refresh_from_db()
    assert outcome.title == "My title"
    assert outcome.version == 3


def test_card_edit_of_a_card_deleted_meanwhile_is_a_conflict(
    editor_client, product, outcome
):
    Outcome.objects.filter(pk=outcome.pk).update(deleted_at=timezone.now(), version=2)

    response = editor_client.post(
        url(product, "card_edit", "outcome", outcome.pk),
        {
            "version": 1,
            "title": "Mine",
            "status": "proposed",
            "confidence": "medium",
            "category": "growth",
        },
        headers=HTMX,
    )

    assert response.status_code == 409
    assert "deleted this card" in response.content.decode()


def test_card_detail_renders_the_card(editor_client, product, outcome):
    response = editor_client.get(
        url(product, "card_detail", "outcome", outcome.pk), headers=HTMX
    )

    assert f'id="outcome-{outcome.pk}"' in response.content.decode()


def test_card_of_another_product_is_not_found(editor_client, product):
    other = OutcomeFactory()

    response = editor_client.get(
        url(product, "card_edit", "outcome", other.pk), headers=HTMX
    )

    assert response.status_code == 404


# Moving ----------------------------------------------------------------------


def test_card_move_to_another_horizon_before_a_card(
    editor_client, editor, product, feature
):
    """Dropping a card before another puts it exactly there and renumbers the cell."""
    FeatureFactory(roadmap=product.roadmap, horizon="soon", title="First")
    second = FeatureFactory(roadmap=product.roadmap, horizon="soon", title="Second")

    response = editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": feature.version, "horizon": "soon", "before": second.pk},
        headers=HTMX,
    )

    order = list(
        Feature.objects.filter(horizon="soon")
        .order_by("position")
        .values_list("title", flat=True)
    )
    feature.refresh_from_db()
    assert response.status_code == 200
    assert order == ["First", "Style quiz", "Second"]
    assert feature.version == 2
    entry = HistoryEntry.objects.get(item_id=feature.pk, action="moved")
    assert (entry.field, entry.before, entry.after, entry.actor) == (
        "horizon",
        "current",
        "soon",
        editor,
    )


@pytest.mark.parametrize(
    ("direction", "expected"), [("up", ["B", "A", "C"]), ("down", ["A", "C", "B"])]
)
def test_card_move_up_and_down_within_its_cell(
    editor_client, product, direction, expected
):
    """The keyboard menu moves a card one place up or down."""
    cards = {
        t: FeatureFactory(roadmap=product.roadmap, horizon="future", title=t)
        for t in "ABC"
    }

    editor_client.post(
        url(product, "card_move", "feature", cards["B"].pk),
        {"version": 1, "direction": direction},
        headers=HTMX,
    )

    order = list(
        Feature.objects.filter(horizon="future")
        .order_by("position")
        .values_list("title", flat=True)
    )
    assert order == expected


def test_card_move_outcome_offers_to_move_its_linked_cards(
    editor_client, product, outcome, feature
):
    ChallengeFactory(roadmap=product.roadmap, outcome=outcome, horizon="current")

    response = editor_client.post(
        url(product, "card_move", "outcome", outcome.pk),
        {"version": outcome.version, "horizon": "soon"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert "Move its 2 linked cards" in content
    assert url(product, "outcome_move_linked", outcome.pk) in content


def test_outcome_move_linked_moves_challenges_key_results_and_features(
    editor_client, product, outcome, feature
):
    challenge = ChallengeFactory(
        roadmap=product.roadmap, outcome=outcome, horizon="current"
    )
    metric = SuccessMetricFactory(
        roadmap=product.roadmap, outcome=outcome, horizon="future"
    )
    Outcome.objects.filter(pk=outcome.pk).update(horizon="soon", version=2)

    response = editor_client.post(
        url(product, "outcome_move_linked", outcome.pk), {"version": 2}, headers=HTMX
    )

    assert response.status_code == 200
    for card in (challenge, metric, feature):
        card.refresh_from_db()
        assert card.horizon == "soon"
    assert HistoryEntry.objects.filter(action="moved").count() == 3


def test_outcome_move_linked_stale_version_is_refused(
    editor_client, product, outcome, feature
):
    response = editor_client.post(
        url(product, "outcome_move_linked", outcome.pk), {"version": 7}, headers=HTMX
    )

    feature.refresh_from_db()
    assert response.status_code == 409
    assert feature.horizon == "current"


def test_card_move_invalid_input_is_refused(editor_client, product, feature):
    response = editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": feature.version, "horizon": "someday"},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert response.status_code == 400
    assert "not moved" in response.content.decode()
    assert feature.horizon == "current"
    assert feature.version == 1


def test_card_move_stale_version_is_refused(editor_client, product, feature):
    Feature.objects.filter(pk=feature.pk).update(version=5)

    response = editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": 1, "horizon": "future"},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert response.status_code == 409
    assert "Someone changed this card" in response.content.decode()
    assert feature.horizon == "current"
    assert not HistoryEntry.objects.exists()


# Deleting and undoing ------------------------------------------------------------


def test_card_delete_soft_deletes_and_offers_undo(editor_client, product, feature):
    response = editor_client.post(
        url(product, "card_delete", "feature", feature.pk),
        {"version": feature.version},
        headers=HTMX,
    )

    feature.refresh_from_db()
    content = response.content.decode()
    assert response.status_code == 200
    assert feature.is_deleted
    assert "Undo" in content
    assert url(product, "card_restore", "feature", feature.pk) in content
    assert 'data-timeout="12000"' in content
    assert HistoryEntry.objects.filter(item_id=feature.pk, action="deleted").exists()


def test_card_restore_undoes_a_delete_exactly(editor_client, product, outcome, feature):
    """Undo brings the card back with the same place, links and content."""
    FeatureFactory(roadmap=product.roadmap, horizon="current", title="After")
    team = TeamFactory(name="Growth")
    Feature.objects.filter(pk=feature.pk).update(team=team, stage="building")
    feature.refresh_from_db()
    snapshot = {
        f: getattr(feature, f)
        for f in ("title", "horizon", "position", "outcome_id", "team_id", "stage")
    }
    editor_client.post(
        url(product, "card_delete", "feature", feature.pk), {"version": 1}, headers=HTMX
    )

    response = editor_client.post(
        url(product, "card_restore", "feature", feature.pk),
        {"version": 2},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert response.status_code == 200
    assert not feature.is_deleted
    assert {f: getattr(feature, f) for f in snapshot} == snapshot
    board = editor_client.get(
        reverse("roadmap:board", args=[product.slug])
    ).content.decode()
    assert board.index("Style quiz") < board.index("After")
    assert HistoryEntry.objects.filter(item_id=feature.pk, action="restored").exists()


def test_card_restore_of_a_live_card_is_a_conflict(editor_client, product, feature):
    response = editor_client.post(
        url(product, "card_restore", "feature", feature.pk),
        {"version": 1},
        headers=HTMX,
    )

    assert response.status_code == 409


def test_card_delete_stale_version_is_refused(editor_client, product, feature):
    Feature.objects.filter(pk=feature.pk).update(version=3)

    response = editor_client.post(
        url(product, "card_delete", "feature", feature.pk), {"version": 2}, headers=HTMX
    )

    feature.refresh_from_db()
    assert response.status_code == 409
    assert not feature.is_deleted


def test_card_delete_without_version_is_refused(editor_client, product, feature):
    response = editor_client.post(
        url(product, "card_delete", "feature", feature.pk), {}, headers=HTMX
    )

    feature.refresh_from_db()
    assert response.status_code == 400
    assert not feature.is_deleted


def test_deleted_cards_lists_them_with_restore(editor_client, product, feature):
    Feature.objects.filter(pk=feature.pk).update(deleted_at=timezone.now(), version=2)

    response = editor_client.get(url(product, "deleted_cards"), headers=HTMX)

    content = response.content.decode()
    assert "Style quiz" in content
    assert url(product, "card_restore", "feature", feature.pk) in content


def test_deleted_cards_viewer_sees_no_restore_button(viewer_client, product, feature):
    Feature.objects.filter(pk=feature.pk).update(deleted_at=timezone.now())

    response = viewer_client.get(url(product, "deleted_cards"), headers=HTMX)

    content = response.content.decode()
    assert "Style quiz" in content
    assert "/restore/" not in content


# Linking ----------------------------------------------------------------------


def test_card_link_unlinks_a_feature_and_answers_with_the_panel(
    editor_client, product, outcome, feature
):
    response = editor_client.post(
        url(product, "card_link", "feature", feature.pk),
        {"version": feature.version, "outcome": ""},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert response.status_code == 200
    assert feature.outcome is None
    assert "Visitors see value" in response.content.decode()
    assert (
        HistoryEntry.objects.get(item_id=feature.pk).action
        == HistoryEntry.Action.UNLINKED
    )


def test_card_link_to_an_outcome_of_another_roadmap_is_refused(
    editor_client, product, feature
):
    foreign = OutcomeFactory()

    response = editor_client.post(
        url(product, "card_link", "feature", feature.pk),
        {"version": feature.version, "outcome": foreign.pk},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert response.status_code == 400
    assert feature.outcome_id != foreign.pk


def test_card_link_stale_version_is_refused(editor_client, product, feature):
    response = editor_client.post(
        url(product, "card_link", "feature", feature.pk),
        {"version": 9, "outcome": ""},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert response.status_code == 409
    assert feature.outcome is not None


# Side panel and dependencies ------------------------------------------------


def test_outcome_panel_shows_the_full_line_of_sight(
    viewer_client, product, outcome, feature
):
    """Description, goal, key results, features, challenges, dependencies, insights."""
    Outcome.objects.filter(pk=outcome.pk).update(description="Why it matters")
    ChallengeFactory(roadmap=product.roadmap, outcome=outcome, title="Cold start")
    SuccessMetricFactory(roadmap=product.roadmap, outcome=outcome)
    TeamDependencyFactory(
        outcome=outcome, team=TeamFactory(name="Data"), description="Needs the API"
    )
    InsightFactory(product=product, outcome=outcome, text="Customers love quizzes")

    response = viewer_client.get(
        url(product, "outcome_panel", outcome.pk), headers=HTMX
    )

    content = response.content.decode()
    for text in (
        "Why it matters",
        outcome.goal.title,
        "Increase",
        "Style quiz",
        "Cold start",
        "Needs the API",
        "Customers love quizzes",
    ):
        assert text in content
    assert "Add dependency" not in content
    assert "for this outcome" not in content


def test_outcome_panel_offers_editors_to_add_cards_for_the_outcome(
    editor_client, product, outcome
):
    response = editor_client.get(
        url(product, "outcome_panel", outcome.pk), headers=HTMX
    )

    content = response.content.decode()
    for kind in ("success_metric", "feature", "challenge"):
        add_url = url(product, "card_create", kind)
        assert (
            f"{add_url}?horizon={outcome.horizon}&amp;outcome={outcome.pk}" in content
        )


def test_add_form_opened_from_an_outcome_has_the_outcome_chosen(
    editor_client, product, outcome
):
    response = editor_client.get(
        url(product, "card_create", "feature"),
        {"horizon": "soon", "outcome": outcome.pk},
        headers=HTMX,
    )

    content = response.content.decode()
    assert f'<option value="{outcome.pk}" selected>' in content


def test_dependency_create_adds_a_team_dependency(editor_client, product, outcome):
    team = TeamFactory(name="Data")

    response = editor_client.post(
        url(product, "dependency_create", outcome.pk),
        {
            "version": outcome.version,
            "team": team.pk,
            "description": "Needs events",
            "status": "needed",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Needs events" in response.content.decode()
    assert TeamDependency.objects.get().team == team
    assert (
        HistoryEntry.objects.get(field="dependencies").action
        == HistoryEntry.Action.LINKED
    )


def test_dependency_create_invalid_shows_error(editor_client, product, outcome):
    response = editor_client.post(
        url(product, "dependency_create", outcome.pk),
        {
            "version": outcome.version,
            "team": "",
            "description": "Keep me",
            "status": "needed",
        },
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in content
    assert "Keep me" in content
    assert not TeamDependency.objects.exists()


def test_dependency_create_stale_version_is_refused(editor_client, product, outcome):
    response = editor_client.post(
        url(product, "dependency_create", outcome.pk),
        {"version": 4, "team": TeamFactory().pk, "status": "needed"},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert not TeamDependency.objects.exists()


def test_dependency_delete_removes_it(editor_client, product, outcome):
    dependency = TeamDependencyFactory(outcome=outcome)

    response = editor_client.post(
        url(product, "dependency_delete", outcome.pk, dependency.pk),
        {"version": outcome.version},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert not TeamDependency.objects.exists()
    assert (
        HistoryEntry.objects.get(field="dependencies").action
        == HistoryEntry.Action.UNLINKED
    )


def test_dependency_delete_stale_version_is_refused(editor_client, product, outcome):
    dependency = TeamDependencyFactory(outcome=outcome)

    response = editor_client.post(
        url(product, "dependency_delete", outcome.pk, dependency.pk),
        {"version": 3},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert TeamDependency.objects.filter(pk=dependency.pk).exists()


# Keeping current ---------------------------------------------------------------


def test_board_revision_answers_304_while_nothing_changed(viewer_client, product):
    current = revision(product)

    response = viewer_client.get(
        url(product, "board_revision"), headers={"If-None-Match": f'"{current}"'}
    )

    assert response.status_code == 304


def test_board_revision_reports_a_change(viewer_client, product, outcome):
    current = revision(product)
    Product.objects.filter(pk=product.pk).update(revision=current + 1)

    response = viewer_client.get(
        url(product, "board_revision"), headers={"If-None-Match": f'"{current}"'}
    )

    assert response.status_code == 200
    assert response["ETag"] == f'"{current + 1}"'


def test_board_revision_anonymous_is_redirected(client, product):
    response = client.get(url(product, "board_revision"))

    assert response.status_code == 302


# Refusals: viewers get 403, anonymous users the login page, and nothing changes.


def write_requests(product):
    """Every write endpoint with a valid body, as (name, url, data)."""
    roadmap = product.roadmap
    outcome = OutcomeFactory(roadmap=roadmap, horizon="soon")
    feature = FeatureFactory(roadmap=roadmap, outcome=outcome, horizon="current")
    deleted = FeatureFactory(roadmap=roadmap, deleted_at=timezone.now())
    dependency = TeamDependencyFactory(outcome=outcome)
    team = TeamFactory()
    return [
        (
            "create",
            url(product, "card_create", "feature"),
            {"title": "New", "horizon": "soon"},
        ),
        (
            "edit",
            url(product, "card_edit", "feature", feature.pk),
            {"version": 1, "title": "Changed", "stage": "idea"},
        ),
        (
            "move",
            url(product, "card_move", "feature", feature.pk),
            {"version": 1, "horizon": "soon"},
        ),
        ("delete", url(product, "card_delete", "feature", feature.pk), {"version": 1}),
        (
            "restore",
            url(product, "card_restore", "feature", deleted.pk),
            {"version": 1},
        ),
        (
            "link",
            url(product, "card_link", "feature", feature.pk),
            {"version": 1, "outcome": ""},
        ),
        (
            "move_linked",
            url(product, "outcome_move_linked", outcome.pk),
            {"version": 1},
        ),
        (
            "dependency_create",
            url(product, "dependency_create", outcome.pk),
            {"version": 1, "team": team.pk, "status": "needed"},
        ),
        (
            "dependency_delete",
            url(product, "dependency_delete", outcome.pk, dependency.pk),
            {"version": 1},
        ),
    ]


WRITE_NAMES = [
    "create",
    "edit",
    "move",
    "delete",
    "restore",
    "link",
    "move_linked",
    "dependency_create",
    "dependency_delete",
]


@pytest.mark.parametrize("name", WRITE_NAMES)
def test_write_endpoints_refuse_viewers(viewer_client, product, name):
    """A logged-in viewer is refused (403) by every write, and nothing is saved."""
    requests = {n: (u, d) for n, u, d in write_requests(product)}
    before = revision(product)
    path, data = requests[name]

    response = viewer_client.post(path, data, headers=HTMX)

    assert response.status_code == 403
    assert revision(product) == before
    assert not HistoryEntry.objects.exists()


@pytest.mark.parametrize("name", WRITE_NAMES)
def test_write_endpoints_redirect_anonymous_users_to_login(client, product, name):
    requests = {n: (u, d) for n, u, d in write_requests(product)}
    before = revision(product)
    path, data = requests[name]

    response = client.post(path, data, headers=HTMX)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert revision(product) == before


@pytest.mark.parametrize("name", WRITE_NAMES)
def test_write_endpoints_work_for_editors(editor_client, product, name):
    """The same requests succeed for an editor and each records a change entry."""
    requests = {n: (u, d) for n, u, d in write_requests(product)}
    before = revision(product)
    path, data = requests[name]

    response = editor_client.post(path, data, headers=HTMX)

    assert response.status_code == 200
    assert revision(product) == before + 1
    assert HistoryEntry.objects.exists()


@pytest.mark.parametrize("path_name", ["card_create", "card_edit"])
def test_edit_forms_refuse_viewers(viewer_client, product, path_name):
    feature = FeatureFactory(roadmap=product.roadmap)
    args = ("feature",) if path_name == "card_create" else ("feature", feature.pk)

    response = viewer_client.get(url(product, path_name, *args), headers=HTMX)

    assert response.status_code == 403


def test_change_entries_have_who_what_from_to_and_when(
    editor_client, editor, product, feature
):
    editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": 1, "horizon": "future"},
        headers=HTMX,
    )

    entry = HistoryEntry.objects.get()
    assert entry.actor == editor
    assert entry.item_kind == "feature"
    assert entry.item_id == feature.pk
    assert entry.item_title == "Style quiz"
    assert entry.product == product
    assert (entry.before, entry.after) == ("current", "future")
    assert timezone.now() - entry.created_at < dt.timedelta(minutes=1)


@pytest.mark.parametrize("features", [1, 50])
def test_single_card_save_query_count_is_constant(
    editor_client, product, outcome, django_assert_num_queries, features
):
    """A card save costs the same queries whatever the board size.

    Gate (user, product with its members; the session is cached), card with
    its roadmap and its outcome, then the write in a savepoint (revision,
    card, change entry). The outcome it keeps is recognised without a query;
    the form fields already check what model validation would re-check, and
    the saved card is rendered from the values in hand, so nothing is read
    twice.
    """
    for _ in range(features):
        FeatureFactory(roadmap=product.roadmap, outcome=outcome)
    challenge = ChallengeFactory(roadmap=product.roadmap, outcome=outcome)

    with django_assert_num_queries(8):
        editor_client.post(
            url(product, "card_edit", "challenge", challenge.pk),
            {"version": 1, "title": "Renamed", "status": "open", "outcome": outcome.pk},
            headers=HTMX,
        )

    assert Challenge.objects.get(title="Renamed")


def feature_edit(feature, **changes):
    data = {
        "version": feature.version,
        "title": feature.title,
        "stage": feature.stage,
        "team": feature.team_id or "",
        "outcome": feature.outcome_id or "",
        "effort": feature.effort,
        "expected_impact": feature.expected_impact,
    }
    return data | changes


def test_a_save_that_keeps_a_features_team_and_outcome_looks_neither_up(
    editor_client, product, outcome, django_assert_num_queries
):
    feature = FeatureFactory(
        roadmap=product.roadmap, outcome=outcome, team=TeamFactory()
    )
    edit_url = url(product, "card_edit", "feature", feature.pk)

    # As a challenge's save, and the teams its card shows it waits for.
    with django_assert_num_queries(9):
        editor_client.post(
            edit_url, feature_edit(feature, title="Renamed"), headers=HTMX
        )

    feature.refresh_from_db()
    assert (feature.title, feature.outcome, feature.version) == ("Renamed", outcome, 2)


def test_a_feature_moves_to_another_outcome_and_team(editor_client, product, outcome):
    feature = FeatureFactory(
        roadmap=product.roadmap, outcome=outcome, team=TeamFactory()
    )
    other_outcome = OutcomeFactory(roadmap=product.roadmap)
    other_team = TeamFactory()

    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        feature_edit(feature, outcome=other_outcome.pk, team=other_team.pk),
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert (feature.outcome, feature.team) == (other_outcome, other_team)


def test_a_deleted_outcome_is_not_kept_by_saving_its_feature(
    editor_client, product, outcome
):
    """The edit form no longer offers a deleted outcome, even the one linked."""
    feature = FeatureFactory(roadmap=product.roadmap, outcome=outcome)
    Outcome.objects.filter(pk=outcome.pk).update(deleted_at=timezone.now())

    response = editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        feature_edit(feature, title="Renamed"),
        headers=HTMX,
    )

    assert "Select a valid choice" in response.text
    feature.refresh_from_db()
    assert (feature.title, feature.version) != ("Renamed", 2)


def test_a_feature_cannot_take_an_outcome_of_another_roadmap(editor_client, product):
    feature = FeatureFactory(roadmap=product.roadmap)
    elsewhere = OutcomeFactory()

    response = editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        feature_edit(feature, outcome=elsewhere.pk),
        headers=HTMX,
    )

    assert "Select a valid choice" in response.text
    feature.refresh_from_db()
    assert feature.outcome is None


def test_add_form_ignores_an_outcome_that_is_not_an_ascii_number(
    editor_client, product
):
    response = editor_client.get(
        url(product, "card_create", "challenge"),
        {"horizon": "current", "outcome": "²"},
        headers=HTMX,
    )

    assert response.status_code == 200


def test_change_entries_write_decimals_as_people_read_them():
    assert as_json(Decimal("1000.0000")) == "1000"
    assert as_json(Decimal("12.5000")) == "12.5"
