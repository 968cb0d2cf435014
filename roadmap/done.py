"""The Done archive: closed outcomes, what they taught, and whether they hit.

An outcome closed as achieved, missed or dropped leaves the board (and the
present page, share pages and the Soon kit) and is read here, newest first,
with what the team learned and, for each key result that measured it,
whether it hit its target by the day the outcome was closed: progress and
status come from `KeyResult.progress` (metrics.progress, the one place they
are computed), with the last value measured on or before that day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from metrics.models import KeyResult, Measurement
from metrics.progress import Status
from roadmap.models import Outcome, OutcomeStatus, Roadmap

PER_PAGE = 25


@dataclass(frozen=True)
class TargetLine:
    """A key result of a closed outcome: where it ended against its target."""

    statement: str
    value_display: str
    percent: int | None
    status: str
    status_label: str

    @property
    def is_hit(self) -> bool:
        return self.status == Status.ACHIEVED


@dataclass(frozen=True)
class DoneOutcome:
    pk: int
    version: int
    title: str
    status: str
    learning: str
    closed_at: dt.datetime | None
    goal_title: str
    key_results: tuple[TargetLine, ...]

    @property
    def status_label(self) -> str:
        return OutcomeStatus(self.status).label

    @property
    def hit_count(self) -> int:
        return sum(line.is_hit for line in self.key_results)


def closed_outcomes(roadmap: Roadmap) -> QuerySet[Outcome, dict[str, Any]]:
    """The roadmap's closed outcomes, newest first, as plain values."""
    if roadmap.pk is None:
        return Outcome.objects.none().values()
    return (
        Outcome.objects.filter(roadmap_id=roadmap.pk)
        .alive()
        .closed()
        .order_by(F("closed_at").desc(nulls_last=True), "-id")
        .values("id", "version", "title", "status", "learning", "closed_at")
        .annotate(goal_title=F("goal__title"))
    )


def load_done(roadmap: Roadmap, page_number: int | str | None) -> Page:
    """One page of the archive (three queries): DoneOutcome rows with targets."""
    page = Paginator(closed_outcomes(roadmap), PER_PAGE).get_page(page_number)
    rows = list(page.object_list)
    targets = _targets([row["id"] for row in rows])
    done: list[Any] = [
        DoneOutcome(
            pk=row["id"],
            version=row["version"],
            title=row["title"],
            status=row["status"],
            learning=row["learning"],
            closed_at=row["closed_at"],
            goal_title=row["goal_title"] or "",
            key_results=tuple(targets.get(row["id"], ())),
        )
        for row in rows
    ]
    page.object_list = done
    return page


def _targets(outcome_ids: list[int]) -> dict[int, list[TargetLine]]:
    """Each outcome's key results as they stood when it was closed, in one query."""
    if not outcome_ids:
        return {}
    as_of = Measurement.objects.filter(
        metric=OuterRef("metric_id"), date__lte=OuterRef("closed_on")
    ).order_by("-date")
    key_results = (
        KeyResult.objects.filter(
            success_metric__outcome_id__in=outcome_ids,
            success_metric__deleted_at__isnull=True,
        )
        .select_related("metric")
        .annotate(
            outcome_id=F("success_metric__outcome_id"),
            closed_on=TruncDate("success_metric__outcome__closed_at"),
        )
        .annotate(current_value=Subquery(as_of.values("value")[:1]))
        .order_by("success_metric__position", "success_metric__id")
    )
    today = timezone.localdate()
    lines: dict[int, list[TargetLine]] = defaultdict(list)
    for kr in key_results:
        progress = kr.progress(kr.closed_on or today)  # type: ignore[attr-defined]
        current = progress.current
        lines[kr.outcome_id].append(  # type: ignore[attr-defined]
            TargetLine(
                statement=kr.statement,
                value_display=kr.metric.format(current) if current is not None else "",
                percent=progress.percent,
                status=str(progress.status),
                status_label=progress.status.label,
            )
        )
    return lines
