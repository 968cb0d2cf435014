from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from metrics.models import KeyResult, Measurement, Metric
from roadmap.demo import DEMO_SLUG, load_demo
from roadmap.done import load_done
from roadmap.models import (
    HORIZON_VALUES,
    OPEN_OUTCOME_STATUSES,
    Challenge,
    Feature,
    Horizon,
    Insight,
    Outcome,
    Review,
    ShareLink,
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
        ShareLink,
        Group,
        get_user_model(),
        get_user_model().groups.through,
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
        == 7
    )
    # The board's: the closed outcomes' key results are in the Done archive.
    assert (
        SuccessMetric.objects.filter(
            roadmap__product=demo, outcome__status__in=OPEN_OUTCOME_STATUSES
        ).count()
        == 6
    )
    assert (
        Feature.objects.filter(roadmap__product=demo, outcome__isnull=False).count()
        >= 7
    )
    assert TeamDependency.objects.exists()
    assert Insight.objects.filter(product=demo, outcome__isnull=False).exists()


def test_demo_users_are_an_editor_a_stakeholder_and_sales_and_support(demo):
    users = {user.username: user for user in get_user_model().objects.all()}

    assert can_edit(users["pm"], demo)
    assert not can_edit(users["stakeholder"], demo)
    assert not can_edit(users["sales"], demo)
    assert not can_edit(users["support"], demo)
    assert users["pm"].check_password("northstar-pm")
    assert users["support"].check_password("northstar-support")


def test_demo_support_user_can_sign_in(demo, client):
    assert client.login(username="support", password="northstar-support")


def test_demo_teams_are_groups_that_decide_a_requests_source(demo):
    users = {user.username: user for user in get_user_model().objects.all()}

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Sales",
        "Support",
        "Marketing",
    }
    assert list(users["sales"].groups.values_list("name", flat=True)) == ["Sales"]
    assert list(users["support"].groups.values_list("name", flat=True)) == ["Support"]
    assert not users["pm"].groups.exists()
    assert Insight.Source.for_user(users["sales"]) == Insight.Source.SALES
    assert Insight.Source.for_user(users["support"]) == Insight.Source.SUPPORT


@pytest.mark.parametrize("model", [Outcome, Feature])
def test_demo_soon_has_promised_unpromised_and_internal_items(demo, model):
    soon = model.objects.filter(roadmap__product=demo, horizon=Horizon.SOON)
    visible = soon.filter(is_customer_visible=True)

    assert visible.filter(safe_to_promise=True).exists()
    assert visible.filter(safe_to_promise=False).exists()
    assert soon.filter(is_customer_visible=False).exists()
    # Only what customers may hear about is ever safe to promise.
    assert not soon.filter(is_customer_visible=False, safe_to_promise=True).exists()
    assert not visible.filter(customer_summary="").exists()


def test_demo_soon_outcomes_differ_in_confidence(demo):
    soon = Outcome.objects.filter(roadmap__product=demo, horizon=Horizon.SOON)

    assert set(soon.values_list("confidence", flat=True)) == set(
        Outcome.Confidence.values
    )


def test_demo_requests_by_sales_and_support_come_from_their_team(demo):
    for username, source in [
        ("sales", Insight.Source.SALES),
        ("support", Insight.Source.SUPPORT),
    ]:
        requests = Insight.objects.filter(product=demo, author__username=username)
        assert requests.exists(), username
        assert set(requests.values_list("source", flat=True)) == {source}
        assert requests.exclude(account="").count() == requests.count()
    accounts = set(
        Insight.objects.filter(
            product=demo, author__username__in=["sales", "support"]
        ).values_list("account", flat=True)
    )
    assert {"Acme Retail", "Northwind Outfitters"} <= accounts


def test_demo_requests_on_soon_items_repeat_and_differ_by_account(demo):
    requests = Insight.objects.filter(
        product=demo,
        author__username__in=["sales", "support"],
        feature__horizon=Horizon.SOON,
    )
    by_feature: dict[int, list[str]] = {}
    for feature_id, account in requests.values_list("feature", "account"):
        by_feature.setdefault(feature_id, []).append(account)

    assert any(len(set(accounts)) >= 2 for accounts in by_feature.values())
    assert any(len(accounts) > len(set(accounts)) for accounts in by_feature.values())


def test_demo_issues_one_share_link_per_scope_storing_only_the_hash(demo):
    result = load_demo(today=TODAY, reset=True)
    links = ShareLink.objects.filter(product=result.product)

    assert sorted(links.values_list("scope", flat=True)) == sorted(
        ShareLink.Scope.values
    )
    assert len(result.shares) == 2
    for share in result.shares:
        stored = ShareLink.objects.get(pk=share.link.pk)
        assert stored.token_hash == ShareLink.hash_secret(share.secret)
        assert stored.token_hash != share.secret
        assert share.secret not in {
            str(value)
            for value in ShareLink.objects.filter(pk=stored.pk).values().get().values()
        }
        assert stored.is_valid(TODAY)


def test_loading_the_demo_twice_duplicates_nothing(demo):
    before = counts()

    result = load_demo(today=TODAY)

    assert not result.created
    assert counts() == before


def test_reset_reloads_the_demo_from_scratch(demo):
    Outcome.objects.filter(roadmap__product=demo).delete()

    result = load_demo(today=TODAY, reset=True)

    assert result.created
    outcomes = Outcome.objects.filter(roadmap__product__slug=DEMO_SLUG)
    assert outcomes.open().count() == 7
    assert outcomes.closed().count() == 2


def test_load_demo_command_prints_the_sign_ins(capsys):
    call_command("load_demo")

    out = capsys.readouterr().out
    assert "Loaded the demo product" in out
    assert "pm" in out
    assert "northstar-pm" in out
    assert "northstar-support" in out


def share_urls(out: str) -> list[str]:
    return re.findall(r"\S*/s/[\w-]+/", out)


def test_load_demo_command_prints_working_share_urls(capsys, client):
    call_command("load_demo", "--base-url", "http://127.0.0.1:8000/")

    out = capsys.readouterr().out
    urls = share_urls(out)
    assert len(urls) == 2
    for url in urls:
        assert url.startswith("http://127.0.0.1:8000/s/")
        secret = url.rstrip("/").rsplit("/", 1)[1]
        assert ShareLink.objects.filter(
            token_hash=ShareLink.hash_secret(secret)
        ).exists()
        assert client.get(url.removeprefix("http://127.0.0.1:8000")).status_code == 200
    assert "Internal" in out
    assert "Customer-safe" in out


def test_load_demo_command_says_where_to_look(capsys):
    call_command("load_demo")

    out = capsys.readouterr().out
    assert "/soon/" in out
    assert "/notifications/" in out
    assert reverse("roadmap:share_links", args=[DEMO_SLUG]) in out


def test_load_demo_if_empty_twice_duplicates_nothing(capsys):
    call_command("load_demo", "--if-empty")
    first = capsys.readouterr().out
    before = counts()

    call_command("load_demo", "--if-empty")

    second = capsys.readouterr().out
    assert counts() == before
    assert len(share_urls(first)) == 2
    # The secrets were printed once; a second run cannot show them again.
    assert share_urls(second) == []
    assert "not loaded" in second
    assert "northstar-support" in second


def test_load_demo_if_empty_leaves_an_existing_installation_alone(capsys):
    Product.objects.create(name="Our own product", slug="own")

    call_command("load_demo", "--if-empty")

    assert not Product.objects.filter(slug=DEMO_SLUG).exists()
    assert "not loaded" in capsys.readouterr().out


def test_demo_has_a_closed_review_and_an_achieved_and_a_missed_outcome(demo):
    review = Review.objects.get(roadmap__product=demo)
    done = load_done(demo.roadmap, 1)
    schedule = demo.roadmap.review_schedule(today=TODAY)

    assert not review.is_open
    assert review.snapshot.kind == "review"
    assert {v.verdict for v in review.verdicts.all()} == {"keep", "change"}
    assert all(v.evidence["key_results"] for v in review.verdicts.all())
    assert schedule.due_on == TODAY + dt.timedelta(weeks=1, days=2)
    assert not schedule.is_overdue
    assert sorted((o.status, o.hit_count) for o in done) == [
        ("achieved", 1),
        ("missed", 0),
    ]
    assert all(o.learning for o in done)
