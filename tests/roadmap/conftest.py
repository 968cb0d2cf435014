"""Fixtures shared by the snapshot tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metrics import services as metric_services
from roadmap import services
from roadmap.models import Feature, Outcome
from roadmap.snapshots import take_snapshot
from strategy import history
from strategy.models import HistoryEntry
from tests.metrics.factories import MeasurementFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    SuccessMetricFactory,
    TeamFactory,
)


@pytest.fixture
def changed_plan(product, editor):
    """A plan where each kind of difference happens once after a snapshot.

    Between the snapshot and now: one outcome moves Future -> Soon with a
    reason, one outcome is deleted, one outcome is added, one feature
    changes stage, one key result's metric gets a new value.
    """
    roadmap = product.roadmap
    moved = OutcomeFactory(
        roadmap=roadmap,
        title="Cut returns from wrong sizes",
        description="secret margin analysis",
        horizon="future",
        is_customer_visible=True,
        customer_summary="Better size advice on every product page",
    )
    moved.teams.add(TeamFactory(name="Team Wardrobe"))
    ChallengeFactory(
        roadmap=roadmap, outcome=moved, horizon="future", title="Fit data is sparse"
    )
    FeatureFactory(
        roadmap=roadmap,
        outcome=moved,
        horizon="future",
        title="Sizing model v2",
        stage="idea",
        is_customer_visible=True,
        customer_summary="A size finder that learns your fit",
    )
    OutcomeFactory(
        roadmap=roadmap,
        title="Retire the legacy wishlist",
        horizon="current",
        is_customer_visible=True,
        customer_summary="A simpler wishlist",
    )
    card = SuccessMetricFactory(roadmap=roadmap, outcome=moved, horizon="future")
    MeasurementFactory(
        metric=card.key_result.metric, date=dt.date(2026, 9, 1), value=Decimal("120")
    )
    snapshot = take_snapshot(
        product, name="Before Q1 planning", kind="manual", user=editor
    )

    result = services.card_move(
        roadmap=roadmap, card=moved, version=moved.version, actor=editor, horizon="soon"
    )
    history.add_reason(
        entry=HistoryEntry.objects.get(pk=result.entry_id),
        user=editor,
        reason="The sponsor wants fewer returns before spring",
    )
    gone = Outcome.objects.get(title="Retire the legacy wishlist")
    services.card_delete(
        roadmap=roadmap,
        card=gone,
        version=gone.version,
        actor=editor,
        reason="Wishlist sunset was cancelled",
    )
    services.card_create(
        roadmap=roadmap,
        card=Outcome(
            title="Stylists answer in chat",
            horizon="soon",
            is_customer_visible=True,
            customer_summary="Chat with a stylist",
        ),
        actor=editor,
    )
    feature = Feature.objects.get(title="Sizing model v2")
    services.card_update(
        roadmap=roadmap,
        card=feature,
        version=feature.version,
        values={"stage": "building"},
        actor=editor,
    )
    metric_services.measurement_create(
        metric=card.key_result.metric,
        values={"date": dt.date(2026, 11, 1), "value": Decimal("240")},
        actor=editor,
    )
    return snapshot
