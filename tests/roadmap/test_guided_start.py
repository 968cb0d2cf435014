from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import KeyResult, Metric
from roadmap.models import Feature, Outcome, SuccessMetric
from strategy.models import Product
from strategy.revision import plan_changed
from tests.roadmap.factories import OutcomeFactory
from tests.strategy.factories import GoalFactory

pytestmark = pytest.mark.django_db


def start_url(product) -> str:
    return reverse("roadmap:guided_start", args=[product.slug])


def board_url(product) -> str:
    return reverse("roadmap:board", args=[product.slug])


def revision(product) -> int:
    return Product.objects.get(pk=product.pk).revision


def filled(**changes):
    due = timezone.localdate() + dt.timedelta(days=90)
    return {
        "outcome_title": "New visitors see the value in their first minute",
        "goal": "",
        "horizon": "soon",
        "metric_name": "Weekly signups",
        "unit": "users",
        "baseline": "100",
        "target": "500",
        "due_date": due.isoformat(),
        "feature_title": "Style quiz onboarding",
        **changes,
    }


def test_an_empty_board_invites_its_editor_to_the_guided_start(editor_client, product):
    html = editor_client.get(board_url(product)).content.decode()

    assert "This roadmap is empty" in html
    assert f'href="{start_url(product)}"' in html


def test_a_viewer_and_a_board_with_cards_get_no_invitation(
    client, viewer, editor, product
):
    client.force_login(viewer)
    assert b"This roadmap is empty" not in client.get(board_url(product)).content

    OutcomeFactory(roadmap=product.roadmap)
    plan_changed(product.pk)  # as every write to the plan does
    client.force_login(editor)
    assert b"This roadmap is empty" not in client.get(board_url(product)).content


def test_the_guided_start_explains_the_four_rows(editor_client, product):
    html = editor_client.get(start_url(product)).content.decode()

    for row in ("Desired outcomes", "Key challenges", "Success metrics", "Features"):
        assert row in html
    assert "<main" in html


def test_one_submit_puts_an_outcome_its_key_result_and_a_feature_on_the_board(
    editor_client, editor, product
):
    goal = GoalFactory(product=product, title="Grow weekly signups fivefold")
    before = revision(product)

    response = editor_client.post(start_url(product), filled(goal=goal.pk))

    assert response.status_code == 302
    assert response["Location"] == board_url(product)
    outcome = Outcome.objects.get()
    assert outcome.title == "New visitors see the value in their first minute"
    assert outcome.goal == goal
    assert outcome.horizon == "soon"
    card = SuccessMetric.objects.get()
    assert card.outcome == outcome
    assert card.horizon == "soon"
    key_result = card.key_result
    assert key_result.goal == goal
    assert key_result.metric.name == "Weekly signups"
    assert key_result.metric.unit == "users"
    assert key_result.metric.direction == Metric.Direction.UP
    assert (key_result.baseline, key_result.target) == (Decimal(100), Decimal(500))
    assert key_result.start_date == timezone.localdate()
    feature = Feature.objects.get()
    assert feature.outcome == outcome
    assert feature.horizon == "soon"
    assert revision(product) > before
    board = editor_client.get(board_url(product)).content.decode()
    assert "Style quiz onboarding" in board
    assert "This roadmap is empty" not in board


def test_a_target_below_the_baseline_makes_a_lower_is_better_metric(
    editor_client, product
):
    editor_client.post(start_url(product), filled(baseline="28", target="20"))

    assert Metric.objects.get().direction == Metric.Direction.DOWN


def test_the_metric_and_the_feature_are_optional(editor_client, product):
    response = editor_client.post(
        start_url(product),
        filled(metric_name="", unit="", baseline="", target="", feature_title=""),
    )

    assert response.status_code == 302
    assert Outcome.objects.count() == 1
    assert not KeyResult.objects.exists()
    assert not Feature.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"outcome_title": ""}, "outcome_title", "This field is required."),
        ({"outcome_title": "x" * 201}, "outcome_title", "at most 200 characters"),
        ({"target": ""}, "target", "Needed for the success metric."),
        ({"metric_name": ""}, "metric_name", "Needed for the success metric."),
        ({"baseline": "lots"}, "baseline", "Enter a number."),
        ({"due_date": "2020-01-01"}, "due_date", "Must be today or later."),
        ({"horizon": "someday"}, "horizon", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    editor_client, product, changes, field, message
):
    response = editor_client.post(start_url(product), filled(**changes))

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_error"' in html
    assert not Outcome.objects.exists()
    assert not Metric.objects.exists()
    assert not Feature.objects.exists()


def test_only_editors_may_start_a_roadmap(viewer_client, product):
    assert viewer_client.get(start_url(product)).status_code == 403
    assert viewer_client.post(start_url(product), filled()).status_code == 403
    assert not Outcome.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, product):
    response = client.post(start_url(product), filled())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
