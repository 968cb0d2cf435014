from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from metrics.charts import (
    Level,
    Point,
    Segment,
    Tick,
    metric_chart,
    nice_range,
    sparkline,
)


def test_sparkline_spans_the_width_and_puts_the_highest_value_on_top():
    line = sparkline([Decimal(1), Decimal(3), Decimal(2)], width=104, height=24, pad=2)

    assert line.points == "2.0,22.0 52.0,2.0 102.0,12.0"


def test_sparkline_of_a_flat_series_is_drawn_through_the_middle():
    line = sparkline([5, 5], width=24, height=24, pad=2)

    assert line.points == "2.0,12.0 22.0,12.0"


def test_sparkline_needs_two_values():
    assert sparkline([Decimal(1)]) is None


# The full metric chart

JAN = [dt.date(2026, 1, 1), dt.date(2026, 1, 11), dt.date(2026, 1, 21)]
SIZE = {"width": 240, "height": 120, "margin": (10, 10, 20, 40)}


@dataclass
class Target:
    baseline: Decimal
    target: Decimal
    start_date: dt.date
    due_date: dt.date


def test_metric_chart_places_measurements_on_a_nice_scale():
    chart = metric_chart(
        list(zip(JAN, [Decimal(100), Decimal(150), Decimal(200)], strict=True)),
        today=dt.date(2026, 6, 1),
        **SIZE,
    )

    assert chart.points == "40.0,100.0 135.0,55.0 230.0,10.0"
    assert [(t.position, t.label) for t in chart.y_ticks] == [
        (100.0, "100"),
        (77.5, "125"),
        (55.0, "150"),
        (32.5, "175"),
        (10.0, "200"),
    ]
    assert chart.x_ticks[0] == Tick(40.0, "1 Jan")
    assert chart.x_ticks[-1] == Tick(230.0, "21 Jan")
    assert chart.today_x is None


def test_metric_chart_draws_baseline_target_path_and_todays_expected_value():
    target = Target(Decimal(100), Decimal(300), JAN[0], JAN[2])

    chart = metric_chart(
        list(zip(JAN, [Decimal(100), Decimal(150), Decimal(200)], strict=True)),
        [target],
        today=JAN[1],
        unit="users",
        **SIZE,
    )

    assert chart.points == "40.0,100.0 135.0,77.5 230.0,55.0"
    assert chart.levels == (
        Level(100.0, "baseline", "Baseline 100"),
        Level(10.0, "target", "Target 300"),
    )
    assert chart.paths == (Segment(40.0, 100.0, 230.0, 10.0),)
    assert chart.expected == (Point(135.0, 55.0, "Expected today: 200"),)
    assert chart.today_x == 135.0


def test_metric_chart_of_a_decreasing_target_puts_the_target_below_the_baseline():
    target = Target(Decimal(40), Decimal(20), JAN[0], JAN[2])

    chart = metric_chart([(JAN[0], Decimal(40))], [target], today=JAN[2], **SIZE)

    baseline, goal = chart.levels
    assert baseline.y < goal.y  # lower on screen means a larger y
    assert chart.paths == (Segment(40.0, 10.0, 230.0, 100.0),)
    assert chart.expected == (Point(230.0, 100.0, "Expected today: 20"),)


def test_metric_chart_of_one_flat_value_centres_it():
    chart = metric_chart([(JAN[0], Decimal(5))], today=JAN[0], **SIZE)

    assert chart.points == "135.0,55.0"


def test_metric_chart_thins_long_series_but_keeps_the_ends():
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(5000)]

    chart = metric_chart(
        [(d, i) for i, d in enumerate(days)], today=days[-1], max_points=400, **SIZE
    )

    points = chart.points.split()
    assert len(points) == 400
    assert points[0] == "40.0,100.0"
    assert points[-1] == "230.0,25.0"  # 4999 on a 0..6000 axis
    assert chart.dots == ()


def test_metric_chart_needs_data():
    assert metric_chart([], today=JAN[0]) is None


def test_nice_range_widens_to_whole_steps():
    assert nice_range(3, 97) == (0, 100, 25)
    assert nice_range(0.12, 0.31) == pytest.approx((0.1, 0.35, 0.05))
