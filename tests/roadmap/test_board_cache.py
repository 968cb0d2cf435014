"""The cached board grid: served while nothing it shows changed, never stale.

Every test renders the board once (filling the cache), changes one thing the
grid shows by one route, and checks that the next render shows the change.
The changes made outside the board's own services (measurements, goals,
themes, teams, key results, metrics, hard deletes) do not bump the roadmap's
revision, so each of these tests fails if the fingerprint misses its source.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from metrics.models import KeyResult
from metrics.services import MeasurementData, measurements_upsert
from roadmap.models import Horizon
from strategy.services import versioned_update
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    TeamFactory,
)
from tests.roadmap.test_board import HTMX, board_url, build_board, metric_card
from tests.strategy.factories import GoalFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def url(product, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, *args])


def grid(client, product, **params) -> str:
    return client.get(board_url(product), params, headers=HTMX).content.decode()


def cell(html: str, kind: str, horizon: str) -> str:
    """The markup of one cell of the grid."""
    start = html.index(f'data-cell="{kind}-{horizon}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


# Serving from the cache ------------------------------------------------------


@pytest.mark.parametrize("cards", [5, 500])
def test_board_cache_hit_query_count_is_constant(
    editor_client, product, django_assert_num_queries, cards
):
    """An unchanged board is answered from the cache in four queries.

    user (the session is cached), product, editors, roadmap with its
    fingerprint.
    """
    build_board(product.roadmap, cards)
    first = editor_client.get(board_url(product))

    with django_assert_num_queries(4):
        again = editor_client.get(board_url(product))

    # The page around the grid carries a per-request CSRF token.
    grid_part = 'id="board-grid"'
    assert (
        again.content.decode().partition(grid_part)[2]
        == (first.content.decode().partition(grid_part)[2])
    )
    assert again.content.decode().count("data-card ") == cards


@pytest.mark.parametrize("cards", [5, 500])
def test_board_grid_cache_hit_query_count_is_constant(
    editor_client, product, django_assert_num_queries, cards
):
    build_board(product.roadmap, cards)
    first = grid(editor_client, product)

    with django_assert_num_queries(4):
        again = grid(editor_client, product)

    assert again == first


def test_board_cache_keeps_editors_and_viewers_apart(editor_client, viewer, product):
    """A viewer is never served the grid rendered for an editor."""
    OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    editor_html = grid(editor_client, product)
    viewer_client = Client()
    viewer_client.force_login(viewer)

    viewer_html = grid(viewer_client, product)

    assert 'draggable="true"' in editor_html
    assert 'draggable="true"' not in viewer_html
    assert "Faster checkout" in viewer_html


def test_board_cache_keeps_filters_apart(editor_client, product):
    goal = GoalFactory(product=product, title="Grow")
    OutcomeFactory(roadmap=product.roadmap, title="Kept", goal=goal)
    OutcomeFactory(roadmap=product.roadmap, title="Hidden")
    grid(editor_client, product)

    filtered = grid(editor_client, product, goal=goal.pk)

    assert "Kept" in filtered
    assert "Hidden" not in filtered


def test_board_cache_renders_again_on_a_new_day(
    editor_client, product, monkeypatch, django_assert_num_queries
):
    """Progress depends on today's date, so a cached grid lasts one day."""
    metric_card(product.roadmap, values=[100, 150])
    grid(editor_client, product)
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args: dt.date(2030, 1, 1)
    )

    with django_assert_num_queries(8):
        grid(editor_client, product)


# Changes through the board ---------------------------------------------------


def test_board_shows_a_card_edited_on_the_board(editor_client, product):
    challenge = ChallengeFactory(roadmap=product.roadmap, title="Old risk")
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_edit", "challenge", challenge.pk),
        {"version": 1, "title": "New risk", "status": "open", "outcome": ""},
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "New risk" in html
    assert "Old risk" not in html


def test_board_shows_a_card_moved_on_the_board(editor_client, product):
    feature = FeatureFactory(roadmap=product.roadmap, title="Wishlist")
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": 1, "horizon": Horizon.FUTURE},
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "Wishlist" in cell(html, "feature", Horizon.FUTURE)
    assert "Wishlist" not in cell(html, "feature", Horizon.CURRENT)


def test_board_shows_a_card_deleted_and_restored_on_the_board(editor_client, product):
    feature = FeatureFactory(roadmap=product.roadmap, title="Wishlist")
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_delete", "feature", feature.pk),
        {"version": 1},
        headers=HTMX,
    )
    after_delete = grid(editor_client, product)
    editor_client.post(
        url(product, "card_restore", "feature", feature.pk),
        {"version": 2},
        headers=HTMX,
    )
    after_undo = grid(editor_client, product)

    assert "Wishlist" not in after_delete
    assert "Wishlist" in after_undo


def test_board_saved_card_matches_the_card_the_board_renders(editor_client, product):
    """A save answers with the card from the values in hand, as the board shows it."""
    team = TeamFactory(name="Checkout crew")
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    feature = FeatureFactory(roadmap=product.roadmap, title="One-click pay")

    saved = editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {
            "version": 1,
            "title": "Two-click pay",
            "stage": "building",
            "team": team.pk,
            "outcome": outcome.pk,
        },
        headers=HTMX,
    )

    shown = editor_client.get(url(product, "card_detail", "feature", feature.pk))
    assert saved.status_code == 200
    assert saved.content == shown.content
    assert "Checkout crew" in saved.content.decode()
    assert "Faster checkout" in saved.content.decode()


# Changes made elsewhere ------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "extra"),
    [(OutcomeFactory, {"goal": None}), (ChallengeFactory, {}), (FeatureFactory, {})],
)
def test_board_shows_a_card_saved_outside_the_board(
    editor_client, product, factory, extra
):
    """A plain save (the admin's) moves updated_at without touching the revision."""
    card = factory(roadmap=product.roadmap, title="Old title", **extra)
    grid(editor_client, product)

    card.title = "New title"
    card.save()

    html = grid(editor_client, product)
    assert "New title" in html
    assert "Old title" not in html


def test_board_shows_a_key_result_card_linked_outside_the_board(editor_client, product):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    card = metric_card(product.roadmap, values=[100])
    grid(editor_client, product)

    card.outcome = outcome
    card.save()

    html = grid(editor_client, product)
    assert cell(html, "metric", card.horizon).count("Faster checkout") == 1


def test_board_shows_a_new_measurement(editor_client, product):
    card = metric_card(product.roadmap, values=[100, 150], name="Weekly signups")
    metric = card.key_result.metric
    before = grid(editor_client, product)

    measurements_upsert(
        rows=[MeasurementData(metric.pk, dt.date(2026, 3, 1), Decimal("987"))],
        source="manual",
    )

    after = grid(editor_client, product)
    assert metric.format(Decimal("987")) not in before
    assert metric.format(Decimal("987")) in after


def test_board_shows_a_changed_measurement_value(editor_client, product):
    card = metric_card(product.roadmap, values=[100, 150], name="Weekly signups")
    metric = card.key_result.metric
    grid(editor_client, product)

    metric.measurements.filter(value=150).update(value=Decimal("432"))

    assert metric.format(Decimal("432")) in grid(editor_client, product)


def test_board_shows_a_goal_renamed_through_the_goal_edit_service(
    editor_client, product
):
    goal = GoalFactory(product=product, title="Grow revenue")
    OutcomeFactory(roadmap=product.roadmap, goal=goal)
    grid(editor_client, product)

    versioned_update(
        instance=goal, version=goal.version, values={"title": "Grow margin"}
    )

    html = grid(editor_client, product)
    assert "Grow margin" in html
    assert "Grow revenue" not in html


def test_board_shows_a_goal_renamed_by_a_plain_save(editor_client, product):
    goal = GoalFactory(product=product, title="Grow revenue")
    OutcomeFactory(roadmap=product.roadmap, goal=goal)
    grid(editor_client, product)

    goal.title = "Grow margin"
    goal.save()

    html = grid(editor_client, product)
    assert "Grow margin" in html
    assert "Grow revenue" not in html


def test_board_shows_a_renamed_theme(editor_client, product):
    theme = ThemeFactory(product=product, title="Acquire")
    goal = GoalFactory(product=product, theme=theme)
    OutcomeFactory(roadmap=product.roadmap, goal=goal)
    grid(editor_client, product)

    theme.title = "Retain"
    theme.save()

    html = grid(editor_client, product)
    assert "theme Retain" in html
    assert "theme Acquire" not in html


def test_board_shows_a_renamed_team(editor_client, product):
    team = TeamFactory(name="Checkout crew")
    FeatureFactory(roadmap=product.roadmap, team=team)
    OutcomeFactory(roadmap=product.roadmap, teams=[team])
    grid(editor_client, product)

    team.name = "Payments crew"
    team.save()

    html = grid(editor_client, product)
    assert html.count("Payments crew") == 2
    assert "Checkout crew" not in html


def test_board_shows_a_team_added_to_an_outcome_outside_the_board(
    editor_client, product
):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    team = TeamFactory(name="Growth crew")
    grid(editor_client, product)

    outcome.teams.add(team)

    assert "Growth crew" in grid(editor_client, product)


def test_board_shows_a_changed_key_result_target(editor_client, product):
    card = metric_card(product.roadmap, values=[100], name="Weekly signups")
    grid(editor_client, product)

    KeyResult.objects.filter(pk=card.key_result_id).update(target=Decimal("900"))

    html = grid(editor_client, product)
    assert "from 100 to 900" in html
    assert "from 100 to 500" not in html


def test_board_shows_a_renamed_metric(editor_client, product):
    card = metric_card(product.roadmap, values=[100], name="Weekly signups")
    grid(editor_client, product)

    metric = card.key_result.metric
    metric.name = "Daily signups"
    metric.save()

    assert "daily signups" in grid(editor_client, product)


def test_board_shows_a_linked_outcome_hard_deleted(editor_client, product):
    """Deleting an outcome unlinks its cards through SET_NULL, with no timestamp."""
    outcome = OutcomeFactory(
        roadmap=product.roadmap, title="Faster checkout", goal=None
    )
    ChallengeFactory(roadmap=product.roadmap, outcome=outcome)
    grid(editor_client, product)

    outcome.delete()

    html = grid(editor_client, product)
    assert "Faster checkout" not in html
    assert "No outcome" in html


def test_board_shows_a_linked_outcome_deleted_on_the_board(editor_client, product):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    FeatureFactory(roadmap=product.roadmap, outcome=outcome)
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_delete", "outcome", outcome.pk),
        {"version": 1},
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "Faster checkout" not in html
    assert "No outcome" in html
