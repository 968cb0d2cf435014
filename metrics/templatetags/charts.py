from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypedDict

from django import template
from django.utils import timezone

from metrics import charts
from metrics.formatting import format_value
from metrics.models import KeyResult, Measurement, Metric
from metrics.releases import Release

register = template.Library()


class ChartSize(TypedDict, total=False):
    """The size arguments of charts.metric_chart."""

    width: int
    height: int
    margin: tuple[int, int, int, int]
    dots_up_to: int


# Small charts on the metrics page; the metric page draws the full size.
COMPACT: ChartSize = {
    "width": 320,
    "height": 120,
    "margin": (8, 8, 20, 44),
    "dots_up_to": 0,
}
FULL: ChartSize = {"width": 760, "height": 280, "margin": (16, 12, 28, 60)}


@register.inclusion_tag("includes/_sparkline.html")
def sparkline(values: Sequence[Decimal | float], label: str = "") -> dict:
    """Draw a small line of values in time order, e.g. a key result's measurements."""
    return {"line": charts.sparkline(values), "label": label}


@register.inclusion_tag("metrics/chart.html")
def metric_chart(
    metric: Metric,
    measurements: Sequence[Measurement],
    key_results: Sequence[KeyResult] = (),
    compact: bool = False,
    releases: Sequence[Release] = (),
) -> dict:
    """Draw a metric over time with its key results' baselines, targets and paths.

    `releases` (metrics.releases) are marked as vertical lines.
    """
    size = COMPACT if compact else FULL
    chart = charts.metric_chart(
        [(m.date, m.value) for m in measurements],
        key_results,
        today=timezone.localdate(),
        unit=metric.unit,
        marks=[(release.date, release.label) for release in releases],
        **size,
    )
    return {"chart": chart, "metric": metric, "compact": compact}


@register.filter
def measure(value: Decimal | None, metric: Metric) -> str:
    """Show a value in the metric's unit: {{ value|measure:metric }}."""
    return metric.format(value)


@register.filter
def plain_measure(value: Decimal | None, metric: Metric) -> str:
    """Show a value with its unit's symbol only, as in a key result's statement."""
    return format_value(value, metric.unit, with_words=False)
