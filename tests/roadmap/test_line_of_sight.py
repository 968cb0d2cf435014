from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import Metric
from roadmap.line_of_sight import (
    GapKind,
    build_line_of_sight,
    is_measured_recently,
    load_line_of_sight,
)
from roadmap.models import Outcome
from tests.metrics.factories import KeyResultFactory, MeasurementFactory, MetricFactory
from tests.roadmap.factories import FeatureFactory, OutcomeFactory, SuccessMetricFactory
from tests.strategy.factories import GoalFactory, ThemeFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def gaps(product):
    """A product whose line of sight has exactly one gap of each kind.

    Items: goals G1-G3, outcomes O1-O4, features F1-F2 and five key results
    (14 in all); six of them have a gap, so eight are aligned. An archived
    goal, a dropped outcome and a deleted feature must not count at all.
    """
    roadmap = product.roadmap
    theme = ThemeFactory(product=product, title="Grow")
    measured = MetricFactory(product=product, name="Signups")
    MeasurementFactory(metric=measured, date=TODAY - dt.timedelta(days=3))
    unmeasured = MetricFactory(product=product, name="Retention")

    g1 = GoalFactory(product=product, theme=theme, title="Fully linked goal")
    g2 = GoalFactory(product=product, theme=theme, title="Goal without key results")
    g3 = GoalFactory(product=product, theme=theme, title="Goal nobody serves")
    archived = GoalFactory(
        product=product, theme=theme, status="archived", title="Archived goal"
    )

    kr1 = KeyResultFactory(metric=measured, goal=g1)
    stale = KeyResultFactory(metric=unmeasured, goal=g1)
    kr3 = KeyResultFactory(metric=measured, goal=g3)
    board_only = KeyResultFactory(metric=measured, goal=None)
    KeyResultFactory(  # due long ago: no longer asks for measurements
        metric=unmeasured,
        goal=g1,
        start_date=dt.date(2025, 1, 1),
        due_date=dt.date(2025, 12, 31),
    )
    KeyResultFactory(metric=unmeasured, goal=archived)

    o1 = OutcomeFactory(roadmap=roadmap, goal=g1, title="Linked outcome")
    o2 = OutcomeFactory(roadmap=roadmap, goal=g2, horizon="soon")
    o3 = OutcomeFactory(roadmap=roadmap, goal=None, title="Outcome without goal")
    o4 = OutcomeFactory(roadmap=roadmap, goal=g1, title="Outcome without metric")
    OutcomeFactory(roadmap=roadmap, goal=None, status=Outcome.Status.DROPPED)
    SuccessMetricFactory(roadmap=roadmap, key_result=kr1, outcome=o1)
    SuccessMetricFactory(roadmap=roadmap, key_result=board_only, outcome=o2)
    SuccessMetricFactory(roadmap=roadmap, key_result=kr3, outcome=o3)

    FeatureFactory(roadmap=roadmap, outcome=o1, title="Linked feature")
    f2 = FeatureFactory(roadmap=roadmap, outcome=None, title="Feature without outcome")
    FeatureFactory(
        roadmap=roadmap, outcome=None, deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    return {"g2": g2, "g3": g3, "o3": o3, "o4": o4, "f2": f2, "stale": stale}


def test_load_line_of_sight_finds_each_kind_of_gap_once(product, gaps):
    """Each kind of gap is found exactly once, on the item that has it."""
    found = load_line_of_sight(product, today=TODAY).gaps

    assert sorted((gap.kind, gap.item.pk) for gap in found) == sorted(
        [
            (GapKind.GOAL_WITHOUT_KEY_RESULTS, gaps["g2"].pk),
            (GapKind.GOAL_NOT_SERVED, gaps["g3"].pk),
            (GapKind.OUTCOME_WITHOUT_GOAL, gaps["o3"].pk),
            (GapKind.OUTCOME_WITHOUT_SUCCESS_METRIC, gaps["o4"].pk),
            (GapKind.FEATURE_WITHOUT_OUTCOME, gaps["f2"].pk),
            (GapKind.KEY_RESULT_NOT_MEASURED, gaps["stale"].pk),
        ]
    )


def test_load_line_of_sight_scores_the_share_of_aligned_items(product, gaps):
    """8 of the 14 counted items have no gap: the score is 57%."""
    line_of_sight = load_line_of_sight(product, today=TODAY)

    assert (line_of_sight.aligned_count, line_of_sight.item_count) == (8, 14)
    assert line_of_sight.score == 57


def test_load_line_of_sight_places_outcomes_under_their_goals_by_horizon(product, gaps):
    """The tree nests outcomes under the goal they serve, grouped by horizon."""
    line_of_sight = load_line_of_sight(product, today=TODAY)

    goals = {node.goal.title: node for node in line_of_sight.themes[0].goals}
    linked = goals["Fully linked goal"]
    assert [group.label for group in linked.horizons] == ["Current"]
    assert [n.outcome.title for n in linked.horizons[0].outcomes] == [
        "Linked outcome",
        "Outcome without metric",
    ]
    assert [f.title for f in linked.horizons[0].outcomes[0].features] == [
        "Linked feature"
    ]
    assert "Archived goal" not in goals
    unlinked = line_of_sight.unlinked_outcomes
    assert [n.outcome.title for g in unlinked for n in g.outcomes] == [
        "Outcome without goal"
    ]


def test_build_line_of_sight_without_items_has_no_score():
    """An empty product has nothing to align, so no score rather than 0 or 100."""
    line_of_sight = build_line_of_sight(
        themes=[],
        goals=[],
        key_results=[],
        outcomes=[],
        success_metrics=[],
        features=[],
        horizon_labels={},
        today=TODAY,
    )

    assert line_of_sight.score is None
    assert line_of_sight.gaps == []


@pytest.mark.parametrize(
    ("cadence", "days_ago", "expected"),
    [
        (Metric.Cadence.WEEKLY, 14, True),
        (Metric.Cadence.WEEKLY, 15, False),
        (Metric.Cadence.MONTHLY, 40, True),
        (Metric.Cadence.DAILY, 3, False),
    ],
)
def test_is_measured_recently_allows_two_review_periods(cadence, days_ago, expected):
    """A measurement is recent while younger than two of the metric's reviews."""
    key_result = KeyResultFactory.build(
        metric=MetricFactory.build(review_cadence=cadence),
        baseline=Decimal("1"),
    )
    key_result.current_date = TODAY - dt.timedelta(days=days_ago)

    assert is_measured_recently(key_result, TODAY) is expected


def test_line_of_sight_page_lists_gaps_with_links_to_fix_them(
    editor_client, product, gaps
):
    """Each gap names its item and links to where it is fixed."""
    board = reverse("roadmap:board", args=[product.slug])

    response = editor_client.get(reverse("roadmap:line_of_sight", args=[product.slug]))

    assert response.status_code == 200
    page = response.text
    assert "No outcome serves this goal" in page
    assert "Goal nobody serves" in page
    assert (
        reverse("metrics:keyresult_create", args=[product.slug])
        + f"?goal={gaps['g2'].pk}"
        in page
    )
    assert f"{board}?card=outcome-{gaps['o4'].pk}#outcome-{gaps['o4'].pk}" in page
    assert f"{board}?card=feature-{gaps['f2'].pk}#feature-{gaps['f2'].pk}" in page
    assert (
        reverse("metrics:keyresult_detail", args=[product.slug, gaps["stale"].pk])
        in page
    )
    assert 'id="alignment-score"' in page


def test_line_of_sight_page_renders_for_viewers_without_fix_links(
    viewer_client, product, gaps
):
    """Viewers read the tree and the gaps but are not sent to edit pages."""
    response = viewer_client.get(reverse("roadmap:line_of_sight", args=[product.slug]))

    assert response.status_code == 200
    assert "Goal nobody serves" in response.text
    assert "Add a key result" not in response.text


def test_line_of_sight_former_address_redirects_permanently(viewer_client, product):
    """Bookmarks of the page's former address still reach the line of sight."""
    # A bookmark holds the literal path, so the test asks for it as typed.
    response = viewer_client.get(f"/products/{product.slug}/alignment/")

    assert response.status_code == 301
    assert response["Location"] == reverse("roadmap:line_of_sight", args=[product.slug])


def test_line_of_sight_page_redirects_anonymous_visitors(client, product):
    response = client.get(reverse("roadmap:line_of_sight", args=[product.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("outcome_count", [10, 300])
def test_line_of_sight_page_query_count_is_constant(
    viewer_client, product, django_assert_num_queries, outcome_count
):
    """The tree is gathered in a fixed number of queries, however large."""
    goal = GoalFactory(product=product)
    metric = MetricFactory(product=product)
    MeasurementFactory(metric=metric, date=TODAY)
    outcomes = OutcomeFactory.create_batch(
        outcome_count, roadmap=product.roadmap, goal=goal
    )
    for outcome in outcomes[::2]:
        FeatureFactory(roadmap=product.roadmap, outcome=outcome)
        SuccessMetricFactory(
            roadmap=product.roadmap,
            outcome=outcome,
            key_result=KeyResultFactory(metric=metric, goal=goal),
        )

    # user (the session is cached), product with its members, roadmap, themes, goals, key results,
    # outcomes, success metrics, features, blocked dependencies, assumptions
    with django_assert_num_queries(11):
        response = viewer_client.get(
            reverse("roadmap:line_of_sight", args=[product.slug])
        )

    assert response.status_code == 200
