"""Reviews: the team looks at each open outcome against the evidence.

A review is held on a cadence the product sets (`Roadmap.review_cadence`,
`Roadmap.review_schedule`). While it is open, editors keep its notes and
decisions and give each open outcome a verdict (keep, change or drop) beside
what the evidence says: its key results' progress and status (the one
function of metrics.progress, through `KeyResult.progress`) and its latest
check-ins. Closing it keeps that evidence with each verdict, closes the
outcomes the team dropped, and takes a snapshot of the plan, which the next
review is compared with.

Reads gather a page in a fixed number of queries; writes are services, one
transaction each, with a version check on the review.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from metrics.models import CheckIn, KeyResult
from roadmap import services
from roadmap.models import (
    HORIZON_VALUES,
    Outcome,
    OutcomeStatus,
    Review,
    ReviewVerdict,
    Roadmap,
    SnapshotKind,
    VerdictChoice,
)
from roadmap.snapshots import take_snapshot
from strategy import history
from strategy.concurrency import update_if_version
from strategy.models import HistoryAction, ItemKind
from strategy.revision import plan_changed

# How many of an outcome's latest check-ins a review shows.
CHECK_INS_SHOWN = 3


# The evidence ------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceKeyResult:
    statement: str
    current_display: str
    percent: int | None
    expected_percent: int | None
    status: str
    status_label: str


@dataclass(frozen=True)
class EvidenceCheckIn:
    date: str  # ISO date, so the evidence is kept as JSON as it is
    confidence: str
    confidence_label: str
    what_happened: str
    next_steps: str
    key_result: str

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)


@dataclass(frozen=True)
class Evidence:
    """What an outcome's key results and check-ins say."""

    key_results: tuple[EvidenceKeyResult, ...] = ()
    check_ins: tuple[EvidenceCheckIn, ...] = ()

    @property
    def summary(self) -> str:
        """One line, e.g. "2 of 3 key results on track or achieved"."""
        if not self.key_results:
            return "No key result measures it"
        good = sum(kr.status in ("on_track", "achieved") for kr in self.key_results)
        total = len(self.key_results)
        return f"{good} of {total} key result{'s' if total != 1 else ''} on track or achieved"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(
            key_results=tuple(
                EvidenceKeyResult(**row) for row in data.get("key_results", ())
            ),
            check_ins=tuple(
                EvidenceCheckIn(**row) for row in data.get("check_ins", ())
            ),
        )


def evidence_for(outcome_ids: Iterable[int], today: dt.date) -> dict[int, Evidence]:
    """Each outcome's key results and latest check-ins, in two queries."""
    ids = sorted(set(outcome_ids))
    if not ids:
        return {}
    live = Q(
        success_metric__outcome_id__in=ids, success_metric__deleted_at__isnull=True
    )
    key_results = (
        KeyResult.objects.with_current()
        .filter(live)
        .annotate(outcome_id=F("success_metric__outcome_id"))
        .order_by("success_metric__position", "success_metric__id")
    )
    lines: dict[int, list[EvidenceKeyResult]] = defaultdict(list)
    for kr in key_results:
        progress = kr.progress(today)
        current = progress.current
        lines[kr.outcome_id].append(  # type: ignore[attr-defined]
            EvidenceKeyResult(
                statement=kr.statement,
                current_display=kr.metric.format(current)
                if current is not None
                else "",
                percent=progress.percent,
                expected_percent=progress.expected_percent,
                status=str(progress.status),
                status_label=progress.status.label,
            )
        )
    outcome = F("key_result__success_metric__outcome_id")
    check_ins = (
        CheckIn.objects.filter(
            key_result__success_metric__outcome_id__in=ids,
            key_result__success_metric__deleted_at__isnull=True,
        )
        .select_related("key_result__metric")
        .annotate(
            outcome_id=outcome,
            rank=Window(
                RowNumber(),
                partition_by=[outcome],
                order_by=[F("date").desc(), F("created_at").desc(), F("id").desc()],
            ),
        )
        .filter(rank__lte=CHECK_INS_SHOWN)
        .order_by("-date", "-created_at", "-id")
    )
    notes: dict[int, list[EvidenceCheckIn]] = defaultdict(list)
    for check_in in check_ins:
        notes[check_in.outcome_id].append(
            EvidenceCheckIn(
                date=check_in.date.isoformat(),
                confidence=check_in.confidence,
                confidence_label=check_in.get_confidence_display(),
                what_happened=check_in.what_happened,
                next_steps=check_in.next_steps,
                key_result=check_in.key_result.statement,
            )
        )
    return {
        pk: Evidence(tuple(lines.get(pk, ())), tuple(notes.get(pk, ()))) for pk in ids
    }


# A review as its page shows it ------------------------------------------------


@dataclass(frozen=True)
class VerdictRow:
    """One outcome of a review: its verdict beside what the evidence says."""

    outcome_pk: int
    title: str
    horizon_label: str
    status: str
    status_label: str
    verdict: str
    note: str
    evidence: Evidence

    @property
    def verdict_label(self) -> str:
        return VerdictChoice(self.verdict).label if self.verdict else "No verdict"

    @property
    def is_closed(self) -> bool:
        return self.status in ("achieved", "missed", "dropped")


# Horizons in board order (Current, Soon, Future), for sorting in SQL.
BOARD_ORDER = Case(
    *(
        When(horizon=value, then=Value(index))
        for index, value in enumerate(HORIZON_VALUES)
    ),
    default=Value(len(HORIZON_VALUES)),
)


def open_outcomes(roadmap: Roadmap) -> QuerySet[Outcome]:
    """The outcomes a review gives a verdict on: open, live, in board order."""
    return (
        Outcome.objects.filter(roadmap_id=roadmap.pk)
        .alive()
        .open()
        .order_by(BOARD_ORDER, "position", "id")
    )


def verdict_rows(review: Review, today: dt.date | None = None) -> list[VerdictRow]:
    """The review's outcomes with verdicts and evidence, in three queries.

    An open review lists the roadmap's open outcomes now, with the evidence
    now; a closed one lists the outcomes it gave a verdict on, with the
    evidence kept when it was closed.
    """
    today = today or timezone.localdate()
    roadmap = review.roadmap
    horizon_labels = {value: label for value, label, _ in roadmap.horizons}
    if not review.is_open:
        verdicts = sorted(
            review.verdicts.select_related("outcome"),
            key=lambda v: (
                HORIZON_VALUES.index(v.outcome.horizon),
                v.outcome.position,
                v.outcome_id,
            ),
        )
        return [
            VerdictRow(
                outcome_pk=v.outcome_id,
                title=v.outcome.title,
                horizon_label=horizon_labels.get(v.outcome.horizon, ""),
                status=v.outcome.status,
                status_label=v.outcome.get_status_display(),
                verdict=v.verdict,
                note=v.note,
                evidence=Evidence.from_json(v.evidence or {}),
            )
            for v in verdicts
        ]
    outcomes = list(
        open_outcomes(roadmap).only("id", "title", "horizon", "status", "position")
    )
    given = {
        v.outcome_id: v
        for v in ReviewVerdict.objects.filter(
            review=review, outcome_id__in=[o.pk for o in outcomes]
        )
    }
    evidence = evidence_for([o.pk for o in outcomes], today)
    return [
        VerdictRow(
            outcome_pk=o.pk,
            title=o.title,
            horizon_label=horizon_labels.get(o.horizon, ""),
            status=o.status,
            status_label=o.get_status_display(),
            verdict=given[o.pk].verdict if o.pk in given else "",
            note=given[o.pk].note if o.pk in given else "",
            evidence=evidence.get(o.pk, Evidence()),
        )
        for o in outcomes
    ]


def reviews_for_list(roadmap: Roadmap) -> QuerySet[Review]:
    """The roadmap's reviews, newest first, with how many verdicts of each kind."""
    if roadmap.pk is None:
        return Review.objects.none()
    return (
        Review.objects.filter(roadmap_id=roadmap.pk)
        .for_list()
        .annotate(
            keep_count=Count(
                "verdicts", filter=Q(verdicts__verdict=VerdictChoice.KEEP)
            ),
            change_count=Count(
                "verdicts", filter=Q(verdicts__verdict=VerdictChoice.CHANGE)
            ),
            drop_count=Count(
                "verdicts", filter=Q(verdicts__verdict=VerdictChoice.DROP)
            ),
        )
    )


def previous_review(review: Review) -> Review | None:
    """The closed review held before this one (the comparison's start)."""
    return (
        Review.objects.closed()
        .filter(roadmap_id=review.roadmap_id)
        .filter(
            Q(held_on__lt=review.held_on) | Q(held_on=review.held_on, id__lt=review.pk)
        )
        .exclude(pk=review.pk)
        .order_by("-held_on", "-id")
        .first()
    )


# Writes -----------------------------------------------------------------------


def _record(review: Review, roadmap: Roadmap, actor: Any, status: str) -> None:
    history.record(
        product_id=roadmap.product_id,
        actor=actor,
        action=HistoryAction.CREATED
        if status == Review.Status.OPEN
        else HistoryAction.UPDATED,
        kind=ItemKind.ROADMAP,
        item=roadmap,
        title=str(review),
        field="review",
        after={"review": review.pk, "status": status},
    )


@transaction.atomic
def review_start(
    *, roadmap: Roadmap, actor: Any, held_on: dt.date | None = None
) -> tuple[Review, bool]:
    """Open a review, or return the one already open; say whether it is new."""
    # Locks the plan, so two editors starting at once open one review.
    plan_changed(roadmap.product_id)
    running = Review.objects.open().filter(roadmap_id=roadmap.pk).first()
    if running is not None:
        return running, False
    review = Review.objects.create(
        roadmap=roadmap,
        held_on=held_on or timezone.localdate(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _record(review, roadmap, actor, Review.Status.OPEN)
    return review, True


@transaction.atomic
def review_update(
    *,
    review: Review,
    version: int,
    values: Mapping[str, Any],
    verdicts: Mapping[int, tuple[str, str]],
) -> Review:
    """Save an open review's notes and verdicts if it is still at `version`.

    `verdicts` maps an outcome's id to its (verdict, note); only open
    outcomes of the review's roadmap take one.
    """
    update_if_version(
        review, version=version, values=values, queryset=Review.objects.open()
    )
    allowed = set(
        open_outcomes(review.roadmap)
        .filter(pk__in=list(verdicts))
        .values_list("pk", flat=True)
    )
    rows = [
        ReviewVerdict(review=review, outcome_id=pk, verdict=verdict, note=note.strip())
        for pk, (verdict, note) in verdicts.items()
        if pk in allowed
    ]
    if rows:
        ReviewVerdict.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["review", "outcome"],
            update_fields=["verdict", "note"],
        )
    return review


@transaction.atomic
def cadence_update(*, roadmap: Roadmap, version: int, cadence: str, actor: Any) -> None:
    """Set how often reviews are held, if the roadmap is still at `version`."""
    history.update_recorded(
        product_id=roadmap.product_id,
        kind=ItemKind.ROADMAP,
        item=roadmap,
        version=version,
        values={"review_cadence": cadence},
        actor=actor,
    )


def drop_learning(review: Review, note: str) -> str:
    """What a drop decided at a review teaches: its note, else where it was decided."""
    return note.strip() or f"Dropped at the {review.in_sentence}."


@transaction.atomic
def review_close(
    *,
    review: Review,
    version: int,
    actor: Any,
    drop: Iterable[int] = (),
    today: dt.date | None = None,
) -> Review:
    """Close an open review at `version`: keep the evidence with each verdict,
    close as dropped the outcomes in `drop` that it gave a "drop" verdict, and
    take a snapshot of the plan as the review leaves it.
    """
    roadmap = review.roadmap
    today = today or timezone.localdate()
    plan_changed(roadmap.product_id)
    update_if_version(
        review,
        version=version,
        values={
            "status": Review.Status.CLOSED,
            "closed_at": timezone.now(),
            "closed_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
        queryset=Review.objects.open(),
    )
    verdicts = list(review.verdicts.select_related("outcome"))
    evidence = evidence_for([v.outcome_id for v in verdicts], today)
    for verdict in verdicts:
        verdict.evidence = evidence.get(verdict.outcome_id, Evidence()).as_json()
    ReviewVerdict.objects.bulk_update(verdicts, ["evidence"])
    wanted = set(drop)
    for verdict in verdicts:
        outcome = verdict.outcome
        if (
            verdict.verdict == VerdictChoice.DROP
            and outcome.pk in wanted
            and not outcome.is_closed
            and not outcome.is_deleted
        ):
            services.outcome_close(
                roadmap=roadmap,
                outcome=outcome,
                version=outcome.version,
                status=OutcomeStatus.DROPPED,
                learning=drop_learning(review, verdict.note),
                actor=actor,
            )
    # The plan as the review leaves it (its drops included): the next
    # review's comparison starts here.
    snapshot = take_snapshot(
        roadmap.product, name=str(review), kind=SnapshotKind.REVIEW, user=actor
    )
    Review.objects.filter(pk=review.pk).update(snapshot=snapshot)
    review.snapshot = snapshot
    _record(review, roadmap, actor, Review.Status.CLOSED)
    return review
