from __future__ import annotations

import datetime as dt
from decimal import Decimal

from metrics.releases import compare_release

RELEASED = dt.date(2026, 6, 1)
LATER = dt.date(2026, 9, 1)


def weekly(start: dt.date, values: list[str]) -> list[tuple[dt.date, Decimal]]:
    return [(start + dt.timedelta(weeks=i), Decimal(v)) for i, v in enumerate(values)]


def test_compares_the_4_weeks_before_with_the_4_weeks_from_the_release():
    before = weekly(dt.date(2026, 5, 4), ["30", "31", "32", "31"])
    after = weekly(RELEASED, ["33", "34", "33"])

    comparison = compare_release(before + after, RELEASED, unit="%", today=LATER)

    assert comparison.before_mean == Decimal("31")
    assert comparison.after_mean == Decimal("33.33333333333333333333333333")
    assert (
        comparison.words
        == "After release: +2.3 points vs the 4 weeks before (4 and 3 measurements)"
    )


def test_measurements_outside_the_windows_are_left_out():
    measurements = [
        (dt.date(2026, 5, 3), Decimal("1")),  # 29 days before
        (dt.date(2026, 5, 4), Decimal("10")),
        (dt.date(2026, 5, 31), Decimal("10")),
        (RELEASED, Decimal("12")),
        (dt.date(2026, 6, 28), Decimal("12")),
        (dt.date(2026, 6, 29), Decimal("99")),  # 28 days after
    ]

    comparison = compare_release(measurements, RELEASED, unit="users", today=LATER)

    assert comparison.counts == "2 and 2 measurements"
    assert (
        comparison.words
        == "After release: +2 users vs the 4 weeks before (2 and 2 measurements)"
    )


def test_a_fall_reads_with_a_minus_sign():
    measurements = weekly(dt.date(2026, 5, 11), ["5", "5", "5", "3", "3"])

    comparison = compare_release(measurements, RELEASED, unit="€", today=LATER)

    assert comparison.words.startswith("After release: −€2 vs the 4 weeks before")


def test_too_few_measurements_say_so_instead_of_a_difference():
    measurements = [(dt.date(2026, 5, 20), Decimal("5")), (RELEASED, Decimal("7"))]

    comparison = compare_release(measurements, RELEASED, unit="%", today=LATER)

    assert comparison.difference is None
    assert comparison.words == (
        "Too few measurements to compare: 1 in the 4 weeks before the release "
        "and 1 from it (at least 2 on each side are needed)."
    )


def test_a_recent_release_says_so_far():
    measurements = weekly(dt.date(2026, 5, 4), ["1", "1", "1", "1", "2", "2"])

    comparison = compare_release(
        measurements, RELEASED, unit="", today=dt.date(2026, 6, 10)
    )

    assert (
        comparison.words
        == "After release so far: +1 vs the 4 weeks before (4 and 2 measurements)"
    )
