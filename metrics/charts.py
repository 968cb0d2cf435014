"""Inline SVG charts, computed on the server: no chart library, no JavaScript.

Functions here turn values into coordinates; the templates in
templates/includes/ draw them. Board, metrics and portfolio pages share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


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
