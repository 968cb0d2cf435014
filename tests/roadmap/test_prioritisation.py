from __future__ import annotations

from decimal import Decimal

import pytest

from roadmap.prioritisation import (
    ZERO_EFFORT,
    Estimate,
    NotEstimated,
    ZeroEffort,
    format_score,
    missing,
    rank,
    score,
)

WHOLE = Estimate(
    reach=1000,
    impact=Decimal("3"),
    key_result_id=7,
    confidence=80,
    effort=Decimal("2"),
)


def test_rice_score_is_reach_times_impact_times_confidence_over_effort():
    assert score(WHOLE, "rice") == Decimal("1200")


def test_ice_score_is_impact_over_effort():
    assert score(WHOLE, "ice") == Decimal("1.5")


def test_missing_names_every_part_rice_needs():
    estimate = Estimate(impact=Decimal("3"), effort=Decimal("1"))

    assert missing(estimate, "rice") == ("reach", "key_result", "confidence")


def test_impact_over_effort_needs_neither_reach_nor_confidence():
    estimate = Estimate(impact=Decimal("3"), key_result_id=1, effort=Decimal("1"))

    assert missing(estimate, "ice") == ()
    assert score(estimate, "ice") == Decimal("3")


def test_score_refuses_a_missing_part_with_what_is_missing():
    with pytest.raises(NotEstimated, match="Missing: reach, confidence"):
        score(Estimate(impact=Decimal(1), key_result_id=1, effort=Decimal(1)), "rice")


def test_score_refuses_zero_effort_with_a_message():
    estimate = Estimate(
        reach=10, impact=Decimal(1), key_result_id=1, confidence=50, effort=Decimal(0)
    )

    with pytest.raises(ZeroEffort, match=ZERO_EFFORT):
        score(estimate, "rice")
    assert ZERO_EFFORT == "Effort must be more than 0 to compute a score"


def test_rank_orders_by_score_and_equal_scores_share_a_rank():
    low = Estimate(
        reach=10, impact=Decimal(1), key_result_id=1, confidence=100, effort=Decimal(1)
    )
    high = Estimate(
        reach=100, impact=Decimal(1), key_result_id=1, confidence=100, effort=Decimal(1)
    )

    ranking = rank([("a", low), ("b", high), ("c", high), ("d", low)], "rice")

    assert [(r.key, r.rank) for r in ranking.ranked] == [
        ("b", 1),
        ("c", 1),
        ("a", 3),
        ("d", 3),
    ]


def test_rank_lists_items_without_a_score_apart_never_last():
    zero = Estimate(
        reach=10, impact=Decimal(1), key_result_id=1, confidence=50, effort=Decimal(0)
    )
    ranking = rank([("whole", WHOLE), ("empty", Estimate()), ("zero", zero)], "rice")

    assert [r.key for r in ranking.ranked] == ["whole"]
    apart = {u.key: u for u in ranking.not_estimated}
    assert apart["empty"].missing == (
        "reach",
        "impact",
        "key_result",
        "confidence",
        "effort",
    )
    assert (
        apart["empty"].reason
        == "Missing: reach, impact, key result, confidence, effort"
    )
    assert apart["zero"].reason == ZERO_EFFORT


def test_format_score_groups_thousands_and_keeps_one_decimal():
    assert format_score(Decimal("8333.3333")) == "8,333.3"
    assert format_score(Decimal("50000")) == "50,000"
