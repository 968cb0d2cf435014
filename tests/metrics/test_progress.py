from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metrics.progress import Status, expected_progress, measure, progress, status

START = dt.date(2026, 1, 1)
DUE = dt.date(2026, 12, 31)
MIDYEAR = dt.date(2026, 7, 2)


def test_progress_of_increasing_metric_is_share_of_distance_covered():
    value = progress(
        baseline=Decimal(100),
        target=Decimal(500),
        current=Decimal(300),
        direction_up=True,
    )

    assert value == pytest.approx(0.5)


def test_progress_of_decreasing_metric_counts_going_down_as_progress():
    value = progress(
        baseline=Decimal(40),
        target=Decimal(20),
        current=Decimal(25),
        direction_up=False,
    )

    assert value == pytest.approx(0.75)


def test_progress_going_the_wrong_way_is_negative():
    value = progress(
        baseline=Decimal(40),
        target=Decimal(20),
        current=Decimal(50),
        direction_up=False,
    )

    assert value == pytest.approx(-0.5)


def test_progress_overshooting_the_target_exceeds_one():
    value = progress(
        baseline=Decimal(100),
        target=Decimal(200),
        current=Decimal(250),
        direction_up=True,
    )

    assert value == pytest.approx(1.5)


def test_progress_without_measurements_is_unknown():
    value = progress(
        baseline=Decimal(1), target=Decimal(2), current=None, direction_up=True
    )

    assert value is None


@pytest.mark.parametrize(
    ("current", "direction_up", "expected"),
    [
        (Decimal(99), True, 1.0),
        (Decimal(98), True, 0.0),
        (Decimal(99), False, 1.0),
        (Decimal(100), False, 0.0),
    ],
)
def test_progress_when_baseline_equals_target_is_whether_the_target_holds(
    current, direction_up, expected
):
    value = progress(
        baseline=Decimal(99),
        target=Decimal(99),
        current=current,
        direction_up=direction_up,
    )

    assert value == expected


def test_expected_progress_follows_a_straight_line_through_time():
    assert expected_progress(start=START, due=DUE, today=START) == 0
    assert expected_progress(start=START, due=DUE, today=MIDYEAR) == pytest.approx(
        0.5, abs=0.01
    )
    assert expected_progress(start=START, due=DUE, today=dt.date(2027, 3, 1)) == 1


def test_status_without_data_is_no_data():
    assert (
        status(progress_value=None, start=START, due=DUE, today=MIDYEAR)
        == Status.NO_DATA
    )


@pytest.mark.parametrize(
    ("progress_value", "expected"),
    [
        (0.55, Status.ON_TRACK),
        (0.42, Status.ON_TRACK),
        (0.30, Status.AT_RISK),
        (0.10, Status.OFF_TRACK),
        (1.20, Status.ACHIEVED),
    ],
)
def test_status_compares_progress_with_time_elapsed(progress_value, expected):
    assert (
        status(progress_value=progress_value, start=START, due=DUE, today=MIDYEAR)
        == expected
    )


def test_status_after_due_date_without_reaching_target_is_off_track():
    result = status(
        progress_value=0.95, start=START, due=DUE, today=dt.date(2027, 1, 2)
    )

    assert result == Status.OFF_TRACK


def test_status_before_start_is_not_started_whatever_the_progress():
    before = dt.date(2025, 12, 1)

    assert status(progress_value=0.49, start=START, due=DUE, today=before) == (
        Status.NOT_STARTED
    )
    assert status(progress_value=None, start=START, due=DUE, today=before) == (
        Status.NOT_STARTED
    )
    assert Status.NOT_STARTED.label == "Not started"


def test_status_on_the_start_day_is_judged():
    result = status(progress_value=0.0, start=START, due=DUE, today=START)

    assert result == Status.ON_TRACK


def test_a_key_result_before_its_start_expects_nothing_yet():
    result = measure(
        baseline=Decimal(100),
        target=Decimal(300),
        current=Decimal(198),
        direction_up=True,
        start=START,
        due=DUE,
        today=dt.date(2025, 12, 1),
    )

    assert result.status == Status.NOT_STARTED
    assert result.percent == 49
    assert result.expected is None
    assert result.expected_percent is None


def test_a_started_key_result_has_an_expected_by_now():
    result = measure(
        baseline=Decimal(100),
        target=Decimal(300),
        current=Decimal(198),
        direction_up=True,
        start=START,
        due=DUE,
        today=MIDYEAR,
    )

    assert result.status == Status.ON_TRACK
    assert result.expected_percent == 50


def test_progress_of_decreasing_metric_overshooting_the_target_exceeds_one():
    value = progress(
        baseline=Decimal(40),
        target=Decimal(20),
        current=Decimal(10),
        direction_up=False,
    )

    assert value == pytest.approx(1.5)


def test_status_after_due_date_with_target_reached_is_achieved():
    result = status(progress_value=1.0, start=START, due=DUE, today=dt.date(2027, 2, 1))

    assert result == Status.ACHIEVED


def test_status_after_due_date_without_data_is_no_data():
    result = status(
        progress_value=None, start=START, due=DUE, today=dt.date(2027, 2, 1)
    )

    assert result == Status.NO_DATA


def test_status_when_baseline_equals_target_and_it_holds_is_achieved():
    value = progress(
        baseline=Decimal(99), target=Decimal(99), current=Decimal(99), direction_up=True
    )

    assert status(progress_value=value, start=START, due=DUE, today=MIDYEAR) == (
        Status.ACHIEVED
    )


def test_expected_progress_of_a_one_day_key_result_is_complete_on_that_day():
    assert expected_progress(start=START, due=START, today=START) == 0
    assert expected_progress(start=START, due=START, today=START + dt.timedelta(1)) == 1
