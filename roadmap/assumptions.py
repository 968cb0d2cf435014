"""Assumptions to test: how fresh their evidence is, and what confidence shows.

One rule, in one function (`freshness`): an assumption whose latest evidence
(or, without any, the day it became an assumption) is more than the
product's threshold of days old is going stale, and the confidence shown for
it halves for every full threshold period without evidence. It never goes
below 0, and new evidence brings the confidence set by the team back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_STALE_DAYS = 30


@dataclass(frozen=True)
class Freshness:
    """What an assumption's card and panel show of its confidence."""

    confidence: int | None  # as the team set it
    shown: int | None  # after decay
    is_stale: bool
    days_without_evidence: int
    halvings: int

    @property
    def has_decayed(self) -> bool:
        return self.shown != self.confidence


def freshness(
    *,
    confidence: int | None,
    last_evidence_on: dt.date | None,
    today: dt.date,
    stale_days: int = DEFAULT_STALE_DAYS,
) -> Freshness:
    """Return the shown confidence of an assumption on `today`.

    `last_evidence_on` is the day of its latest evidence, or the day it
    became an assumption when it has none; None counts as today. Once more
    than `stale_days` days have passed, the assumption is stale and its
    confidence is halved once for every full `stale_days` days since then
    (rounded down, never below 0).
    """
    period = max(1, stale_days)
    age = 0 if last_evidence_on is None else max(0, (today - last_evidence_on).days)
    is_stale = age > period
    halvings = age // period if is_stale else 0
    shown = None if confidence is None else max(0, confidence >> min(halvings, 16))
    return Freshness(
        confidence=confidence,
        shown=shown,
        is_stale=is_stale,
        days_without_evidence=age,
        halvings=halvings,
    )


def rule_text(stale_days: int) -> str:
    """The decay rule in words, as every page that shows it writes it."""
    return (
        f"An assumption with no new evidence for more than {stale_days} days is "
        f"going stale: the confidence shown halves for every {stale_days} days "
        "without evidence (never below 0 %), until new evidence arrives."
    )
