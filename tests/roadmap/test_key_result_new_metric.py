"""A key result added from the board or an outcome, on a metric named in the
same form: one submit, one transaction, errors beside the fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import KeyResult, Metric
from roadmap import services
from roadmap.models import SuccessMetric
from strategy.models import HistoryEntry, Product
from tests.metrics.factories import MetricFactory
from tests.roadmap.factories import OutcomeFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def outcome(product):
    return OutcomeFactory(roadmap=product.roadmap, title="Dress faster")


def add_url(product) -> str:
    return reverse("roadmap:card_create", args=[product.slug, "success_metric"])


def post(client, product, outcome, **fields):
    data = {
        "horizon": "current",
        "outcome": outcome.pk,
        "metric": "",
        "new_metric-name": "Saved outfits",
        "new_metric-unit": "outfits",
        "new_metric-direction": "up",
        "goal": outcome.goal_id,
        "baseline": "100",
        "target": "300",
        "start_date": "2026-07-01",
        "due_date": "2027-06-30",
    }
    data.update(fields)
    return client.post(add_url(product), data, headers=HTMX)


def nothing_saved() -> None:
    assert not Metric.objects.exists()
    assert not KeyResult.objects.exists()
    assert not SuccessMetric.objects.exists()


def test_the_form_from_an_outcome_offers_a_new_metric_and_its_goal(
    editor_client, product, outcome
):
    MetricFactory(product=product, name="Weekly active users")

    response = editor_client.get(
        add_url(product),
        {"horizon": "current", "outcome": outcome.pk},
        headers=HTMX,
    )

    html = response.content.decode()
    assert "New metric (name it below)" in html
    assert "Weekly active users" in html
    for name in ("new_metric-name", "new_metric-unit", "new_metric-direction"):
        assert f'name="{name}"' in html
    assert f'<option value="{outcome.goal_id}" selected>' in html


def test_a_new_metric_and_its_key_result_are_made_in_one_submit(
    editor_client, product, outcome
):
    before = Product.objects.get(pk=product.pk).revision

    response = post(editor_client, product, outcome)

    assert response.status_code == 200
    metric = Metric.objects.get()
    assert (metric.product, metric.name, metric.unit, metric.direction) == (
        product,
        "Saved outfits",
        "outfits",
        "up",
    )
    card = SuccessMetric.objects.select_related("key_result").get()
    assert card.outcome == outcome
    assert card.key_result.metric == metric
    assert card.key_result.goal == outcome.goal
    assert card.key_result.target == Decimal("300")
    assert Product.objects.get(pk=product.pk).revision == before + 1
    created = HistoryEntry.objects.filter(action="created")
    assert sorted(created.values_list("item_kind", "item_id")) == sorted(
        [
            ("key_result", card.key_result.pk),
            ("metric", metric.pk),
            ("success_metric", card.pk),
        ]
    )
    assert "Increase saved outfits from 100 to 300" in response.content.decode()


def test_a_taken_name_is_refused_beside_the_field_and_nothing_is_saved(
    editor_client, product, outcome
):
    MetricFactory(product=product, name="Saved outfits")

    response = post(editor_client, product, outcome)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_newsuccess_metriccurrentkr_new_metric-name_error"' in html
    assert "This product already has a metric of that name." in html
    assert Metric.objects.count() == 1
    assert not KeyResult.objects.exists()
    assert not SuccessMetric.objects.exists()


def test_targets_are_checked_against_the_new_metrics_direction(
    editor_client, product, outcome
):
    response = post(editor_client, product, outcome, **{"new_metric-direction": "down"})

    html = response.content.decode()
    assert "Saved outfits should go down" in html
    assert 'id="id_newsuccess_metriccurrentkr_target_error"' in html
    assert 'value="Saved outfits"' in html  # what was typed stays
    nothing_saved()


def test_neither_a_metric_nor_a_new_name_is_refused(editor_client, product, outcome):
    response = post(editor_client, product, outcome, **{"new_metric-name": ""})

    html = response.content.decode()
    assert "Choose a metric, or name a new one below." in html
    nothing_saved()


def test_a_chosen_metric_and_a_new_name_together_are_refused(
    editor_client, product, outcome
):
    existing = MetricFactory(product=product, name="Weekly active users")

    response = post(editor_client, product, outcome, metric=existing.pk)

    assert "Choose “New metric” to add the metric named below" in (
        response.content.decode()
    )
    assert not KeyResult.objects.exists()
    assert Metric.objects.count() == 1


def test_an_existing_metric_still_works_without_a_new_name(
    editor_client, product, outcome
):
    existing = MetricFactory(product=product, name="Weekly active users")

    post(editor_client, product, outcome, metric=existing.pk, **{"new_metric-name": ""})

    assert SuccessMetric.objects.get().key_result.metric == existing
    assert Metric.objects.count() == 1


def test_the_metric_is_not_kept_when_the_key_result_cannot_be_saved(
    product, outcome, editor, monkeypatch
):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(KeyResult, "save", fail)
    card = SuccessMetric(outcome=outcome, horizon="current")
    key_result = KeyResult(
        baseline=Decimal(100),
        target=Decimal(300),
        start_date="2026-07-01",
        due_date="2027-06-30",
    )

    with pytest.raises(RuntimeError):
        services.card_create(
            roadmap=product.roadmap,
            card=card,
            actor=editor,
            key_result=key_result,
            new_metric={"name": "Saved outfits", "unit": "", "direction": "up"},
        )

    nothing_saved()
