"""Snapshots freeze a product's whole plan as one plan document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from metrics import services as metric_services
from roadmap import services
from roadmap.models import Snapshot, SnapshotKind
from roadmap.schemas import PLAN_SCHEMA_VERSION
from roadmap.snapshots import (
    SnapshotError,
    snapshot_plan,
    take_monthly_snapshot_if_due,
    take_snapshot,
)
from strategy.models import Product
from tests.metrics.factories import MeasurementFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    SuccessMetricFactory,
    TeamDependencyFactory,
    TeamFactory,
)
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db


def moment(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def plan(product):
    """A small plan with one of everything a snapshot keeps."""
    roadmap = product.roadmap
    outcome = OutcomeFactory(
        roadmap=roadmap, title="Shoppers find outfits faster", horizon="soon"
    )
    outcome.teams.add(TeamFactory(name="Search"))
    ChallengeFactory(roadmap=roadmap, outcome=outcome, title="Catalogue tags are thin")
    card = SuccessMetricFactory(roadmap=roadmap, outcome=outcome, horizon="soon")
    MeasurementFactory(metric=card.key_result.metric, value=Decimal("240"))
    FeatureFactory(roadmap=roadmap, outcome=outcome, title="Outfit search")
    TeamDependencyFactory(outcome=outcome, team=TeamFactory(name="Data"))
    return product


def test_a_snapshot_holds_the_whole_plan_in_the_plan_schema(plan, editor):
    snapshot = take_snapshot(
        plan, name="Before Q1 planning", kind=SnapshotKind.MANUAL, user=editor
    )

    snapshot.refresh_from_db()
    doc = snapshot_plan(snapshot)
    assert snapshot.name == "Before Q1 planning"
    assert snapshot.kind == "manual"
    assert snapshot.taken_by == editor
    assert snapshot.schema_version == doc.schema_version == PLAN_SCHEMA_VERSION
    assert doc.product.vision_statement == "Every outfit, effortless."
    assert {g.theme for g in doc.goals} == {t.key for t in doc.themes}
    assert [o.title for o in doc.board.outcomes] == ["Shoppers find outfits faster"]
    assert [c.title for c in doc.board.challenges] == ["Catalogue tags are thin"]
    assert [f.title for f in doc.board.features] == ["Outfit search"]
    assert len(doc.board.success_metrics) == 1
    assert [k.current for k in doc.key_results] == [Decimal("240")]
    assert [m.measurements[0].value for m in doc.metrics] == [Decimal("240")]
    assert [d.status for d in doc.dependencies] == ["needed"]
    assert sorted(t.name for t in doc.teams) == ["Data", "Search"]
    assert snapshot.size == len(doc.model_dump_json().encode())
    assert snapshot.revision == Product.objects.get(pk=plan.pk).revision


def test_every_item_carries_its_database_id_to_match_it_in_another_snapshot(
    plan, editor
):
    first = snapshot_plan(take_snapshot(plan, name="A", kind="manual", user=editor))
    OutcomeFactory(roadmap=plan.roadmap, title="Earlier outcome", position=0)
    second = snapshot_plan(take_snapshot(plan, name="B", kind="manual", user=editor))

    outcome = plan.roadmap.outcomes.get(title="Shoppers find outfits faster")
    by_id = {o.id: o.key for o in second.board.outcomes}
    assert [o.id for o in first.board.outcomes] == [outcome.pk]
    assert outcome.pk in by_id
    for section in (second.themes, second.goals, second.metrics, second.key_results):
        assert all(item.id for item in section)
    for cards in (second.board.challenges, second.board.features):
        assert all(item.id for item in cards)


def test_a_snapshot_is_frozen_when_the_plan_changes_later(plan, editor):
    snapshot = take_snapshot(plan, name="Then", kind="review", user=editor)
    plan.roadmap.outcomes.update(title="Renamed later")

    snapshot.refresh_from_db()
    assert snapshot_plan(snapshot).board.outcomes[0].title == (
        "Shoppers find outfits faster"
    )


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("   ", "manual", "needs a name"),
        ("Q1", "weekly", "Unknown kind"),
    ],
)
def test_a_snapshot_needs_a_name_and_a_known_kind(plan, name, kind, message):
    with pytest.raises(SnapshotError, match=message):
        take_snapshot(plan, name=name, kind=kind, user=None)
    assert not Snapshot.objects.exists()


def test_a_snapshot_of_a_product_without_a_roadmap_is_the_plan_without_cards():
    product = ProductFactory(name="Bare")
    snapshot = take_snapshot(product, name="Empty", kind="manual", user=None)

    doc = snapshot_plan(snapshot)
    assert doc.board.outcomes == []
    assert snapshot.taken_by is None


# --- The monthly snapshot ------------------------------------------------------


def age(product: Product, created: dt.datetime) -> None:
    Product.objects.filter(pk=product.pk).update(created_at=created)


def rename(product: Product, title: str, actor) -> None:
    outcome = product.roadmap.outcomes.get()
    services.card_update(
        roadmap=product.roadmap,
        card=outcome,
        version=outcome.version,
        values={"title": title},
        actor=actor,
    )


def test_the_first_change_of_a_month_freezes_the_plan_as_the_month_found_it(
    product, editor, monkeypatch
):
    OutcomeFactory(roadmap=product.roadmap, title="October's title")
    age(product, moment(2026, 10, 2))

    monkeypatch.setattr(timezone, "now", lambda: moment(2026, 11, 3))
    rename(product, "First change of November", editor)
    monkeypatch.setattr(timezone, "now", lambda: moment(2026, 11, 20))
    rename(product, "Second change of November", editor)

    monthly = Snapshot.objects.get(kind=SnapshotKind.MONTHLY)
    assert monthly.name == "Start of November 2026"
    assert monthly.taken_at == moment(2026, 11, 3)
    assert monthly.taken_by is None
    assert snapshot_plan(monthly).board.outcomes[0].title == "October's title"

    monkeypatch.setattr(timezone, "now", lambda: moment(2026, 12, 1, 0))
    rename(product, "First change of December", editor)

    names = list(Snapshot.objects.filter(kind="monthly").values_list("name", flat=True))
    assert names == ["Start of December 2026", "Start of November 2026"]
    december = Snapshot.objects.get(name="Start of December 2026")
    assert snapshot_plan(december).board.outcomes[0].title == (
        "Second change of November"
    )


def test_any_service_write_counts_as_the_month_s_first_change(
    product, editor, monkeypatch
):
    """A metric's new measurement is a change too, not only a card's."""
    card = SuccessMetricFactory(roadmap=product.roadmap)
    age(product, moment(2026, 10, 2))
    monkeypatch.setattr(timezone, "now", lambda: moment(2026, 11, 14))

    metric_services.measurement_create(
        metric=card.key_result.metric,
        values={"date": dt.date(2026, 11, 14), "value": Decimal("310")},
        actor=editor,
    )

    monthly = Snapshot.objects.get(kind="monthly")
    assert snapshot_plan(monthly).key_results[0].current is None


def test_a_product_created_this_month_has_no_start_of_month_to_keep(
    product, editor, monkeypatch
):
    OutcomeFactory(roadmap=product.roadmap)
    age(product, moment(2026, 11, 2))
    monkeypatch.setattr(timezone, "now", lambda: moment(2026, 11, 3))

    rename(product, "Renamed", editor)

    assert not Snapshot.objects.exists()


def test_a_manual_snapshot_does_not_stand_in_for_the_monthly_one(product, editor):
    take_snapshot(product, name="By hand", kind="manual", user=editor)
    product.refresh_from_db()

    taken = take_monthly_snapshot_if_due(
        product.pk, moment(2026, 10, 2), now=moment(2026, 11, 3)
    )
    again = take_monthly_snapshot_if_due(
        product.pk, moment(2026, 10, 2), now=moment(2026, 11, 4)
    )

    assert taken is not None
    assert taken.kind == "monthly"
    assert again is None


def test_an_import_over_the_plan_is_a_first_change_like_any_other(
    product, editor, monkeypatch
):
    from roadmap.exchange import plan_document
    from roadmap.importing import plan_import

    OutcomeFactory(roadmap=product.roadmap, title="Kept")
    doc = plan_document(product)
    doc.product.vision_statement = "A new vision from the imported file"
    age(product, moment(2026, 10, 2))
    monkeypatch.setattr(timezone, "now", lambda: moment(2026, 11, 3))

    plan_import(doc=doc, product=product)

    monthly = snapshot_plan(Snapshot.objects.get(kind="monthly"))
    assert monthly.product.vision_statement == "Every outfit, effortless."
    product.refresh_from_db()
    assert product.vision_statement == "A new vision from the imported file"
