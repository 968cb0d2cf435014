"""The side panel never goes stale: after a write from the panel or the grid,
the answer tells the page which outcomes changed, and their open panel reloads
itself (or the answer is the fresh panel)."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from roadmap.models import Challenge, Outcome, TeamDependency
from tests.metrics.factories import MetricFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    TeamDependencyFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def url(product, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, *args])


@pytest.fixture
def outcome(product):
    return OutcomeFactory(
        roadmap=product.roadmap, title="Visitors see value", horizon="current"
    )


def changed(response) -> list[int]:
    """The outcomes whose open panel the answer asks to reload."""
    triggers = json.loads(response.headers.get("HX-Trigger", "{}"))
    return triggers.get("outcome-changed", {}).get("outcomes", [])


def count(html: str, section: str) -> int:
    match = re.search(rf'<h3>{section} <span class="count">(\d+)</span>', html)
    assert match, section
    return int(match[1])


def panel(client, product, outcome) -> str:
    response = client.get(url(product, "outcome_panel", outcome.pk), headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_panel_listens_for_changes_to_its_outcome(editor_client, product, outcome):
    html = panel(editor_client, product, outcome)

    assert f'data-panel-listener="{outcome.pk}"' in html
    assert 'hx-trigger="panel-refresh"' in html
    assert url(product, "outcome_panel", outcome.pk) in html


# Adding from the panel ------------------------------------------------------


def test_adding_a_challenge_from_the_panel_refreshes_it(
    editor_client, product, outcome
):
    assert count(panel(editor_client, product, outcome), "Challenges") == 0

    response = editor_client.post(
        url(product, "card_create", "challenge"),
        {"title": "Cold start", "outcome": outcome.pk, "horizon": "current"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert changed(response) == [outcome.pk]
    assert count(panel(editor_client, product, outcome), "Challenges") == 1


def test_adding_a_feature_from_the_panel_refreshes_it(editor_client, product, outcome):
    response = editor_client.post(
        url(product, "card_create", "feature"),
        {"title": "Outfit of the day", "outcome": outcome.pk, "horizon": "soon"},
        headers=HTMX,
    )

    assert changed(response) == [outcome.pk]
    assert count(panel(editor_client, product, outcome), "Features") == 1


def test_adding_a_key_result_from_the_panel_refreshes_it(
    editor_client, product, outcome
):
    metric = MetricFactory(product=product)

    response = editor_client.post(
        url(product, "card_create", "success_metric"),
        {
            "horizon": "current",
            "outcome": outcome.pk,
            "metric": metric.pk,
            "goal": outcome.goal_id,
            "baseline": "100",
            "target": "500",
            "start_date": "2026-07-01",
            "due_date": "2027-06-30",
        },
        headers=HTMX,
    )

    assert changed(response) == [outcome.pk]
    assert count(panel(editor_client, product, outcome), "Key results") == 1


def test_adding_a_card_of_no_outcome_asks_no_panel_to_reload(
    editor_client, product, outcome
):
    response = editor_client.post(
        url(product, "card_create", "challenge"),
        {"title": "Cold start", "horizon": "current"},
        headers=HTMX,
    )

    assert changed(response) == []


# Dependencies, links ---------------------------------------------------------


def test_adding_a_dependency_answers_with_the_fresh_panel(
    editor_client, product, outcome
):
    team = TeamFactory(name="Data")

    response = editor_client.post(
        url(product, "dependency_create", outcome.pk),
        {
            "version": outcome.version,
            "team": team.pk,
            "description": "Needs the API",
            "status": "needed",
        },
        headers=HTMX,
    )

    html = response.content.decode()
    assert "Needs the API" in html
    assert f'data-panel-outcome="{outcome.pk}"' in html
    assert "board-stale" in response.headers["HX-Trigger"]


def test_removing_a_dependency_answers_with_the_fresh_panel(
    editor_client, product, outcome
):
    dependency = TeamDependencyFactory(outcome=outcome, description="Needs the API")

    response = editor_client.post(
        url(product, "dependency_delete", outcome.pk, dependency.pk),
        {"version": outcome.version},
        headers=HTMX,
    )

    assert not TeamDependency.objects.exists()
    # Only the panel's history still names the removed dependency.
    html = response.content.decode().split('class="item-history"')[0]
    assert "Needs the API" not in html
    assert "No dependency on other teams." in html


def test_unlinking_answers_with_the_fresh_panel_and_refreshes_the_grid(
    editor_client, product, outcome
):
    challenge = ChallengeFactory(roadmap=product.roadmap, outcome=outcome)

    response = editor_client.post(
        url(product, "card_link", "challenge", challenge.pk),
        {"version": challenge.version, "outcome": ""},
        headers=HTMX,
    )

    assert count(response.content.decode(), "Challenges") == 0
    assert "board-stale" in response.headers["HX-Trigger"]
    assert changed(response) == []  # the answer is that panel already


def test_linking_to_another_outcome_reloads_the_panel_it_left(
    editor_client, product, outcome
):
    other = OutcomeFactory(roadmap=product.roadmap, title="Return visits")
    challenge = ChallengeFactory(roadmap=product.roadmap, outcome=outcome)

    response = editor_client.post(
        url(product, "card_link", "challenge", challenge.pk),
        {"version": challenge.version, "outcome": other.pk},
        headers=HTMX,
    )

    assert count(response.content.decode(), "Challenges") == 1
    assert f'data-panel-outcome="{other.pk}"' in response.content.decode()
    assert changed(response) == [outcome.pk]
    assert count(panel(editor_client, product, outcome), "Challenges") == 0


# Writes from the grid ------------------------------------------------------------


def test_editing_a_challenge_from_the_grid_reloads_its_outcomes_panel(
    editor_client, product, outcome
):
    challenge = ChallengeFactory(roadmap=product.roadmap, outcome=outcome)

    response = editor_client.post(
        url(product, "card_edit", "challenge", challenge.pk),
        {
            "version": challenge.version,
            "title": "Cold start everywhere",
            "description": "",
            "status": "open",
            "outcome": outcome.pk,
        },
        headers=HTMX,
    )

    assert response.status_code == 200, response.content
    assert changed(response) == [outcome.pk]
    assert "Cold start everywhere" in panel(editor_client, product, outcome)


def test_moving_a_challenge_to_another_outcome_reloads_both_panels(
    editor_client, product, outcome
):
    other = OutcomeFactory(roadmap=product.roadmap, title="Return visits")
    challenge = ChallengeFactory(roadmap=product.roadmap, outcome=outcome)

    response = editor_client.post(
        url(product, "card_edit", "challenge", challenge.pk),
        {
            "version": challenge.version,
            "title": challenge.title,
            "description": "",
            "status": "open",
            "outcome": other.pk,
        },
        headers=HTMX,
    )

    assert changed(response) == sorted([outcome.pk, other.pk])


def test_editing_the_outcome_from_the_grid_reloads_its_panel(
    editor_client, product, outcome
):
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
        },
        headers=HTMX,
    )

    assert response.status_code == 200, response.content
    assert changed(response) == [outcome.pk]
    assert "Visitors love it" in panel(editor_client, product, outcome)


def test_moving_the_outcome_reloads_its_panel(editor_client, product, outcome):
    response = editor_client.post(
        url(product, "card_move", "outcome", outcome.pk),
        {"version": outcome.version, "horizon": "soon"},
        headers=HTMX,
    )

    assert changed(response) == [outcome.pk]
    assert "Desired outcome · Soon" in panel(editor_client, product, outcome)


def test_moving_a_feature_reloads_its_outcomes_panel(editor_client, product, outcome):
    feature = FeatureFactory(roadmap=product.roadmap, outcome=outcome)

    response = editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": feature.version, "horizon": "future"},
        headers=HTMX,
    )

    assert changed(response) == [outcome.pk]


def test_moving_linked_cards_reloads_the_outcomes_panel(
    editor_client, product, outcome
):
    ChallengeFactory(roadmap=product.roadmap, outcome=outcome, horizon="current")
    Outcome.objects.filter(pk=outcome.pk).update(horizon="soon", version=2)

    response = editor_client.post(
        url(product, "outcome_move_linked", outcome.pk), {"version": 2}, headers=HTMX
    )

    assert response.status_code == 200
    assert changed(response) == [outcome.pk]


def test_deleting_and_restoring_a_challenge_reloads_its_outcomes_panel(
    editor_client, product, outcome
):
    challenge = ChallengeFactory(roadmap=product.roadmap, outcome=outcome)

    deleted = editor_client.post(
        url(product, "card_delete", "challenge", challenge.pk),
        {"version": challenge.version},
        headers=HTMX,
    )

    assert changed(deleted) == [outcome.pk]
    assert count(panel(editor_client, product, outcome), "Challenges") == 0

    restored = editor_client.post(
        url(product, "card_restore", "challenge", challenge.pk),
        {"version": Challenge.objects.get(pk=challenge.pk).version},
        headers=HTMX,
    )

    assert changed(restored) == [outcome.pk]
    assert count(panel(editor_client, product, outcome), "Challenges") == 1


def test_deleting_the_outcome_turns_its_open_panel_into_a_notice(
    editor_client, product, outcome
):
    response = editor_client.post(
        url(product, "card_delete", "outcome", outcome.pk),
        {"version": outcome.version},
        headers=HTMX,
    )

    assert changed(response) == [outcome.pk]
    html = panel(editor_client, product, outcome)
    assert "This outcome was deleted" in html
    assert "data-panel-listener" in html  # Undo brings the panel back
