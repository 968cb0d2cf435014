from __future__ import annotations

from decimal import Decimal

from metrics.charts import sparkline


def test_sparkline_spans_the_width_and_puts_the_highest_value_on_top():
    line = sparkline([Decimal(1), Decimal(3), Decimal(2)], width=104, height=24, pad=2)

    assert line.points == "2.0,22.0 52.0,2.0 102.0,12.0"


def test_sparkline_of_a_flat_series_is_drawn_through_the_middle():
    line = sparkline([5, 5], width=24, height=24, pad=2)

    assert line.points == "2.0,12.0 22.0,12.0"


def test_sparkline_needs_two_values():
    assert sparkline([Decimal(1)]) is None
