"""Did a release move the metric? Its key result before and after, in words.

The comparison is plain arithmetic over the measurements of the 4 weeks
before a release and the 4 weeks from it: the averages, their difference
and how many measurements each holds. It makes no causal claim.

Releases are features of the roadmap app above this one; they are read
through reverse relations by name (a key result's success metric card, its
outcome, the outcome's features), never by importing roadmap models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from metrics.formatting import format_number, format_value
from metrics.models import KeyResult

WINDOW = dt.timedelta(weeks=4)
# Fewer measurements than this on either side is too few to compare.
MIN_MEASUREMENTS = 2


@dataclass(frozen=True)
class Release:
    date: dt.date
    title: str

    @property
    def label(self) -> str:
        return f"Released “{self.title}” on {self.date:%-d %b %Y}"


def releases_for(key_result_ids: Iterable[int]) -> list[Release]:
    """The releases of the features serving these key results' outcomes.

    One query; each release once, in date order.
    """
    ids = list(key_result_ids)
    if not ids:
        return []
    prefix = "success_metric__outcome__features__"
    rows = (
        KeyResult.objects.filter(
            pk__in=ids,
            success_metric__deleted_at__isnull=True,
            success_metric__outcome__deleted_at__isnull=True,
            **{f"{prefix}released_on__isnull": False},
            **{f"{prefix}deleted_at__isnull": True},
        )
        .order_by()
        .values_list(f"{prefix}released_on", f"{prefix}title")
        .distinct()
    )
    return sorted({Release(day, title) for day, title in rows}, key=_order)


def _order(release: Release) -> tuple[dt.date, str]:
    return (release.date, release.title)


def mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, Decimal(0)) / len(values) if values else None


@dataclass(frozen=True)
class ReleaseComparison:
    released_on: dt.date
    unit: str
    before: tuple[Decimal, ...]
    after: tuple[Decimal, ...]
    # The 4 weeks after the release are not over yet.
    is_partial: bool

    @property
    def before_mean(self) -> Decimal | None:
        return mean(self.before)

    @property
    def after_mean(self) -> Decimal | None:
        return mean(self.after)

    @property
    def has_enough(self) -> bool:
        return min(len(self.before), len(self.after)) >= MIN_MEASUREMENTS

    @property
    def difference(self) -> Decimal | None:
        if not self.has_enough:
            return None
        assert self.before_mean is not None
        assert self.after_mean is not None
        return self.after_mean - self.before_mean

    def amount(self, value: Decimal) -> str:
        """A signed change in the key result's unit: "+2.1 points", "−€3"."""
        rounded = abs(value).quantize(Decimal("0.1")).normalize()
        sign = "+" if value > 0 else "−" if value < 0 and rounded else "±"
        if self.unit == "%":
            return f"{sign}{format_number(rounded)} points"
        return f"{sign}{format_value(rounded, self.unit)}"

    @property
    def counts(self) -> str:
        before, after = len(self.before), len(self.after)
        noun = "measurement" if before == after == 1 else "measurements"
        return f"{before} and {after} {noun}"

    @property
    def words(self) -> str:
        """The comparison in plain words, or why there is none."""
        when = "After release so far" if self.is_partial else "After release"
        if self.difference is None:
            return (
                f"Too few measurements to compare: {len(self.before)} in the 4 "
                f"weeks before the release and {len(self.after)} from it "
                f"(at least {MIN_MEASUREMENTS} on each side are needed)."
            )
        return (
            f"{when}: {self.amount(self.difference)} vs the 4 weeks before "
            f"({self.counts})"
        )

    @property
    def means(self) -> str:
        """The two averages, e.g. "average 31.2% before, 33.3% after"."""
        if self.before_mean is None or self.after_mean is None:
            return ""
        before = format_value(self.before_mean.quantize(Decimal("0.1")), self.unit)
        after = format_value(self.after_mean.quantize(Decimal("0.1")), self.unit)
        return f"Average {before} before, {after} after."


def compare_release(
    measurements: Iterable[tuple[dt.date, Decimal]],
    released_on: dt.date,
    *,
    unit: str = "",
    today: dt.date,
) -> ReleaseComparison:
    """Compare the 4 weeks before the release day with the 4 weeks from it.

    Before: the 28 days up to the day before the release. After: the
    release day and the 27 days after it.
    """
    start, end = released_on - WINDOW, released_on + WINDOW
    before, after = [], []
    for day, value in sorted(measurements):
        if start <= day < released_on:
            before.append(Decimal(value))
        elif released_on <= day < end:
            after.append(Decimal(value))
    return ReleaseComparison(
        released_on=released_on,
        unit=unit,
        before=tuple(before),
        after=tuple(after),
        is_partial=today < end - dt.timedelta(days=1),
    )
