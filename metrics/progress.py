"""Progress and on-track status of a key result: the one place this is computed.

progress = (current - baseline) / (target - baseline). The formula works for
metrics that should go down as well as up, because target - baseline is then
negative too. Status compares progress with the share of the key result's
time that has elapsed. Before its start date a key result is not started:
nothing is expected of it yet, so it has no expected-by-now and no verdict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

# How far behind the straight path a key result may fall before its status
# changes; a little slack keeps noisy weekly data from flapping the status.
ON_TRACK_SLACK = 0.10
AT_RISK_SLACK = 0.25


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    NO_DATA = "no_data", "No data yet"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    ACHIEVED = "achieved", "Achieved"


def progress(
    *, baseline: Decimal, target: Decimal, current: Decimal | None, direction_up: bool
) -> float | None:
    """Return the share of the way from baseline to target, or None without data.

    The value is not clamped: overshooting gives more than 1, going the wrong
    way gives less than 0. When baseline equals target there is no distance to
    cover, so progress is 1 if the target holds and 0 if it does not.
    """
    if current is None:
        return None
    if target == baseline:
        holds = current >= target if direction_up else current <= target
        return 1.0 if holds else 0.0
    return float((current - baseline) / (target - baseline))


def has_started(*, start: dt.date, today: dt.date) -> bool:
    return today >= start


def expected_progress(*, start: dt.date, due: dt.date, today: dt.date) -> float:
    """Return where a straight path from baseline to target would be today."""
    if today <= start:
        return 0.0
    if today >= due or due == start:
        return 1.0
    return (today - start).days / (due - start).days


def status(
    *, progress_value: float | None, start: dt.date, due: dt.date, today: dt.date
) -> Status:
    if not has_started(start=start, today=today):
        return Status.NOT_STARTED
    if progress_value is None:
        return Status.NO_DATA
    if progress_value >= 1:
        return Status.ACHIEVED
    if today > due:
        return Status.OFF_TRACK
    expected = expected_progress(start=start, due=due, today=today)
    if progress_value >= expected - ON_TRACK_SLACK:
        return Status.ON_TRACK
    if progress_value >= expected - AT_RISK_SLACK:
        return Status.AT_RISK
    return Status.OFF_TRACK


@dataclass(frozen=True)
class Progress:
    """Everything a page shows about how a key result is moving."""

    current: Decimal | None
    value: float | None
    # Where the straight path is today; None before the start date.
    expected: float | None
    status: Status

    @property
    def percent(self) -> int | None:
        """Progress as a whole percentage clamped to 0..100, for bars."""
        if self.value is None:
            return None
        return round(max(0.0, min(1.0, self.value)) * 100)

    @property
    def expected_percent(self) -> int | None:
        """Expected by now, as a whole percentage; None before the start date."""
        if self.expected is None:
            return None
        return round(self.expected * 100)


def measure(
    *,
    baseline: Decimal,
    target: Decimal,
    current: Decimal | None,
    direction_up: bool,
    start: dt.date,
    due: dt.date,
    today: dt.date,
) -> Progress:
    """Return how a key result is moving today: progress, expected and status."""
    value = progress(
        baseline=baseline, target=target, current=current, direction_up=direction_up
    )
    started = has_started(start=start, today=today)
    return Progress(
        current=current,
        value=value,
        expected=expected_progress(start=start, due=due, today=today)
        if started
        else None,
        status=status(progress_value=value, start=start, due=due, today=today),
    )
