from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import Measurement
from roadmap.models import Horizon, Outcome
from tests.metrics.factories import KeyResultFactory, MetricFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    SuccessMetricFactory,
    TeamFactory,
)
from tests.strategy.factories import GoalFactory, ThemeFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def board_url(product) -> str:
    return reverse("roadmap:board", args=[product.slug])


def metric_card(roadmap, outcome=None, values=(), **kwargs):
    """A success-metric card whose key result has the given measurements."""
    metric = MetricFactory(
        product=roadmap.product, name=kwargs.pop("name", None) or "weekly signups"
    )
    kr = KeyResultFactory(
        metric=metric,
        goal=None,
        baseline=Decimal("100"),
        target=Decimal("500"),
        start_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 6, 30),
    )
    for index, value in enumerate(values):
        Measurement.objects.create(
            metric=metric,
            date=dt.date(2026, 1, 1) + dt.timedelta(days=7 * index),
            value=value,
        )
    return SuccessMetricFactory(
        roadmap=roadmap, key_result=kr, outcome=outcome, **kwargs
    )


def test_board_shows_horizons_with_the_roadmaps_labels_and_hints(
    editor_client, product
):
    """Columns use the roadmap's own labels and time hints; rows follow the template."""
    roadmap = product.roadmap
    roadmap.soon_label = "Next"
    roadmap.soon_hint = "Q1 2027"
    roadmap.save()

    response = editor_client.get(board_url(product))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Next" in content
    assert "Q1 2027" in content
    for row in ("Desired outcomes", "Key challenges", "Success metrics", "Features"):
        assert row in content


def test_board_empty_cells_say_what_belongs_there(editor_client, product):
    """An empty feature cell uses the template's words and invites adding one."""
    response = editor_client.get(board_url(product))

    content = response.content.decode()
    assert content.count("To be defined, designed and validated.") == 3
    assert "+ Add feature" in content
    assert "No desired outcome yet" in content


def test_board_outcome_card_shows_goal_status_teams_and_feature_count(
    editor_client, product
):
    """An outcome card carries its goal, badges, teams, features and KR bars."""
    roadmap = product.roadmap
    goal = GoalFactory(product=product, title="Grow weekly signups")
    outcome = OutcomeFactory(
        roadmap=roadmap,
        title="New visitors see value fast",
        goal=goal,
        status=Outcome.Status.ACTIVE,
        confidence=Outcome.Confidence.HIGH,
        teams=[TeamFactory(name="Growth")],
    )
    FeatureFactory.create_batch(2, roadmap=roadmap, outcome=outcome)
    metric_card(roadmap, outcome=outcome, values=[100, 200, 300])

    response = editor_client.get(board_url(product))

    content = response.content.decode()
    assert "New visitors see value fast" in content
    assert "Grow weekly signups" in content
    assert "High confidence" in content
    assert "Growth" in content
    assert "2 features" in content
    assert 'class="card-krs"' in content


def test_board_key_result_card_shows_statement_value_progress_and_sparkline(
    editor_client, product
):
    """A key result card reads as a sentence with its current value and a trend."""
    metric_card(product.roadmap, values=[100, 150, 300])

    response = editor_client.get(board_url(product))

    content = response.content.decode()
    assert "Increase weekly signups from 100 to 500 by 30 Jun 2026" in content
    assert "300 users" in content
    assert '<svg class="sparkline"' in content
    assert "50% of the way" in content


def test_board_flags_a_feature_without_an_outcome(editor_client, product):
    """Outcomes before features: an unlinked feature is visibly flagged."""
    FeatureFactory(roadmap=product.roadmap, title="Dark mode", outcome=None)

    response = editor_client.get(board_url(product))

    content = response.content.decode()
    assert "Dark mode" in content
    assert "No outcome" in content
    assert "is-orphan" in content


def test_board_does_not_show_deleted_cards(editor_client, product):
    OutcomeFactory(
        roadmap=product.roadmap, title="Gone", deleted_at=dt.datetime.now(dt.UTC)
    )

    response = editor_client.get(board_url(product))

    assert "Gone" not in response.content.decode()


def test_board_viewer_sees_the_board_without_edit_controls(viewer_client, product):
    """Viewers read the same board, without add, edit, move or delete controls."""
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Read me")
    FeatureFactory(roadmap=product.roadmap, outcome=outcome, title="Feature A")

    response = viewer_client.get(board_url(product))

    content = response.content.decode()
    assert "Read me" in content
    assert "Feature A" in content
    assert "Read only" in content
    assert "+ Add" not in content
    assert 'draggable="true"' not in content
    assert "/edit/" not in content
    assert "/delete/" not in content
    assert "/move/" not in content


def test_board_anonymous_is_redirected_to_login(client, product):
    response = client.get(board_url(product))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_board_htmx_request_renders_only_the_grid(editor_client, product):
    response = editor_client.get(board_url(product), headers=HTMX)

    assert b'id="board-grid"' in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


def test_board_filter_by_goal_keeps_linked_cards_and_hides_the_rest(
    editor_client, product
):
    """Filtering by goal shows its outcomes and everything linked to them."""
    roadmap = product.roadmap
    goal = GoalFactory(product=product, title="Goal A")
    kept = OutcomeFactory(roadmap=roadmap, title="Kept outcome", goal=goal)
    OutcomeFactory(roadmap=roadmap, title="Other outcome")
    FeatureFactory(roadmap=roadmap, title="Kept feature", outcome=kept)
    FeatureFactory(roadmap=roadmap, title="Loose feature", outcome=None)

    response = editor_client.get(board_url(product), {"goal": goal.pk}, headers=HTMX)

    content = response.content.decode()
    assert "Kept outcome" in content
    assert "Kept feature" in content
    assert "Other outcome" not in content
    assert "Loose feature" not in content
    assert "Showing 2 of 4 cards" in content


def test_board_filter_by_theme_team_and_status(editor_client, product):
    roadmap = product.roadmap
    theme = ThemeFactory(product=product, title="Acquire")
    team = TeamFactory(name="Platform")
    OutcomeFactory(
        roadmap=roadmap,
        title="Match",
        goal=GoalFactory(product=product, theme=theme),
        status=Outcome.Status.ACTIVE,
        teams=[team],
    )
    OutcomeFactory(
        roadmap=roadmap,
        title="Wrong status",
        status=Outcome.Status.PROPOSED,
        goal=GoalFactory(product=product, theme=theme),
        teams=[team],
    )
    OutcomeFactory(
        roadmap=roadmap,
        title="Wrong team",
        status=Outcome.Status.ACTIVE,
        goal=GoalFactory(product=product, theme=theme),
    )

    response = editor_client.get(
        board_url(product),
        {"theme": theme.pk, "team": team.pk, "status": "active"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert "Match" in content
    assert "Wrong status" not in content
    assert "Wrong team" not in content


def test_board_text_search_narrows_every_row(editor_client, product):
    roadmap = product.roadmap
    OutcomeFactory(roadmap=roadmap, title="Checkout is fast")
    FeatureFactory(roadmap=roadmap, title="One-click checkout")
    ChallengeFactory(roadmap=roadmap, title="Payment provider limits")

    response = editor_client.get(board_url(product), {"q": "CHECKOUT"}, headers=HTMX)

    content = response.content.decode()
    assert "Checkout is fast" in content
    assert "One-click checkout" in content
    assert "Payment provider limits" not in content


def test_board_ignores_malformed_filters(editor_client, product):
    """A bookmarked URL with a stale or broken filter still shows a board."""
    OutcomeFactory(roadmap=product.roadmap, title="Still here")

    response = editor_client.get(board_url(product), {"goal": "abc", "status": "nope"})

    assert response.status_code == 200
    assert "Still here" in response.content.decode()


def test_board_filter_form_shows_the_current_filters(editor_client, product):
    goal = GoalFactory(product=product, title="Goal B")
    OutcomeFactory(roadmap=product.roadmap, goal=goal)

    response = editor_client.get(board_url(product), {"goal": goal.pk, "q": "visit"})

    content = response.content.decode()
    assert f'<option value="{goal.pk}" selected>Goal B</option>' in content
    assert 'value="visit"' in content


def test_board_of_a_product_without_a_roadmap_shows_an_empty_board_and_writes_nothing(
    editor_client, editor
):
    """GET never writes: the roadmap row is made by the first change."""
    from roadmap.models import Roadmap
    from tests.strategy.factories import ProductFactory

    product = ProductFactory(slug="new-product", editors=[editor])

    response = editor_client.get(board_url(product))

    assert response.status_code == 200
    assert "No desired outcome yet" in response.content.decode()
    assert not Roadmap.objects.filter(product=product).exists()


def build_board(roadmap, cards: int) -> None:
    """Spread `cards` cards over the four rows and three horizons, all linked."""
    per_row = cards // 4
    horizons = Horizon.values
    outcomes = [
        OutcomeFactory(
            roadmap=roadmap,
            horizon=horizons[i % 3],
            teams=[TeamFactory(name=f"Team {i % 4}")],
        )
        for i in range(per_row + cards % 4)
    ]
    for i in range(per_row):
        outcome = outcomes[i % len(outcomes)]
        ChallengeFactory(roadmap=roadmap, outcome=outcome, horizon=horizons[i % 3])
        FeatureFactory(
            roadmap=roadmap,
            outcome=outcome,
            horizon=horizons[i % 3],
            team=TeamFactory(name=f"Team {i % 4}"),
        )
        metric_card(
            roadmap,
            outcome=outcome,
            values=[100, 120, 140],
            name=f"Metric {i}",
            horizon=horizons[i % 3],
        )


def first_paint_count(roadmap) -> int:
    """Cards the first paint holds: at most FIRST_PAGE of each cell."""
    from roadmap.board import CARD_MODELS, FIRST_PAGE

    total = 0
    for model in CARD_MODELS.values():
        for horizon in Horizon.values:
            in_cell = model.objects.filter(roadmap=roadmap, horizon=horizon).count()
            total += min(FIRST_PAGE, in_cell)
    return total


@pytest.mark.parametrize("cards", [5, 500])
def test_board_query_count_is_constant(
    editor_client, product, django_assert_num_queries, cards
):
    """The grid comes in a fixed number of queries, whatever its size.

    On a cache miss: user (the session is cached), product with its members, roadmap,
    the cells' counts, outcomes (with teams and feature counts), their key
    result bars, challenges, success metrics (with latest value and trend),
    features, and the goals and teams the filters offer. A cache hit stops
    after the product (test_board_cache).
    """
    build_board(product.roadmap, cards)

    with django_assert_num_queries(11):
        response = editor_client.get(board_url(product))

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("data-card ") == first_paint_count(product.roadmap)
    assert f"{cards} cards" in content


@pytest.mark.parametrize("cards", [5, 500])
def test_board_grid_partial_query_count_is_constant_for_viewers(
    viewer_client, product, django_assert_num_queries, cards
):
    build_board(product.roadmap, cards)

    with django_assert_num_queries(10):  # the grid alone, without the page
        viewer_client.get(board_url(product), {"q": "x"}, headers=HTMX)
