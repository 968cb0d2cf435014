"""The stakeholder roadmap: what the present page shows, read in a few queries.

A sponsor reads the vision, the active goals with their key results, then
the live outcomes of each horizon with what measures them, the features
that should move them and the key challenges in their way. Everything is
gathered with a fixed number of queries whatever the size of the roadmap
(`load_presentation`), into frozen dataclasses that hold exactly what the
page shows. Progress and status come from `KeyResult.progress()`, the one
place they are computed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from metrics.models import KeyResult, Measurement, Metric
from roadmap.board import BoardFilters, FilterOptions, filter_options
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    ChallengeStatus,
    Feature,
    FeatureStage,
    Outcome,
    OutcomeStatus,
    Roadmap,
    SuccessMetric,
    Team,
)
from roadmap.schemas import HorizonPlan, PlanDoc
from strategy.models import Goal, Product

# How many measurements a key result's trend line shows.
TREND_POINTS = 12


@dataclass(frozen=True)
class KeyResultLine:
    """A key result as the page shows it: a sentence, a bar and a trend."""

    pk: int
    statement: str
    metric_name: str
    current_display: str
    percent: int | None
    expected_percent: int | None  # None before the key result's start
    status: str
    status_label: str
    trend: tuple[Decimal, ...] = ()


@dataclass(frozen=True)
class GoalSummary:
    pk: int
    title: str
    key_results: tuple[KeyResultLine, ...]


@dataclass(frozen=True)
class FeatureLine:
    pk: int
    title: str
    stage: str
    stage_label: str


@dataclass(frozen=True)
class ChallengeLine:
    pk: int
    title: str
    status: str
    status_label: str


@dataclass(frozen=True)
class OutcomeSummary:
    pk: int
    title: str
    description: str
    status: str
    status_label: str
    goal_title: str
    teams: tuple[str, ...]
    key_results: tuple[KeyResultLine, ...]
    features: tuple[FeatureLine, ...]
    challenges: tuple[ChallengeLine, ...]


@dataclass(frozen=True)
class HorizonSection:
    """One horizon with the roadmap's own label and time hint."""

    value: str
    label: str
    hint: str
    outcomes: tuple[OutcomeSummary, ...]


@dataclass(frozen=True)
class Presentation:
    """Everything the present page shows of one product."""

    vision: str
    goals: tuple[GoalSummary, ...]
    horizons: tuple[HorizonSection, ...]
    options: FilterOptions
    filters: BoardFilters = field(default_factory=BoardFilters)

    @property
    def outcome_count(self) -> int:
        return sum(len(section.outcomes) for section in self.horizons)

    @property
    def is_empty(self) -> bool:
        """Whether nothing is on the roadmap (before any filter narrows it)."""
        return not self.outcome_count and not self.filters.narrows_outcomes


def presentation_filters(filters: BoardFilters) -> BoardFilters:
    """Keep the filters the present page offers: goal, theme and team."""
    return BoardFilters(goal=filters.goal, theme=filters.theme, team=filters.team)


def load_presentation(
    product: Product,
    filters: BoardFilters | None = None,
    *,
    today: dt.date | None = None,
) -> Presentation:
    """Gather the product's presentation in a fixed number of queries.

    Reading never writes: a product without a roadmap row reads an unsaved
    default roadmap, whose labels and hints are the defaults.
    """
    filters = presentation_filters(filters or BoardFilters())
    today = today or timezone.localdate()
    roadmap = Roadmap.objects.filter(product=product).first() or Roadmap(
        product=product
    )

    goals = list(_goals(product, filters))
    goal_key_results = [kr for goal in goals for kr in goal.key_results.all()]
    if roadmap.pk is None:
        outcome_rows: list[dict[str, Any]] = []
        outcome_key_results: list[KeyResult] = []
        features: dict[int, list[FeatureLine]] = {}
        challenges: dict[int, list[ChallengeLine]] = {}
        options = FilterOptions((), (), ())
    else:
        outcomes = _outcomes(roadmap, filters)
        outcome_rows = list(outcomes)
        outcome_ids = outcomes.values("id")
        outcome_key_results = list(_outcome_key_results(outcome_ids))
        features = _features(roadmap, outcome_ids)
        challenges = _challenges(roadmap, outcome_ids)
        options = filter_options(roadmap)

    trends = _trends({kr.metric_id for kr in (*goal_key_results, *outcome_key_results)})
    goal_summaries = tuple(
        GoalSummary(
            pk=goal.pk,
            title=goal.title,
            key_results=tuple(
                _key_result_line(kr, trends, today) for kr in goal.key_results.all()
            ),
        )
        for goal in goals
    )

    measures: dict[int, list[KeyResultLine]] = defaultdict(list)
    for kr in outcome_key_results:
        measures[kr.outcome_id].append(  # type: ignore[attr-defined]
            _key_result_line(kr, trends, today)
        )

    by_horizon: dict[str, list[OutcomeSummary]] = defaultdict(list)
    for row in outcome_rows:
        by_horizon[row["horizon"]].append(
            OutcomeSummary(
                pk=row["id"],
                title=row["title"],
                description=row["description"],
                status=row["status"],
                status_label=OutcomeStatus(row["status"]).label,
                goal_title=row["goal__title"] or "",
                teams=tuple(row["team_names"] or ()),
                key_results=tuple(measures.get(row["id"], ())),
                features=tuple(features.get(row["id"], ())),
                challenges=tuple(challenges.get(row["id"], ())),
            )
        )
    sections = tuple(
        HorizonSection(value, label, hint, tuple(by_horizon.get(value, ())))
        for value, label, hint in roadmap.horizons
    )
    return Presentation(
        vision=product.vision_statement,
        goals=goal_summaries,
        horizons=sections,
        options=options,
        filters=filters,
    )


def _goals(product: Product, filters: BoardFilters) -> QuerySet[Goal]:
    """Active goals, narrowed by the goal and theme filters, with key results."""
    condition = Q()
    if filters.goal:
        condition &= Q(pk=filters.goal)
    if filters.theme:
        condition &= Q(theme_id=filters.theme)
    return (
        product.goals.active()
        .filter(condition)
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.with_current())
        )
    )


def _outcomes(
    roadmap: Roadmap, filters: BoardFilters
) -> QuerySet[Outcome, dict[str, Any]]:
    """Live outcomes passing the filters, in board order, as plain values."""
    teams = ArraySubquery(
        Team.objects.filter(outcomes=OuterRef("pk")).order_by("name").values("name")
    )
    return (
        Outcome.objects.alive()
        .open()
        .filter(filters.outcome_condition(), roadmap_id=roadmap.pk)
        .in_board_order()
        .annotate(team_names=teams)
        .values(
            "id",
            "title",
            "description",
            "horizon",
            "status",
            "goal__title",
            "team_names",
        )
    )


def _outcome_key_results(outcome_ids: QuerySet) -> QuerySet[KeyResult]:
    """Key results placed under the outcomes as success metric cards."""
    cards = SuccessMetric.objects.alive().filter(outcome_id__in=outcome_ids)
    return (
        KeyResult.objects.with_current()
        .filter(success_metric__in=cards)
        .annotate(outcome_id=F("success_metric__outcome_id"))
        .order_by("success_metric__position", "success_metric__id")
    )


def _features(roadmap: Roadmap, outcome_ids: QuerySet) -> dict[int, list[FeatureLine]]:
    rows = (
        Feature.objects.alive()
        .filter(roadmap_id=roadmap.pk, outcome_id__in=outcome_ids)
        .order_by("position", "id")
        .values_list("id", "outcome_id", "title", "stage")
    )
    features: dict[int, list[FeatureLine]] = defaultdict(list)
    for pk, outcome_id, title, stage in rows:
        features[outcome_id].append(
            FeatureLine(pk, title, stage, FeatureStage(stage).label)
        )
    return features


def _challenges(
    roadmap: Roadmap, outcome_ids: QuerySet
) -> dict[int, list[ChallengeLine]]:
    rows = (
        Challenge.objects.alive()
        .filter(roadmap_id=roadmap.pk, outcome_id__in=outcome_ids)
        .order_by("position", "id")
        .values_list("id", "outcome_id", "title", "status")
    )
    challenges: dict[int, list[ChallengeLine]] = defaultdict(list)
    for pk, outcome_id, title, status in rows:
        challenges[outcome_id].append(
            ChallengeLine(pk, title, status, ChallengeStatus(status).label)
        )
    return challenges


def _trends(metric_ids: Iterable[int]) -> dict[int, list[Decimal]]:
    """Each metric's last TREND_POINTS values in time order, in one query."""
    ids = sorted(set(metric_ids))
    trends: dict[int, list[Decimal]] = defaultdict(list)
    if not ids:
        return trends
    rows = (
        Measurement.objects.filter(metric_id__in=ids)
        .recent_per_metric(TREND_POINTS)
        .order_by("metric_id", "date")
        .values_list("metric_id", "value")
    )
    for metric_id, value in rows:
        trends[metric_id].append(value)
    return trends


def _key_result_line(
    key_result: KeyResult, trends: dict[int, list[Decimal]], today: dt.date
) -> KeyResultLine:
    progress = key_result.progress(today)
    metric = key_result.metric
    current = progress.current
    return KeyResultLine(
        pk=key_result.pk,
        statement=key_result.statement,
        metric_name=metric.name,
        current_display=metric.format(current) if current is not None else "",
        percent=progress.percent,
        expected_percent=progress.expected_percent,
        status=str(progress.status),
        status_label=progress.status.label,
        trend=tuple(trends.get(key_result.metric_id, ())),
    )


# The customer-safe page is built from its own dataclasses, which hold only
# what a customer may read: internal titles, descriptions, challenges, teams,
# goals, key results and insights never reach its template.


@dataclass(frozen=True)
class CustomerFeature:
    pk: int
    summary: str
    stage_label: str


@dataclass(frozen=True)
class CustomerOutcome:
    pk: int
    summary: str
    features: tuple[CustomerFeature, ...]


@dataclass(frozen=True)
class CustomerHorizon:
    value: str
    label: str
    hint: str
    outcomes: tuple[CustomerOutcome, ...]


@dataclass(frozen=True)
class CustomerPresentation:
    """What a customer-safe share link shows of one product."""

    product_name: str
    vision: str
    horizons: tuple[CustomerHorizon, ...]

    @property
    def is_empty(self) -> bool:
        return not any(section.outcomes for section in self.horizons)


def load_customer_presentation(product: Product) -> CustomerPresentation:
    """Gather the customer-visible outcomes and features in three queries.

    Only items marked customer-visible with a customer summary are shown, by
    that summary; an empty summary leaves the item out rather than falling
    back to its internal title.
    """
    roadmap = Roadmap.objects.filter(product=product).first() or Roadmap(
        product=product
    )
    outcome_rows: list[tuple[int, str, str]] = []
    features: dict[int, list[CustomerFeature]] = defaultdict(list)
    if roadmap.pk is not None:
        outcomes = (
            Outcome.objects.alive()
            .open()
            .filter(roadmap_id=roadmap.pk, is_customer_visible=True)
            .exclude(customer_summary__regex=r"^\s*$")
            .in_board_order()
        )
        outcome_rows = list(outcomes.values_list("id", "horizon", "customer_summary"))
        feature_rows = (
            Feature.objects.alive()
            .filter(
                roadmap_id=roadmap.pk,
                is_customer_visible=True,
                outcome_id__in=outcomes.values("id"),
            )
            .exclude(customer_summary__regex=r"^\s*$")
            .order_by("position", "id")
            .values_list("id", "outcome_id", "customer_summary", "stage")
        )
        for pk, outcome_id, summary, stage in feature_rows:
            features[outcome_id].append(
                CustomerFeature(pk, summary, FeatureStage(stage).label)
            )
    by_horizon: dict[str, list[CustomerOutcome]] = defaultdict(list)
    for pk, horizon, summary in outcome_rows:
        by_horizon[horizon].append(
            CustomerOutcome(pk, summary, tuple(features.get(pk, ())))
        )
    return CustomerPresentation(
        product_name=product.name,
        vision=product.vision_statement,
        horizons=tuple(
            CustomerHorizon(value, label, hint, tuple(by_horizon.get(value, ())))
            for value, label, hint in roadmap.horizons
        ),
    )


# A snapshot opens in the same layout, read from its plan document alone: the
# page shows the plan as it was, never the live database.


def presentation_from_plan(doc: PlanDoc, today: dt.date) -> Presentation:
    """Build the present page's content from a plan document (a snapshot's).

    Progress and status are measured on `today` (the snapshot's day), from
    the key results' values as the document recorded them.
    """
    metrics = {m.key: m for m in doc.metrics}
    goals = {g.key: g for g in doc.goals}
    teams = {t.key: t.name for t in doc.teams}

    lines: dict[str, KeyResultLine] = {}
    for k in doc.key_results:
        metric_doc = metrics[k.metric]
        key_result = KeyResult(
            pk=k.id,
            metric=Metric(
                name=metric_doc.name,
                unit=metric_doc.unit,
                direction=metric_doc.direction,
            ),
            baseline=k.baseline,
            target=k.target,
            start_date=k.start_date,
            due_date=k.due_date,
        )
        key_result.current_value = k.current  # type: ignore[attr-defined]
        trend = {
            key_result.metric_id: [
                m.value for m in metric_doc.measurements[-TREND_POINTS:]
            ]
        }
        lines[k.key] = _key_result_line(key_result, trend, today)

    goal_summaries = tuple(
        GoalSummary(
            pk=g.id or 0,
            title=g.title,
            key_results=tuple(lines[k.key] for k in doc.key_results if k.goal == g.key),
        )
        for g in doc.goals
        if g.status == Goal.Status.ACTIVE
    )
    board = doc.board
    by_outcome: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for s in sorted(board.success_metrics, key=lambda s: s.position):
        if s.outcome:
            by_outcome[s.outcome]["key_results"].append(lines[s.key_result])
    for f in sorted(board.features, key=lambda f: f.position):
        if f.outcome:
            by_outcome[f.outcome]["features"].append(
                FeatureLine(f.id or 0, f.title, f.stage, FeatureStage(f.stage).label)
            )
    for c in sorted(board.challenges, key=lambda c: c.position):
        if c.outcome:
            by_outcome[c.outcome]["challenges"].append(
                ChallengeLine(
                    c.id or 0, c.title, c.status, ChallengeStatus(c.status).label
                )
            )
    by_horizon: dict[str, list[OutcomeSummary]] = defaultdict(list)
    for o in sorted(board.outcomes, key=lambda o: o.position):
        parts = by_outcome[o.key]
        by_horizon[o.horizon].append(
            OutcomeSummary(
                pk=o.id or 0,
                title=o.title,
                description=o.description,
                status=o.status,
                status_label=OutcomeStatus(o.status).label,
                goal_title=goals[o.goal].title if o.goal else "",
                teams=tuple(sorted(teams[t] for t in o.teams)),
                key_results=tuple(parts["key_results"]),
                features=tuple(parts["features"]),
                challenges=tuple(parts["challenges"]),
            )
        )
    horizons = board.horizons or [
        HorizonPlan(key=key, label=key.title()) for key in HORIZON_VALUES
    ]
    return Presentation(
        vision=doc.product.vision_statement,
        goals=goal_summaries,
        horizons=tuple(
            HorizonSection(h.key, h.label, h.hint, tuple(by_horizon.get(h.key, ())))
            for h in horizons
        ),
        options=FilterOptions((), (), ()),
    )
