"""Reads for the product pages that reach into the roadmap above strategy.

Roadmap models live in an app above this one, so they are reached through
reverse relations by name, never imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from strategy.models import Goal, Product


def _roadmap_model() -> Any:
    return Product.roadmap.related.related_model


def _outcome_model() -> Any:
    return Goal.outcomes.rel.related_model


@dataclass(frozen=True)
class Horizon:
    value: str
    label: str
    hint: str


def horizons_for(product: Product) -> list[Horizon]:
    """Return the product's horizons in board order, with its own labels."""
    roadmap = product.roadmap_or_none()
    choices = _outcome_model()._meta.get_field("horizon").choices
    if roadmap is None:
        return [Horizon(value, str(label), "") for value, label in choices]
    return [Horizon(*entry) for entry in roadmap.horizons]


@dataclass
class HorizonSummary:
    horizon: Horizon
    total: int = 0
    statuses: list[tuple[str, str, int]] = field(default_factory=list)

    def segments(self) -> list[tuple[str, int, int]]:
        """(status, start, count) for each status, laid end to end (a bar's parts)."""
        start = 0
        parts = []
        for status, _label, count in self.statuses:
            parts.append((status, start, count))
            start += count
        return parts


def roadmap_summary(product: Product) -> list[HorizonSummary]:
    """Count the live outcomes on the product's board per horizon and status.

    Closed outcomes (achieved, missed, dropped) have left the board.
    """
    outcome_model = _outcome_model()
    status_labels = dict(outcome_model._meta.get_field("status").choices)
    rows = (
        outcome_model.objects.alive()
        .open()
        .filter(roadmap__product=product)
        .values_list("horizon", "status")
        .annotate(count=Count("id"))
        .order_by()
    )
    counts = {(horizon, status): count for horizon, status, count in rows}
    summaries = []
    for horizon in horizons_for(product):
        summary = HorizonSummary(horizon)
        for status, label in status_labels.items():
            count = counts.get((horizon.value, status), 0)
            if count:
                summary.statuses.append((status, label, count))
                summary.total += count
        summaries.append(summary)
    return summaries


def outcomes_by_horizon(goal: Goal) -> list[tuple[Horizon, list[Any]]]:
    """Return the board's outcomes serving goal, grouped by the horizons."""
    outcomes = list(goal.outcomes.alive().open().order_by("position", "id"))
    return [
        (horizon, [o for o in outcomes if o.horizon == horizon.value])
        for horizon in horizons_for(goal.product)
    ]


def review_schedule(product: Product) -> Any:
    """When the product's next review is due (the roadmap's ReviewSchedule)."""
    roadmap = product.roadmap_or_none() or _roadmap_model()(product=product)
    return roadmap.review_schedule()
