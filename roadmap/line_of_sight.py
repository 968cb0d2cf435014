"""The line of sight: vision -> themes -> goals -> outcomes -> features.

The page shows the whole tree and names the gaps a product manager must
close. `load_line_of_sight` gathers a product's rows in a fixed number of
queries; `build_line_of_sight` is a pure function over those rows, so the gap
rules can be read and tested on their own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from metrics.models import KeyResult, Metric
from roadmap.assumptions import DEFAULT_STALE_DAYS, freshness
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    DependencyStatus,
    Feature,
    Horizon,
    Outcome,
    Roadmap,
    SuccessMetric,
    TeamDependency,
)
from strategy.models import Goal, Product, Theme

# A measurement is recent while it is younger than two review periods of its
# metric: one missed review is normal, two mean nobody is looking.
# Keyed by the plain value a metric's review_cadence field holds.
STALE_AFTER: dict[str, dt.timedelta] = {
    Metric.Cadence.DAILY: dt.timedelta(days=2),
    Metric.Cadence.WEEKLY: dt.timedelta(days=14),
    Metric.Cadence.MONTHLY: dt.timedelta(days=62),
    Metric.Cadence.QUARTERLY: dt.timedelta(days=184),
}


class GapKind(models.TextChoices):
    GOAL_WITHOUT_KEY_RESULTS = "goal_without_key_results", "Goal has no key results"
    GOAL_NOT_SERVED = "goal_not_served", "No outcome serves this goal"
    OUTCOME_WITHOUT_GOAL = "outcome_without_goal", "Outcome serves no goal"
    OUTCOME_WITHOUT_SUCCESS_METRIC = (
        "outcome_without_success_metric",
        "Outcome has no success metric",
    )
    FEATURE_WITHOUT_OUTCOME = "feature_without_outcome", "Feature serves no outcome"
    KEY_RESULT_NOT_MEASURED = (
        "key_result_not_measured",
        "Key result has no recent measurement",
    )
    DEPENDENCY_BLOCKED = "dependency_blocked", "Blocked dependency"
    ASSUMPTION_STALE = "assumption_stale", "Assumption going stale"


FIX_LABELS = {
    GapKind.GOAL_WITHOUT_KEY_RESULTS: "Add a key result",
    GapKind.GOAL_NOT_SERVED: "Link an outcome on the roadmap",
    GapKind.OUTCOME_WITHOUT_GOAL: "Choose its goal on the roadmap",
    GapKind.OUTCOME_WITHOUT_SUCCESS_METRIC: "Add a success metric on the roadmap",
    GapKind.FEATURE_WITHOUT_OUTCOME: "Link it to an outcome on the roadmap",
    GapKind.KEY_RESULT_NOT_MEASURED: "Record a measurement",
    GapKind.DEPENDENCY_BLOCKED: "Unblock it with the team",
    GapKind.ASSUMPTION_STALE: "Add new evidence",
}


@dataclass(frozen=True)
class Gap:
    kind: GapKind
    item: Any  # the goal, outcome, feature or key result with the gap
    title: str
    anchor: str  # the item's id in the tree

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def fix_label(self) -> str:
        return FIX_LABELS[self.kind]


@dataclass
class OutcomeNode:
    outcome: Outcome
    success_metrics: list[KeyResult] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"line-of-sight-outcome-{self.outcome.pk}"


@dataclass
class HorizonGroup:
    value: str
    label: str
    outcomes: list[OutcomeNode]


@dataclass
class GoalNode:
    goal: Goal
    key_results: list[KeyResult] = field(default_factory=list)
    horizons: list[HorizonGroup] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"line-of-sight-goal-{self.goal.pk}"

    @property
    def outcome_count(self) -> int:
        return sum(len(group.outcomes) for group in self.horizons)


@dataclass
class ThemeNode:
    theme: Theme | None
    goals: list[GoalNode]


@dataclass
class LineOfSight:
    """The line of sight of one product, its gaps and its alignment score."""

    themes: list[ThemeNode]
    unlinked_outcomes: list[HorizonGroup]
    unlinked_features: list[Feature]
    gaps: list[Gap]
    aligned_count: int
    item_count: int
    stale_key_result_ids: set[int]

    @property
    def score(self) -> int | None:
        """Return the share of aligned items as a whole percentage."""
        if not self.item_count:
            return None
        return round(100 * self.aligned_count / self.item_count)

    def gaps_by_kind(self) -> list[tuple[GapKind, list[Gap]]]:
        """Return the gaps grouped by kind, in a fixed order, skipping empty kinds."""
        grouped: dict[GapKind, list[Gap]] = defaultdict(list)
        for gap in self.gaps:
            grouped[gap.kind].append(gap)
        return [(kind, grouped[kind]) for kind in GapKind if grouped[kind]]


def is_measured_recently(key_result: KeyResult, today: dt.date) -> bool:
    """Return whether the key result's metric was measured within two reviews."""
    measured_on = getattr(key_result, "current_date", None)
    if measured_on is None:
        return False
    allowed = STALE_AFTER.get(key_result.metric.review_cadence, dt.timedelta(days=14))
    return today - measured_on <= allowed


def is_in_flight(key_result: KeyResult, today: dt.date) -> bool:
    """Return whether the key result is running: started and not yet due."""
    return key_result.start_date <= today <= key_result.due_date


def build_line_of_sight(
    *,
    themes: Sequence[Theme],
    goals: Sequence[Goal],
    key_results: Iterable[KeyResult],
    outcomes: Sequence[Outcome],
    success_metrics: Iterable[tuple[int, int]],
    features: Sequence[Feature],
    horizon_labels: dict[str, str],
    today: dt.date,
    blocked_dependencies: Iterable[TeamDependency] = (),
    assumptions: Iterable[Challenge] = (),
    stale_days: int = DEFAULT_STALE_DAYS,
) -> LineOfSight:
    """Assemble the tree and find its gaps; no queries are made here.

    Inputs are the product's active goals (archived goals excluded), its live
    outcomes (neither deleted nor dropped), its live features, its key results
    (annotated with `current_date`), and (outcome id, key result id) pairs for
    the success-metric cards on the board.

    The gaps:
    - a goal with no key result;
    - a goal no live outcome serves;
    - a live outcome whose goal is empty or not active;
    - a live outcome with no success metric;
    - a live feature whose outcome is empty or not live;
    - an in-flight key result (started, not yet due) whose metric has no
      measurement within two review periods;
    - a blocked dependency of a live outcome or feature on another team;
    - an assumption (a key challenge to test, annotated with
      `latest_evidence`) going stale by `roadmap.assumptions.freshness`.

    The last two are listed as gaps but leave the score alone: they say
    where the plan is at risk, not that it is badly linked.

    The alignment score counts each item of the tree once: every active goal,
    live outcome and live feature, and every key result that belongs to an
    active goal or measures a live outcome. An item is aligned when it has no
    gap; the score is aligned items / all items.
    """
    goal_ids = {goal.pk for goal in goals}
    outcome_ids = {outcome.pk for outcome in outcomes}
    key_results_by_id = {kr.pk: kr for kr in key_results}

    goal_key_results: dict[int, list[KeyResult]] = defaultdict(list)
    for kr in key_results_by_id.values():
        if kr.goal_id in goal_ids:
            goal_key_results[kr.goal_id].append(kr)

    outcome_metrics: dict[int, list[KeyResult]] = defaultdict(list)
    for outcome_id, key_result_id in success_metrics:
        measure = key_results_by_id.get(key_result_id)
        if outcome_id in outcome_ids and measure is not None:
            outcome_metrics[outcome_id].append(measure)

    outcome_features: dict[int, list[Feature]] = defaultdict(list)
    unlinked_features = []
    gaps: list[Gap] = []
    for feature in features:
        if feature.outcome_id in outcome_ids:
            outcome_features[feature.outcome_id].append(feature)
        else:
            unlinked_features.append(feature)
            gaps.append(
                Gap(
                    GapKind.FEATURE_WITHOUT_OUTCOME,
                    feature,
                    feature.title,
                    f"line-of-sight-feature-{feature.pk}",
                )
            )

    outcome_nodes_by_goal: dict[int | None, list[OutcomeNode]] = defaultdict(list)
    for outcome in sorted(outcomes, key=_board_order):
        outcome_node = OutcomeNode(
            outcome,
            success_metrics=outcome_metrics[outcome.pk],
            features=outcome_features[outcome.pk],
        )
        if outcome.goal_id not in goal_ids:
            outcome_node.gaps.append(
                Gap(
                    GapKind.OUTCOME_WITHOUT_GOAL,
                    outcome,
                    outcome.title,
                    outcome_node.anchor,
                )
            )
        if not outcome_node.success_metrics:
            outcome_node.gaps.append(
                Gap(
                    GapKind.OUTCOME_WITHOUT_SUCCESS_METRIC,
                    outcome,
                    outcome.title,
                    outcome_node.anchor,
                )
            )
        key = outcome.goal_id if outcome.goal_id in goal_ids else None
        outcome_nodes_by_goal[key].append(outcome_node)

    goal_nodes_by_theme: dict[int | None, list[GoalNode]] = defaultdict(list)
    for goal in goals:
        goal_node = GoalNode(
            goal,
            key_results=goal_key_results[goal.pk],
            horizons=_by_horizon(outcome_nodes_by_goal[goal.pk], horizon_labels),
        )
        if not goal_node.key_results:
            goal_node.gaps.append(
                Gap(
                    GapKind.GOAL_WITHOUT_KEY_RESULTS,
                    goal,
                    goal.title,
                    goal_node.anchor,
                )
            )
        if not goal_node.outcome_count:
            goal_node.gaps.append(
                Gap(GapKind.GOAL_NOT_SERVED, goal, goal.title, goal_node.anchor)
            )
        goal_nodes_by_theme[goal.theme_id].append(goal_node)

    # Each key result in the tree is counted once, wherever it appears.
    tree_key_results = {
        kr.pk: kr for krs in goal_key_results.values() for kr in krs
    } | {kr.pk: kr for krs in outcome_metrics.values() for kr in krs}
    stale_ids = set()
    for kr in tree_key_results.values():
        if is_in_flight(kr, today) and not is_measured_recently(kr, today):
            stale_ids.add(kr.pk)

    theme_nodes = [ThemeNode(theme, goal_nodes_by_theme[theme.pk]) for theme in themes]
    theme_ids = {theme.pk for theme in themes}
    orphan_goals = [
        node
        for theme_id, nodes in goal_nodes_by_theme.items()
        if theme_id not in theme_ids
        for node in nodes
    ]
    if orphan_goals:
        theme_nodes.append(ThemeNode(None, orphan_goals))

    goal_nodes = [node for theme in theme_nodes for node in theme.goals]
    outcome_nodes = [node for nodes in outcome_nodes_by_goal.values() for node in nodes]
    for goal_node in goal_nodes:
        gaps.extend(goal_node.gaps)
    for outcome_node in outcome_nodes:
        gaps.extend(outcome_node.gaps)
    for kr_id in sorted(stale_ids):
        kr = tree_key_results[kr_id]
        # A key result sits under its goal, or else under the outcome it measures.
        anchor = (
            f"line-of-sight-goal-{kr.goal_id}"
            if kr.goal_id in goal_ids
            else next(
                f"line-of-sight-outcome-{outcome_id}"
                for outcome_id, krs in outcome_metrics.items()
                if kr in krs
            )
        )
        gaps.append(Gap(GapKind.KEY_RESULT_NOT_MEASURED, kr, kr.statement, anchor))
    for dependency in blocked_dependencies:
        card_kind = dependency.card_kind
        card = dependency.card
        gaps.append(
            Gap(
                GapKind.DEPENDENCY_BLOCKED,
                dependency,
                f"{card.title if card else ''} waits on {dependency.team.name}",
                f"line-of-sight-{card_kind}-{card.pk if card else ''}",
            )
        )
    for challenge in assumptions:
        fresh = freshness(
            confidence=challenge.confidence,
            last_evidence_on=getattr(challenge, "latest_evidence", None)
            or challenge.assumed_on,
            today=today,
            stale_days=stale_days,
        )
        if fresh.is_stale:
            anchor = (
                f"line-of-sight-outcome-{challenge.outcome_id}"
                if challenge.outcome_id in outcome_ids
                else "gaps"
            )
            gaps.append(
                Gap(GapKind.ASSUMPTION_STALE, challenge, challenge.title, anchor)
            )
    gaps.sort(key=lambda gap: list(GapKind).index(gap.kind))

    item_count = (
        len(goal_nodes) + len(outcome_nodes) + len(features) + len(tree_key_results)
    )
    unaligned = (
        sum(1 for node in goal_nodes if node.gaps)
        + sum(1 for node in outcome_nodes if node.gaps)
        + len(unlinked_features)
        + len(stale_ids)
    )
    return LineOfSight(
        themes=theme_nodes,
        unlinked_outcomes=_by_horizon(outcome_nodes_by_goal[None], horizon_labels),
        unlinked_features=unlinked_features,
        gaps=gaps,
        aligned_count=item_count - unaligned,
        item_count=item_count,
        stale_key_result_ids=stale_ids,
    )


def _board_order(outcome: Outcome) -> tuple[int, int, int]:
    return (HORIZON_VALUES.index(outcome.horizon), outcome.position, outcome.pk)


def _by_horizon(
    nodes: list[OutcomeNode], horizon_labels: dict[str, str]
) -> list[HorizonGroup]:
    """Group outcome nodes by horizon, keeping only horizons that have some."""
    return [
        HorizonGroup(value, horizon_labels[value], members)
        for value in HORIZON_VALUES
        if (members := [n for n in nodes if n.outcome.horizon == value])
    ]


def load_line_of_sight(
    product: Product, *, today: dt.date | None = None
) -> LineOfSight:
    """Gather the product's line of sight in a fixed number of queries."""
    roadmap = Roadmap.objects.filter(product=product).first()
    horizon_labels = (
        {value: label for value, label, _ in roadmap.horizons}
        if roadmap
        else dict(Horizon.choices)
    )
    live_outcomes = Outcome.objects.alive().exclude(status=Outcome.Status.DROPPED)
    blocked = (
        TeamDependency.objects.for_roadmap(roadmap.pk)
        .filter(status=DependencyStatus.BLOCKED)
        .for_list()
        if roadmap
        else []
    )
    assumptions = (
        Challenge.objects.alive()
        .filter(roadmap=roadmap, is_assumption=True)
        .annotate(latest_evidence=models.Max("evidence__observed_on"))
        .order_by("position", "id")
        if roadmap
        else []
    )
    return build_line_of_sight(
        themes=list(product.themes.all()),
        goals=list(product.goals.active()),
        key_results=KeyResult.objects.with_current()
        .filter(
            Q(metric__product=product) | Q(success_metric__roadmap__product=product)
        )
        .distinct(),
        outcomes=list(live_outcomes.filter(roadmap__product=product)),
        success_metrics=SuccessMetric.objects.alive()
        .filter(roadmap__product=product, outcome__isnull=False)
        .values_list("outcome_id", "key_result_id"),
        features=list(
            Feature.objects.alive()
            .filter(roadmap__product=product)
            .order_by("position", "id")
        ),
        horizon_labels=horizon_labels,
        today=today or timezone.localdate(),
        blocked_dependencies=blocked,
        assumptions=assumptions,
        stale_days=roadmap.assumption_stale_days if roadmap else DEFAULT_STALE_DAYS,
    )


def fix_url(gap: Gap, product: Product) -> str:
    """Return the address of the place where the gap is closed."""
    board = reverse("roadmap:board", args=[product.slug])
    match gap.kind:
        case GapKind.GOAL_WITHOUT_KEY_RESULTS:
            create = reverse("metrics:keyresult_create", args=[product.slug])
            return f"{create}?goal={gap.item.pk}"
        case GapKind.GOAL_NOT_SERVED:
            return board
        case GapKind.OUTCOME_WITHOUT_GOAL | GapKind.OUTCOME_WITHOUT_SUCCESS_METRIC:
            return f"{board}?card=outcome-{gap.item.pk}#outcome-{gap.item.pk}"
        case GapKind.FEATURE_WITHOUT_OUTCOME:
            return f"{board}?card=feature-{gap.item.pk}#feature-{gap.item.pk}"
        case GapKind.KEY_RESULT_NOT_MEASURED:
            return reverse("metrics:keyresult_detail", args=[product.slug, gap.item.pk])
        case GapKind.DEPENDENCY_BLOCKED:
            dependencies = reverse("roadmap:dependencies", args=[product.slug])
            return f"{dependencies}?status=blocked#dependency-{gap.item.pk}"
        case GapKind.ASSUMPTION_STALE:
            return reverse("roadmap:assumption", args=[product.slug, gap.item.pk])
    raise ValueError(gap.kind)


def gap_groups(
    line_of_sight: LineOfSight, product: Product
) -> list[tuple[GapKind, list[tuple[Gap, str]]]]:
    """Return the gaps grouped by kind, each with the address that closes it."""
    return [
        (kind, [(gap, fix_url(gap, product)) for gap in gaps])
        for kind, gaps in line_of_sight.gaps_by_kind()
    ]
