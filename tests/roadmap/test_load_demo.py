from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from metrics.models import KeyResult, Measurement, Metric
from roadmap.demo import DEMO_SLUG, load_demo
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    Feature,
    Insight,
    Outcome,
    SuccessMetric,
    Team,
    TeamDependency,
)
from strategy.models import Company, Goal, Product, Theme
from strategy.permissions import can_edit

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)
ROWS = [Outcome, Challenge, SuccessMetric, Feature]


def counts() -> dict[str, int]:
    models = [
        Company,
        Product,
        Theme,
        Goal,
        Metric,
        Measurement,
        KeyResult,
        Team,
        TeamDependency,
        Insight,
        get_user_model(),
        *ROWS,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def demo():
    return load_demo(today=TODAY).product


def test_demo_fills_all_twelve_cells_of_the_board(demo):
    for model in ROWS:
        for horizon in HORIZON_VALUES:
            assert model.objects.filter(
                roadmap__product=demo, horizon=horizon
            ).exists(), f"{model.__name__} in {horizon}"


def test_demo_has_vision_three_themes_and_goals_with_key_results(demo):
    company = Company.load()

    assert company.name == "Fabrikam"
    assert company.vision
    assert demo.vision_statement
    assert demo.themes.count() == 3
    assert demo.goals.count() >= 3
    assert KeyResult.objects.filter(goal__product=demo).count() >= 5


def test_demo_metrics_have_six_months_of_measurements(demo):
    for metric in demo.metrics.all():
        dates = list(metric.measurements.values_list("date", flat=True))
        assert min(dates) <= TODAY - dt.timedelta(days=180), metric.name
        assert max(dates) >= TODAY - dt.timedelta(days=31), metric.name


def test_demo_cards_are_linked_to_each_other(demo):
    assert (
        not Outcome.objects.filter(roadmap__product=demo, goal__isnull=True).count() > 1
    )
    assert (
        Challenge.objects.filter(roadmap__product=demo, outcome__isnull=False).count()
        == 5
    )
    assert (
        SuccessMetric.objects.filter(
            roadmap__product=demo, outcome__isnull=False
        ).count()
        == 6
    )
    assert (
        Feature.objects.filter(roadmap__product=demo, outcome__isnull=False).count()
        >= 7
    )
    assert TeamDependency.objects.exists()
    assert Insight.objects.filter(product=demo, outcome__isnull=False).exists()


def test_demo_users_are_an_editor_a_stakeholder_and_a_sales_person(demo):
    users = {user.username: user for user in get_user_model().objects.all()}

    assert can_edit(users["pm"], demo)
    assert not can_edit(users["stakeholder"], demo)
    assert not can_edit(users["sales"], demo)
    assert users["pm"].check_password("northstar-pm")


def test_loading_the_demo_twice_duplicates_nothing(demo):
    before = counts()

    result = load_demo(today=TODAY)

    assert not result.created
    assert counts() == before


def test_reset_reloads_the_demo_from_scratch(demo):
    Outcome.objects.filter(roadmap__product=demo).delete()

    result = load_demo(today=TODAY, reset=True)

    assert result.created
    assert Outcome.objects.filter(roadmap__product__slug=DEMO_SLUG).count() == 6


def test_load_demo_command_prints_the_sign_ins(capsys):
    call_command("load_demo")

    out = capsys.readouterr().out
    assert "Loaded the demo product" in out
    assert "pm" in out
    assert "northstar-pm" in out


def test_load_demo_if_empty_leaves_an_existing_installation_alone(capsys):
    Product.objects.create(name="Our own product", slug="own")

    call_command("load_demo", "--if-empty")

    assert not Product.objects.filter(slug=DEMO_SLUG).exists()
    assert "not loaded" in capsys.readouterr().out
