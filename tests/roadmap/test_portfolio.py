from __future__ import annotations

from decimal import Decimal

import pytest

from roadmap.portfolio import balance, bar, load_portfolio, warnings_for
from tests.roadmap.factories import FeatureFactory, OutcomeFactory

MIX = {"growth": 40, "optimisation": 30, "innovation": 20, "capability": 10}
HORIZONS = [("current", "Current"), ("soon", "Soon"), ("future", "Future")]


def test_bar_lays_out_each_categorys_share_of_the_total():
    shares = bar("Outcomes", {"growth": 1, "innovation": 3})

    assert [round(s.percent) for s in shares.segments] == [25, 0, 75, 0]
    assert [s.x for s in shares.segments] == [0, 25, 25, 100]
    assert shares.words == "Growth 25%, Innovation 75%"


def test_a_horizon_close_to_its_target_has_no_warning():
    outcomes = bar(
        "Outcomes", {"growth": 4, "optimisation": 3, "innovation": 2, "capability": 1}
    )

    assert warnings_for("Current", outcomes, bar("Effort", {}), MIX) == []


def test_a_horizon_more_than_20_points_off_its_target_is_named():
    outcomes = bar(
        "Outcomes", {"growth": 7, "optimisation": 1, "innovation": 1, "capability": 1}
    )

    warnings = warnings_for("Soon", outcomes, bar("Effort", {}), MIX)

    assert warnings == [
        "Soon: outcomes more than 20 points off the target mix: growth 70% (target 40%)."
    ]


def test_exactly_20_points_off_is_not_flagged():
    outcomes = bar(
        "Outcomes", {"growth": 6, "optimisation": 2, "innovation": 1, "capability": 1}
    )

    assert warnings_for("Soon", outcomes, bar("Effort", {}), MIX) == []


def test_a_horizon_holding_a_single_category_is_named_even_without_a_target():
    outcomes = bar("Outcomes", {"innovation": 2})

    assert warnings_for("Future", outcomes, bar("Effort", {}), None) == [
        "Future holds only innovation outcomes."
    ]


def test_effort_shares_are_checked_against_the_target_too():
    outcomes = bar(
        "Outcomes", {"growth": 4, "optimisation": 3, "innovation": 2, "capability": 1}
    )
    effort = bar("Effort", {"optimisation": Decimal("9"), "growth": Decimal("1")})

    warnings = warnings_for("Current", outcomes, effort, MIX)

    assert warnings == [
        "Current: estimated effort more than 20 points off the target mix: "
        "growth 10% (target 40%), optimisation 90% (target 30%)."
    ]


def test_an_empty_horizon_has_no_warning():
    [current, *_] = balance(HORIZONS, {}, {}, MIX)

    assert current.outcomes.is_empty
    assert current.warnings == ()


@pytest.mark.django_db
def test_load_portfolio_counts_live_outcomes_and_their_features_effort(product):
    roadmap = product.roadmap
    roadmap.target_growth, roadmap.target_optimisation = 50, 50
    roadmap.target_innovation, roadmap.target_capability = 0, 0
    growth = OutcomeFactory(roadmap=roadmap, category="growth", horizon="current")
    capability = OutcomeFactory(
        roadmap=roadmap, category="capability", horizon="current"
    )
    OutcomeFactory(
        roadmap=roadmap,
        category="innovation",
        horizon="current",
        deleted_at="2026-01-01T00:00Z",
    )
    FeatureFactory(
        roadmap=roadmap, outcome=growth, horizon="current", effort_weeks=Decimal("3")
    )
    FeatureFactory(
        roadmap=roadmap,
        outcome=capability,
        horizon="current",
        effort_weeks=Decimal("1"),
    )
    FeatureFactory(
        roadmap=roadmap, outcome=None, horizon="current", effort_weeks=Decimal("40")
    )

    portfolio = load_portfolio(roadmap)

    current = portfolio.horizons[0]
    assert current.outcomes.percent("growth") == 50
    assert current.outcomes.percent("innovation") == 0
    assert current.effort.percent("growth") == 75
    assert current.effort.total == Decimal("4")
    assert portfolio.warnings == [
        "Current: outcomes more than 20 points off the target mix: "
        "optimisation 0% (target 50%), capability 50% (target 0%).",
        "Current: estimated effort more than 20 points off the target mix: "
        "growth 75% (target 50%), optimisation 0% (target 50%), "
        "capability 25% (target 0%).",
    ]
