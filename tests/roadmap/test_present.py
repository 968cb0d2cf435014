from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import KeyResult
from roadmap.models import Challenge, Feature, Outcome, Roadmap, SuccessMetric
from roadmap.present import TREND_POINTS, load_presentation
from tests.metrics.factories import MeasurementFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    RoadmapFactory,
    SuccessMetricFactory,
    TeamFactory,
)
from tests.strategy.factories import GoalFactory, ProductFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def present_url(product) -> str:
    return reverse("roadmap:present", args=[product.slug])


def test_present_shows_vision_goals_and_outcomes_to_a_viewer(viewer_client, product):
    goal = GoalFactory(product=product, title="Grow weekly signups fivefold")
    OutcomeFactory(
        roadmap=product.roadmap,
        goal=goal,
        title="New visitors see the value at once",
        horizon="soon",
    )

    response = viewer_client.get(present_url(product))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Every outfit, effortless." in html
    assert "Grow weekly signups fivefold" in html
    assert "New visitors see the value at once" in html
    assert 'aria-current="page">Present</a>' in html


def test_present_answers_an_editor(editor_client, product):
    response = editor_client.get(present_url(product))

    assert response.status_code == 200


def test_present_sends_anonymous_visitors_to_sign_in(client, product):
    response = client.get(present_url(product))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_present_lets_any_signed_in_user_read_another_product(viewer_client):
    other = ProductFactory(name="Contoso Pay", slug="contoso-pay")
    OutcomeFactory(roadmap=RoadmapFactory(product=other), title="Payments just work")

    response = viewer_client.get(present_url(other))

    assert response.status_code == 200
    assert b"Payments just work" in response.content


def test_present_refuses_post(editor_client, product):
    response = editor_client.post(present_url(product))

    assert response.status_code == 405


def test_present_uses_the_roadmaps_own_horizon_labels_and_hints(viewer_client, product):
    Roadmap.objects.filter(product=product).update(
        current_label="Now", current_hint="Q1 2027"
    )
    OutcomeFactory(roadmap=product.roadmap, title="Visitors sign up")

    response = viewer_client.get(present_url(product))

    assert b">Now</h2>" in response.content
    assert b"Q1 2027" in response.content


def test_present_shows_an_outcomes_key_results_features_and_challenges(
    viewer_client, product
):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Shoppers come back")
    card = SuccessMetricFactory(
        roadmap=product.roadmap,
        outcome=outcome,
        key_result__metric__name="Weekly active users",
    )
    for value in ("100", "150", "300"):
        MeasurementFactory(metric=card.key_result.metric, value=Decimal(value))
    FeatureFactory(
        roadmap=product.roadmap,
        outcome=outcome,
        title="Weekly look digest",
        stage=Feature.Stage.DESIGNED,
    )
    ChallengeFactory(
        roadmap=product.roadmap,
        outcome=outcome,
        title="Notification fatigue",
        status=Challenge.Status.OPEN,
    )

    response = viewer_client.get(present_url(product))

    html = response.content.decode()
    assert "Increase weekly active users from 100 to 500" in html
    assert "50%" in html  # (300 - 100) / (500 - 100)
    assert 'aria-label="Trend of Weekly active users"' in html
    assert "Weekly look digest" in html
    assert "Designed" in html
    assert "Key challenges" in html
    assert "Internal" in html
    assert "Notification fatigue" in html


def test_present_leaves_out_deleted_outcomes(viewer_client, product):
    OutcomeFactory(
        roadmap=product.roadmap,
        title="Gone for good",
        deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )

    response = viewer_client.get(present_url(product))

    assert b"Gone for good" not in response.content


def test_present_goal_filter_narrows_the_outcomes(viewer_client, product):
    kept = GoalFactory(product=product, title="Grow signups")
    other = GoalFactory(product=product, title="Keep users")
    OutcomeFactory(roadmap=product.roadmap, goal=kept, title="Visitors sign up")
    OutcomeFactory(roadmap=product.roadmap, goal=other, title="Users come back")

    response = viewer_client.get(present_url(product), {"goal": kept.pk})

    assert b"Visitors sign up" in response.content
    assert b"Users come back" not in response.content


def test_present_theme_filter_narrows_the_outcomes(viewer_client, product):
    theme = ThemeFactory(product=product, title="Acquire")
    kept = GoalFactory(product=product, theme=theme)
    OutcomeFactory(roadmap=product.roadmap, goal=kept, title="Visitors sign up")
    OutcomeFactory(roadmap=product.roadmap, title="Users come back")

    response = viewer_client.get(present_url(product), {"theme": theme.pk})

    assert b"Visitors sign up" in response.content
    assert b"Users come back" not in response.content


def test_present_team_filter_narrows_the_outcomes(viewer_client, product):
    team = TeamFactory(name="Growth")
    OutcomeFactory(roadmap=product.roadmap, title="Visitors sign up", teams=[team])
    OutcomeFactory(roadmap=product.roadmap, title="Users come back")

    response = viewer_client.get(present_url(product), {"team": team.pk})

    assert b"Visitors sign up" in response.content
    assert b"Users come back" not in response.content
    assert f'<option value="{team.pk}" selected>Growth</option>' in (
        response.content.decode()
    )


def test_present_ignores_malformed_filters(viewer_client, product):
    OutcomeFactory(roadmap=product.roadmap, title="Visitors sign up")

    response = viewer_client.get(present_url(product), {"goal": "x", "team": "-1"})

    assert response.status_code == 200
    assert b"Visitors sign up" in response.content


def test_present_htmx_request_renders_only_the_content(viewer_client, product):
    OutcomeFactory(roadmap=product.roadmap, title="Visitors sign up")

    response = viewer_client.get(present_url(product), headers={"HX-Request": "true"})

    assert b'<div id="present-content"' in response.content
    assert b"Visitors sign up" in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


def test_present_of_an_empty_product_shows_the_vision_and_writes_nothing(
    viewer_client,
):
    product = ProductFactory(vision_statement="A wardrobe that knows you.")

    response = viewer_client.get(present_url(product))

    assert response.status_code == 200
    assert b"A wardrobe that knows you." in response.content
    assert b"nothing on the roadmap yet" in response.content
    assert not Roadmap.objects.filter(product=product).exists()


def test_load_presentation_keeps_the_last_measurements_in_time_order(product):
    card = SuccessMetricFactory(
        roadmap=product.roadmap, outcome=OutcomeFactory(roadmap=product.roadmap)
    )
    for day in range(TREND_POINTS + 3):
        MeasurementFactory(
            metric=card.key_result.metric,
            date=dt.date(2026, 1, 1) + dt.timedelta(days=day),
            value=Decimal(day),
        )

    presentation = load_presentation(product)

    [outcome] = presentation.horizons[0].outcomes
    [key_result] = outcome.key_results
    assert key_result.trend == tuple(Decimal(day) for day in range(3, TREND_POINTS + 3))


def test_load_presentation_takes_status_from_key_result_progress(product):
    card = SuccessMetricFactory(
        roadmap=product.roadmap, outcome=OutcomeFactory(roadmap=product.roadmap)
    )
    MeasurementFactory(metric=card.key_result.metric, value=Decimal("500"))
    today = dt.date(2026, 9, 1)

    presentation = load_presentation(product, today=today)

    [line] = presentation.horizons[0].outcomes[0].key_results
    expected = KeyResult.objects.with_current().get().progress(today)
    assert line.status == expected.status == "achieved"
    assert line.percent == expected.percent == 100


def build_roadmap(product, size: int) -> None:
    """A roadmap of `size` outcomes, each with a key result, feature and challenge."""
    team = TeamFactory(name="Growth")
    for index in range(size):
        outcome = OutcomeFactory(
            roadmap=product.roadmap,
            horizon=("current", "soon", "future")[index % 3],
            teams=[team],
        )
        card = SuccessMetricFactory(roadmap=product.roadmap, outcome=outcome)
        MeasurementFactory.create_batch(3, metric=card.key_result.metric)
        FeatureFactory(roadmap=product.roadmap, outcome=outcome)
        ChallengeFactory(roadmap=product.roadmap, outcome=outcome)


@pytest.mark.parametrize("size", [3, 30])
def test_present_query_count_is_constant(
    viewer_client, product, django_assert_num_queries, size
):
    """Outcomes, key results, trends, features and challenges are read in bulk."""
    build_roadmap(product, size)
    assert Outcome.objects.count() == size
    assert SuccessMetric.objects.count() == size

    # session user, product with its members, roadmap, goals,
    # goal key results, outcomes, outcome key results, features, challenges,
    # filter goals and teams, measurements
    with django_assert_num_queries(12):
        response = viewer_client.get(present_url(product))

    assert response.status_code == 200
    assert response.content.decode().count('class="present-outcome"') == size
