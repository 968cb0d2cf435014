"""A new roadmap's first minute: one outcome, how it is measured, a first bet.

A product manager facing an empty board fills one form and gets the outcome
roadmap's spine in one step: a desired outcome (optionally serving a goal), a
success metric card with its key result on a new metric, and a feature that
should move the outcome, all in the same horizon and linked to each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from metrics.models import KeyResult, Metric
from roadmap import services
from roadmap.models import Feature, Outcome, SuccessMetric
from strategy.models import Goal, Product


@dataclass(frozen=True)
class FirstKeyResult:
    metric_name: str
    unit: str
    baseline: Decimal
    target: Decimal
    start_date: dt.date
    due_date: dt.date


@transaction.atomic
def start_roadmap(
    *,
    product: Product,
    actor: Any,
    outcome_title: str,
    horizon: str,
    goal: Goal | None = None,
    key_result: FirstKeyResult | None = None,
    feature_title: str = "",
) -> Outcome:
    """Create the first outcome with its key result and feature; all or nothing."""
    roadmap = services.roadmap_for_write(product)
    outcome = Outcome(title=outcome_title, goal=goal, horizon=horizon)
    services.card_create(roadmap=roadmap, card=outcome, actor=actor)
    if key_result is not None:
        services.card_create(
            roadmap=roadmap,
            card=SuccessMetric(outcome=outcome, horizon=horizon),
            actor=actor,
            new_metric={
                "name": key_result.metric_name,
                "unit": key_result.unit,
                "direction": Metric.Direction.DOWN
                if key_result.target < key_result.baseline
                else Metric.Direction.UP,
            },
            key_result=KeyResult(
                goal=goal,
                baseline=key_result.baseline,
                target=key_result.target,
                start_date=key_result.start_date,
                due_date=key_result.due_date,
            ),
        )
    if feature_title:
        services.card_create(
            roadmap=roadmap,
            card=Feature(title=feature_title, outcome=outcome, horizon=horizon),
            actor=actor,
        )
    return outcome
