"""Portfolio balance: each horizon's mix of outcome categories against a target.

Per horizon, two shares by category (growth, optimisation, innovation,
capability): of the live outcomes, and of the estimated effort (the
person-weeks of the horizon's features, by the category of the outcome each
serves; features serving no outcome are left out). Beside them, the target
mix the product manager sets. A horizon is flagged when a share is more than
WARN_POINTS away from its target in a category, or when all its outcomes are
of one category.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from roadmap.models import Feature, Horizon, Outcome, OutcomeCategory, Roadmap

WARN_POINTS = 20
CATEGORIES = tuple(OutcomeCategory.values)
CATEGORY_LABELS = dict(OutcomeCategory.choices)


@dataclass(frozen=True)
class Segment:
    """One category's part of a bar, laid out on a 0..100 axis."""

    category: str
    label: str
    amount: Decimal
    percent: float
    x: float

    @property
    def rounded(self) -> int:
        return round(self.percent)


@dataclass(frozen=True)
class Bar:
    """A stacked bar of shares by category (empty when nothing is counted)."""

    name: str  # "Outcomes", "Effort", "Target"
    total: Decimal
    segments: tuple[Segment, ...]

    @property
    def is_empty(self) -> bool:
        return not self.total

    def percent(self, category: str) -> float:
        for segment in self.segments:
            if segment.category == category:
                return segment.percent
        return 0.0

    @property
    def words(self) -> str:
        """The shares in words, for the chart's text alternative."""
        if self.is_empty:
            return "none"
        return ", ".join(
            f"{s.label} {s.rounded}%" for s in self.segments if s.percent > 0
        )


def bar(name: str, amounts: Mapping[str, Decimal | int]) -> Bar:
    """Lay out the amounts per category as shares of their total."""
    total = Decimal(sum(Decimal(amounts.get(c, 0)) for c in CATEGORIES))
    segments = []
    x = 0.0
    for category in CATEGORIES:
        amount = Decimal(amounts.get(category, 0))
        percent = float(amount / total * 100) if total else 0.0
        segments.append(
            Segment(category, CATEGORY_LABELS[category], amount, percent, round(x, 2))
        )
        x += percent
    return Bar(name, total, tuple(segments))


@dataclass(frozen=True)
class HorizonBalance:
    horizon: str
    label: str
    outcomes: Bar
    effort: Bar
    warnings: tuple[str, ...]


def warnings_for(
    label: str, outcomes: Bar, effort: Bar, target: Mapping[str, int] | None
) -> list[str]:
    """Name what is off in one horizon, in words."""
    found: list[str] = []
    held = [s for s in outcomes.segments if s.amount > 0]
    if len(held) == 1:
        found.append(f"{label} holds only {held[0].label.lower()} outcomes.")
    if target is None:
        return found
    for measured, noun in ((outcomes, "outcomes"), (effort, "estimated effort")):
        if measured.is_empty:
            continue
        off = [
            f"{CATEGORY_LABELS[category].lower()} {round(measured.percent(category))}% "
            f"(target {target[category]}%)"
            for category in CATEGORIES
            if abs(measured.percent(category) - target[category]) > WARN_POINTS
        ]
        if off:
            found.append(
                f"{label}: {noun} more than {WARN_POINTS} points off the target "
                f"mix: {', '.join(off)}."
            )
    return found


def balance(
    horizons: Iterable[tuple[str, str]],
    outcome_counts: Mapping[tuple[str, str], int],
    effort_weeks: Mapping[tuple[str, str], Decimal],
    target: Mapping[str, int] | None,
) -> list[HorizonBalance]:
    """Each horizon's bars and warnings.

    horizons: (value, label) in board order; outcome_counts and effort_weeks
    are keyed (horizon, category).
    """
    result = []
    for horizon, label in horizons:
        outcomes = bar(
            "Outcomes", {c: outcome_counts.get((horizon, c), 0) for c in CATEGORIES}
        )
        effort = bar(
            "Effort",
            {c: effort_weeks.get((horizon, c), Decimal(0)) for c in CATEGORIES},
        )
        result.append(
            HorizonBalance(
                horizon,
                label,
                outcomes,
                effort,
                tuple(warnings_for(label, outcomes, effort, target)),
            )
        )
    return result


@dataclass(frozen=True)
class Portfolio:
    horizons: list[HorizonBalance]
    target: Bar | None
    target_mix: dict[str, int] | None

    @property
    def warnings(self) -> list[str]:
        return [w for h in self.horizons for w in h.warnings]

    @property
    def is_empty(self) -> bool:
        return all(h.outcomes.is_empty for h in self.horizons)


def load_portfolio(roadmap: Roadmap | None) -> Portfolio:
    """Read a roadmap's balance in two queries (none without a roadmap)."""
    labels = (
        [(h, label) for h, label, _ in roadmap.horizons]
        if roadmap is not None
        else list(Horizon.choices)
    )
    counts: dict[tuple[str, str], int] = {}
    weeks: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    target_mix = roadmap.target_mix if roadmap is not None else None
    if roadmap is not None and roadmap.pk is not None:
        for horizon, category, count in (
            Outcome.objects.alive()
            .filter(roadmap=roadmap)
            .order_by()
            .values_list("horizon", "category")
            .annotate(count=Count("id"))
        ):
            counts[(horizon, category)] = count
        for horizon, category, total in (
            Feature.objects.alive()
            .filter(
                roadmap=roadmap,
                effort_weeks__isnull=False,
                outcome__isnull=False,
                outcome__deleted_at__isnull=True,
            )
            .order_by()
            .values_list("horizon", "outcome__category")
            .annotate(total=Sum("effort_weeks"))
        ):
            weeks[(horizon, category)] = total
    return Portfolio(
        horizons=balance(labels, counts, weeks, target_mix),
        target=bar("Target", target_mix) if target_mix else None,
        target_mix=target_mix,
    )
