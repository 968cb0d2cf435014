"""Inline SVG charts, computed on the server: no chart library, no JavaScript.

Functions here turn values into coordinates; the templates in
templates/includes/ draw them. Board, metrics and portfolio pages share them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from metrics import progress as progress_maths
from metrics.formatting import format_value


@dataclass(frozen=True)
class Sparkline:
    width: int
    height: int
    points: str  # "x,y x,y ..." for an SVG polyline
    last_x: float
    last_y: float


def scale(values: Sequence[float], low: float, high: float, size: float) -> list[float]:
    """Map values onto 0..size, with the highest value at 0 (SVG's y grows down)."""
    span = high - low
    if span == 0:
        return [size / 2 for _ in values]
    return [size - (value - low) / span * size for value in values]


def sparkline(
    values: Sequence[Decimal | float],
    *,
    width: int = 120,
    height: int = 28,
    pad: int = 2,
) -> Sparkline | None:
    """Return a sparkline for values in time order, or None with fewer than two."""
    if len(values) < 2:
        return None
    numbers = [float(v) for v in values]
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / (len(numbers) - 1)
    xs = [pad + i * step for i in range(len(numbers))]
    ys = [pad + y for y in scale(numbers, min(numbers), max(numbers), inner_h)]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return Sparkline(
        width=width, height=height, points=points, last_x=xs[-1], last_y=ys[-1]
    )


class Target(Protocol):
    """What a chart needs from a key result: where it starts and where it ends."""

    baseline: Decimal
    target: Decimal
    start_date: dt.date
    due_date: dt.date


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Level:
    """A horizontal line across the plot: a key result's baseline or target."""

    y: float
    kind: str  # "baseline" or "target"
    label: str


@dataclass(frozen=True)
class Segment:
    """A key result's straight path from baseline at its start to target when due."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A vertical line at a day of the plot: a release, with its label."""

    x: float
    label: str


@dataclass(frozen=True)
class MetricChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    points: str  # the measurements, "x,y x,y ..." for an SVG polyline
    dots: tuple[Point, ...]
    levels: tuple[Level, ...]
    paths: tuple[Segment, ...]
    expected: tuple[Point, ...]  # where each key result should be today
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    today_x: float | None
    markers: tuple[Marker, ...] = ()


def nice_step(span: float, intervals: int) -> float:
    """Return a round step (1, 2, 2.5 or 5 times a power of ten) for axis ticks."""
    raw = span / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude * (1 + 1e-9):
            return multiple * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def nice_range(
    low: float, high: float, intervals: int = 4
) -> tuple[float, float, float]:
    """Widen low..high to whole steps, so the axis starts and ends on a tick."""
    if high == low:
        half = abs(low) * 0.1 or 1.0
        low, high = low - half, high + half
    step = nice_step(high - low, intervals)
    return (
        math.floor(low / step + 1e-9) * step,
        math.ceil(high / step - 1e-9) * step,
        step,
    )


def thin(items: Sequence[Any], limit: int) -> list[Any]:
    """Keep at most limit items, evenly spread, always the first and the last."""
    if len(items) <= limit:
        return list(items)
    last = len(items) - 1
    return [items[round(i * last / (limit - 1))] for i in range(limit)]


def date_label(day: dt.date, *, long_span: bool) -> str:
    return f"{day:%b %Y}" if long_span else f"{day.day} {day:%b}"


def metric_chart(
    measurements: Sequence[tuple[dt.date, Decimal | float]],
    targets: Sequence[Target] = (),
    *,
    today: dt.date,
    unit: str = "",
    width: int = 640,
    height: int = 240,
    margin: tuple[int, int, int, int] = (12, 16, 28, 56),  # top right bottom left
    max_points: int = 400,
    dots_up_to: int = 60,
    marks: Sequence[tuple[dt.date, str]] = (),
) -> MetricChart | None:
    """Lay out a metric over time with its key results' baselines, targets and paths.

    Measurements are (date, value) pairs in date order; marks are (date,
    label) pairs drawn as vertical lines where they fall within the plot
    (e.g. releases). Returns None when there is nothing to draw.
    """
    if not measurements and not targets:
        return None
    series = thin(measurements, max_points)
    top, right_margin, bottom_margin, left = margin
    right, bottom = width - right_margin, height - bottom_margin

    dates = [day for day, _ in series]
    dates += [t.start_date for t in targets] + [t.due_date for t in targets]
    first, last = min(dates), max(dates)
    day_span = (last - first).days

    def x_of(day: dt.date) -> float:
        if day_span == 0:
            return (left + right) / 2
        return left + (day - first).days / day_span * (right - left)

    values = [float(value) for _, value in series]
    values += [float(t.baseline) for t in targets] + [float(t.target) for t in targets]
    low, high, step = nice_range(min(values), max(values))

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    def fmt(value: float) -> str:
        return format_value(Decimal(str(round(value, 4))), unit, with_words=False)

    coords = [(x_of(day), y_of(float(value)), day, value) for day, value in series]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)
    dots: tuple[Point, ...] = ()
    if len(coords) <= dots_up_to:
        dots = tuple(
            Point(round(x, 1), round(y, 1), f"{day:%d %b %Y}: {fmt(float(value))}")
            for x, y, day, value in coords
        )

    levels: list[Level] = []
    paths: list[Segment] = []
    expected: list[Point] = []
    for t in targets:
        baseline, target = float(t.baseline), float(t.target)
        levels.append(
            Level(round(y_of(baseline), 1), "baseline", f"Baseline {fmt(baseline)}")
        )
        levels.append(Level(round(y_of(target), 1), "target", f"Target {fmt(target)}"))
        paths.append(
            Segment(
                round(x_of(t.start_date), 1),
                round(y_of(baseline), 1),
                round(x_of(t.due_date), 1),
                round(y_of(target), 1),
            )
        )
        if t.start_date <= today <= t.due_date and first <= today <= last:
            share = progress_maths.expected_progress(
                start=t.start_date, due=t.due_date, today=today
            )
            value = baseline + (target - baseline) * share
            expected.append(
                Point(
                    round(x_of(today), 1),
                    round(y_of(value), 1),
                    f"Expected today: {fmt(value)}",
                )
            )

    count = round((high - low) / step)
    y_ticks = tuple(
        Tick(round(y_of(low + i * step), 1), fmt(low + i * step))
        for i in range(count + 1)
    )
    long_span = day_span > 120
    tick_days = sorted(
        {first + dt.timedelta(days=round(day_span * i / 4)) for i in range(5)}
    )
    x_ticks = tuple(
        Tick(round(x_of(day), 1), date_label(day, long_span=long_span))
        for day in tick_days
    )
    return MetricChart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        points=points,
        dots=dots,
        levels=tuple(levels),
        paths=tuple(paths),
        expected=tuple(expected),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        today_x=round(x_of(today), 1) if first <= today <= last else None,
        markers=tuple(
            Marker(round(x_of(day), 1), label)
            for day, label in marks
            if first <= day <= last
        ),
    )
