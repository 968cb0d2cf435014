from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from metrics.models import KeyResult, Measurement, Metric
from roadmap.generator import MEASUREMENTS_PER_METRIC, Size, generate_roadmap
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    Feature,
    Outcome,
    SuccessMetric,
    Team,
    TeamDependency,
)
from strategy.models import Goal, Product
from strategy.permissions import can_edit
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)
SCALE = 0.02
CARDS = [Outcome, Challenge, SuccessMetric, Feature]


@pytest.fixture
def generated():
    return generate_roadmap(slug="large", scale=SCALE, today=TODAY).product


def card_counts(product: Product) -> dict[str, int]:
    return {
        model.__name__: model.objects.filter(roadmap__product=product).count()
        for model in CARDS
    }


def test_size_rounds_each_count_and_keeps_at_least_one():
    size = Size.for_scale(0.02)

    assert (size.outcomes, size.challenges, size.key_results, size.features) == (
        6,
        6,
        6,
        20,
    )
    assert (size.themes, size.goals) == (1, 1)
    assert Size.for_scale(4).cards == 7600


@pytest.mark.parametrize("scale", [0, -1, float("nan"), float("inf")])
def test_size_refuses_a_scale_that_is_not_a_positive_number(scale):
    with pytest.raises(ValueError, match="positive"):
        Size.for_scale(scale)


def test_generate_makes_the_expected_count_of_each_kind(generated):
    assert card_counts(generated) == {
        "Outcome": 6,
        "Challenge": 6,
        "SuccessMetric": 6,
        "Feature": 20,
    }
    assert Metric.objects.filter(product=generated).count() == 6
    assert KeyResult.objects.for_product(generated).count() == 6
    assert (
        Measurement.objects.for_product(generated).count()
        == 6 * MEASUREMENTS_PER_METRIC
    )
    assert generated.themes.count() == 1
    assert generated.goals.count() == 1
    assert Team.objects.count() == 8
    assert TeamDependency.objects.count() == 2


def test_generate_puts_every_card_in_a_horizon_at_its_own_position(generated):
    for model in CARDS:
        cards = model.objects.filter(roadmap__product=generated)
        places = list(cards.values_list("horizon", "position"))

        assert {horizon for horizon, _ in places} <= set(HORIZON_VALUES)
        assert len(set(places)) == len(places), model.__name__


def test_generate_links_stay_within_the_product(generated):
    roadmap = generated.roadmap
    for model in [Challenge, SuccessMetric, Feature]:
        linked = model.objects.filter(roadmap=roadmap, outcome__isnull=False)

        assert linked.exists()
        assert not linked.exclude(outcome__roadmap=roadmap).exists()
    assert not Outcome.objects.filter(roadmap=roadmap, goal__isnull=False).exclude(
        goal__product=generated
    )
    assert not KeyResult.objects.filter(success_metric__roadmap=roadmap).exclude(
        metric__product=generated
    )
    assert (
        not KeyResult.objects.for_product(generated)
        .filter(goal__isnull=False)
        .exclude(goal__product=generated)
    )
    assert not Goal.objects.filter(product=generated).exclude(theme__product=generated)
    assert not TeamDependency.objects.exclude(outcome__roadmap=roadmap).exclude(
        feature__roadmap=roadmap
    )


def test_generate_records_one_measurement_per_metric_and_date(generated):
    per_metric = (
        Measurement.objects.for_product(generated)
        .values("metric")
        .annotate(dates=Count("date", distinct=True), rows=Count("id"))
    )

    assert {(row["dates"], row["rows"]) for row in per_metric} == {
        (MEASUREMENTS_PER_METRIC, MEASUREMENTS_PER_METRIC)
    }
    assert not Measurement.objects.for_product(generated).filter(date__gt=TODAY)


def test_generate_bumps_the_plan_revision(generated):
    generated.refresh_from_db()

    assert generated.revision > 1


def test_generate_refreshes_the_planners_statistics_of_what_it_filled():
    """Without it the planner, until autovacuum runs, plans the board's reads
    for empty tables and sorts whole cells instead of walking their index."""
    with CaptureQueriesContext(connection) as queries:
        generate_roadmap(slug="large", scale=SCALE, today=TODAY)

    analyzed = {
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")
    }
    for model in (Outcome, Challenge, SuccessMetric, Feature, Measurement):
        assert f'ANALYZE "{model._meta.db_table}"' in analyzed


def test_generate_reuses_the_shared_teams_by_name():
    Team.objects.create(name="Growth")

    generate_roadmap(slug="one", scale=SCALE, today=TODAY)
    generate_roadmap(slug="two", scale=SCALE, today=TODAY)

    assert Team.objects.count() == 8


def test_command_refuses_an_existing_slug_and_changes_nothing():
    product = ProductFactory(slug="large", name="Our own")

    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_roadmap", "large", "--scale", str(SCALE))

    product.refresh_from_db()
    assert product.name == "Our own"
    assert Product.objects.count() == 1
    assert not Outcome.objects.exists()


def test_command_replace_generates_the_product_again(capsys):
    call_command("generate_roadmap", "large", "--scale", str(SCALE))
    first = Product.objects.get(slug="large")
    outcome_ids = set(Outcome.objects.values_list("pk", flat=True))

    call_command("generate_roadmap", "large", "--scale", str(SCALE), "--replace")

    second = Product.objects.get(slug="large")
    assert second.pk != first.pk
    assert card_counts(second)["Outcome"] == 6
    assert not Outcome.objects.filter(pk__in=outcome_ids).exists()
    assert Metric.objects.count() == 6
    assert "Generated" in capsys.readouterr().out


def test_command_gives_the_editor_edit_rights():
    user = UserFactory(username="pm")

    call_command("generate_roadmap", "large", "--scale", str(SCALE), "--editor", "pm")

    assert can_edit(user, Product.objects.get(slug="large"))


def test_command_refuses_an_unknown_editor():
    with pytest.raises(CommandError, match="no user"):
        call_command(
            "generate_roadmap", "large", "--scale", str(SCALE), "--editor", "nobody"
        )

    assert not Product.objects.exists()


@pytest.mark.parametrize("scale", ["0", "-2", "many"])
def test_command_refuses_a_scale_that_is_not_a_positive_number(scale):
    with pytest.raises(CommandError, match="positive number"):
        call_command("generate_roadmap", "large", "--scale", scale)
