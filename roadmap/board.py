"""The board engine: what a board shows, read as plain values, cached in pieces.

Reading. A board shows twelve cells (four rows by three horizons). The first
paint holds the first FIRST_PAGE cards of each cell; the rest of a cell loads
when it scrolls into view (`cell_cards`). Each card is read as plain values
(`.values()`, no model instances) into a frozen dataclass that holds exactly
what its markup shows, so the number of rows read and rendered depends on
what is on screen, not on the size of the roadmap. The query count is fixed.

Caching, in two layers, both in the `board` cache (Redis when REDIS_URL is
set, so every worker and server shares them):
- a card's HTML is keyed on a hash of its dataclass and the page it is drawn
  for. Whatever changes what a card shows changes its key, so a piece is
  never stale and a write re-renders only the cards it touched;
- the whole grid is keyed on the product's plan revision, which every write
  bumps in its transaction (strategy.revision). A board nobody changed is one
  cache read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import caches
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.template import loader
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from metrics.models import KeyResult, Measurement, Metric
from metrics.progress import Status
from roadmap import prioritisation
from roadmap.assumptions import Freshness, freshness
from roadmap.models import (
    OPEN_OUTCOME_STATUSES,
    Challenge,
    ChallengeStatus,
    DependencyStatus,
    Evidence,
    Feature,
    FeatureStage,
    Horizon,
    Outcome,
    OutcomeCategory,
    OutcomeConfidence,
    OutcomeStatus,
    Roadmap,
    SuccessMetric,
    Team,
    TeamDependency,
)

# Cards a cell paints at first; the rest load as the cell scrolls into view.
FIRST_PAGE = 12
# Cards each "Show more" (or scroll into view) adds to a cell.
MORE_PAGE = 60
# A client never makes one cell hold more than this in one answer.
MAX_LOADED = 2_000
# How many measurements a success metric card's sparkline shows.
SPARKLINE_POINTS = 12
# Bump when card or grid markup changes, so a shared cache never serves old
# markup to new code during a deploy.
MARKUP_VERSION = 5
CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class RowSpec:
    kind: str
    title: str
    question: str
    empty_text: str
    add_label: str
    noun: str


ROWS = (
    RowSpec(
        "outcome",
        "Desired outcomes",
        "The change we want to see",
        "No desired outcome yet: what should change for customers or the business?",
        "Add outcome",
        "outcome",
    ),
    RowSpec(
        "challenge",
        "Key challenges",
        "What we must overcome",
        "No key challenge yet: what could stop these outcomes?",
        "Add challenge",
        "challenge",
    ),
    RowSpec(
        "success_metric",
        "Success metrics",
        "How we will know",
        "No success metric yet: which key result shows the outcome is reached?",
        "Add key result",
        "key result",
    ),
    RowSpec(
        "feature",
        "Features",
        "Bets that should move the outcomes",
        "To be defined, designed and validated.",
        "Add feature",
        "feature",
    ),
)
ROW_BY_KIND = {row.kind: row for row in ROWS}
KINDS = tuple(ROW_BY_KIND)
HORIZON_ORDER = {horizon: index for index, horizon in enumerate(Horizon.values)}


# Filters ---------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    goal: int | None = None
    theme: int | None = None
    team: int | None = None
    status: str = ""
    q: str = ""
    # Order feature cells by score and show each feature's rank.
    by_score: bool = False

    @property
    def is_active(self) -> bool:
        return bool(self.narrows_outcomes or self.q)

    @property
    def narrows_outcomes(self) -> bool:
        return bool(self.goal or self.theme or self.team or self.status)

    def outcome_condition(self, prefix: str = "") -> Q:
        """The goal, theme, team and status filters over an outcome's fields."""
        condition = Q()
        if self.goal:
            condition &= Q(**{f"{prefix}goal_id": self.goal})
        if self.theme:
            condition &= Q(**{f"{prefix}goal__theme_id": self.theme})
        if self.status:
            condition &= Q(**{f"{prefix}status": self.status})
        if self.team:
            outcome = OuterRef(f"{prefix}id" if prefix else "id")
            condition &= Q(
                Exists(
                    Outcome.teams.through.objects.filter(
                        outcome_id=outcome, team_id=self.team
                    )
                )
            )
        return condition

    def card_condition(self, kind: str) -> Q:
        """Show a card if it (or the outcome it serves) passes the filters."""
        condition = Q()
        if self.narrows_outcomes:
            if kind == "outcome":
                condition &= self.outcome_condition()
            else:
                serves = Q(outcome__deleted_at__isnull=True, outcome__isnull=False)
                serves &= self.outcome_condition("outcome__")
                if (
                    kind == "feature"
                    and self.team
                    and not (self.goal or self.theme or self.status)
                ):
                    serves |= Q(team_id=self.team)
                condition &= serves
        if self.q:
            if kind == "success_metric":
                condition &= Q(key_result__metric__name__icontains=self.q)
            else:
                condition &= Q(title__icontains=self.q) | Q(
                    description__icontains=self.q
                )
        return condition


# What cards show -------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRef:
    pk: int
    title: str


@dataclass(frozen=True)
class KeyResultBar:
    statement: str
    percent: int | None
    status: str
    status_label: str


@dataclass(frozen=True)
class BoardCard:
    """What every card shows: its place, its version and its title."""

    kind: ClassVar[str] = ""
    pk: int
    version: int
    horizon: str
    title: str

    @property
    def dom_id(self) -> str:
        return f"{self.kind}-{self.pk}"


@dataclass(frozen=True)
class OutcomeCard(BoardCard):
    kind: ClassVar[str] = "outcome"
    status: str
    confidence: str
    category: str
    goal_title: str
    theme_title: str
    teams: tuple[str, ...]
    feature_count: int
    key_results: tuple[KeyResultBar, ...]
    # Teams whose work this outcome needs and that are blocked.
    blocked_by: tuple[str, ...] = ()

    @property
    def status_label(self) -> str:
        return OutcomeStatus(self.status).label

    @property
    def confidence_label(self) -> str:
        return OutcomeConfidence(self.confidence).label

    @property
    def category_label(self) -> str:
        return OutcomeCategory(self.category).label


@dataclass(frozen=True)
class ChallengeCard(BoardCard):
    kind: ClassVar[str] = "challenge"
    status: str
    outcome: OutcomeRef | None
    # Set when the challenge is an assumption to test.
    assumption: Freshness | None = None

    @property
    def status_label(self) -> str:
        return ChallengeStatus(self.status).label


@dataclass(frozen=True)
class SuccessMetricCard(BoardCard):
    kind: ClassVar[str] = "success_metric"
    current_display: str
    spark_values: tuple[Decimal, ...]
    percent: int | None
    expected_percent: int | None  # None before the key result's start
    status: str
    outcome: OutcomeRef | None

    @property
    def status_label(self) -> str:
        return Status(self.status).label


@dataclass(frozen=True)
class FeatureCard(BoardCard):
    kind: ClassVar[str] = "feature"
    stage: str
    team_name: str
    outcome: OutcomeRef | None
    released_on: dt.date | None = None
    # Shown only when the board is sorted by score: the feature's rank, or
    # None when its estimate is incomplete ("Not estimated").
    show_rank: bool = False
    rank: int | None = None
    blocked_by: tuple[str, ...] = ()

    @property
    def stage_label(self) -> str:
        return FeatureStage(self.stage).label


AnyCard = OutcomeCard | ChallengeCard | SuccessMetricCard | FeatureCard


def _outcome_ref(row: dict[str, Any]) -> OutcomeRef | None:
    if row["outcome_id"] is None or row["outcome__deleted_at"] is not None:
        return None
    return OutcomeRef(row["outcome_id"], row["outcome__title"])


def _key_result(row: dict[str, Any], prefix: str) -> KeyResult:
    """An unsaved key result carrying the values read, for its maths."""
    metric = Metric(
        name=row[f"{prefix}metric__name"],
        unit=row[f"{prefix}metric__unit"],
        direction=row[f"{prefix}metric__direction"],
    )
    key_result = KeyResult(
        metric=metric,
        baseline=row[f"{prefix}baseline"],
        target=row[f"{prefix}target"],
        start_date=row[f"{prefix}start_date"],
        due_date=row[f"{prefix}due_date"],
    )
    # with_current() reads it from this annotation instead of a query.
    key_result.current_value = row["current_value"]  # type: ignore[attr-defined]
    return key_result


KEY_RESULT_FIELDS = (
    "baseline",
    "target",
    "start_date",
    "due_date",
    "metric__name",
    "metric__unit",
    "metric__direction",
)


def _blocked_teams(card: str) -> ArraySubquery:
    """The names of the teams a card waits on with a blocked dependency."""
    return ArraySubquery(
        TeamDependency.objects.filter(
            **{card: OuterRef("pk")}, status=DependencyStatus.BLOCKED
        )
        .order_by("team__name")
        .values("team__name")
    )


def _latest_evidence() -> Subquery:
    return Subquery(
        Evidence.objects.filter(challenge=OuterRef("pk"))
        .order_by("-observed_on")
        .values("observed_on")[:1]
    )


def assumption_of(
    row: dict[str, Any], today: dt.date, stale_days: int
) -> Freshness | None:
    """How fresh a challenge row's assumption is, or None if it is not one."""
    if not row["is_assumption"]:
        return None
    return freshness(
        confidence=row["confidence"],
        last_evidence_on=row["latest_evidence"] or row["assumed_on"],
        today=today,
        stale_days=stale_days,
    )


def _latest_value(metric_ref: str) -> Subquery:
    return Subquery(
        Measurement.objects.filter(metric=OuterRef(metric_ref))
        .order_by("-date")
        .values("value")[:1]
    )


# Reading cards as plain values -------------------------------------------------


def on_board(kind: str, prefix: str = "") -> Q:
    """Cards the board shows: closed outcomes and their cards are in Done.

    An outcome closed as achieved, missed or dropped leaves the board with
    the challenges, key results and features that served it; reopening it
    brings them back.
    """
    if kind == "outcome":
        return Q(**{f"{prefix}status__in": OPEN_OUTCOME_STATUSES})
    return Q(**{f"{prefix}outcome__isnull": True}) | Q(
        **{f"{prefix}outcome__status__in": OPEN_OUTCOME_STATUSES}
    )


def _cards_queryset(roadmap: Roadmap, kind: str, filters: BoardFilters) -> QuerySet:
    """Live cards of one kind, filtered, with what their markup shows."""
    card_fields = ("id", "version", "horizon", "position")
    linked = ("outcome_id", "outcome__title", "outcome__deleted_at")
    if kind == "outcome":
        features = (
            Feature.objects.filter(outcome=OuterRef("pk"), deleted_at__isnull=True)
            .order_by()
            .values("outcome")
            .annotate(count=Count("id"))
            .values("count")
        )
        queryset = Outcome.objects.annotate(
            team_names=ArraySubquery(
                Team.objects.filter(outcomes=OuterRef("pk"))
                .order_by("name")
                .values("name")
            ),
            feature_count=Coalesce(
                Subquery(features, output_field=IntegerField()), Value(0)
            ),
            blocked_teams=_blocked_teams("outcome"),
        ).values(
            *card_fields,
            "title",
            "status",
            "confidence",
            "category",
            "goal_id",
            "goal__title",
            "goal__theme__title",
            "team_names",
            "feature_count",
            "blocked_teams",
        )
    elif kind == "challenge":
        queryset = Challenge.objects.annotate(
            latest_evidence=_latest_evidence()
        ).values(
            *card_fields,
            "title",
            "status",
            "is_assumption",
            "confidence",
            "assumed_on",
            "latest_evidence",
            *linked,
        )
    elif kind == "feature":
        queryset = Feature.objects.annotate(
            blocked_teams=_blocked_teams("feature")
        ).values(
            *card_fields,
            "title",
            "stage",
            "team__name",
            "released_on",
            "blocked_teams",
            *linked,
        )
        if filters.by_score:
            queryset = queryset.annotate(
                score=prioritisation.score_expression(roadmap.score_method)
            )
    else:
        recent = Measurement.objects.filter(
            metric=OuterRef("key_result__metric_id")
        ).order_by("-date")
        queryset = SuccessMetric.objects.annotate(
            current_value=_latest_value("key_result__metric_id"),
            recent_values=ArraySubquery(recent.values("value")[:SPARKLINE_POINTS]),
        ).values(
            *card_fields,
            *linked,
            "current_value",
            "recent_values",
            *(f"key_result__{name}" for name in KEY_RESULT_FIELDS),
        )
    return queryset.filter(
        on_board(kind),
        filters.card_condition(kind),
        roadmap_id=roadmap.pk,
        deleted_at__isnull=True,
    )


def _card(
    kind: str,
    row: dict[str, Any],
    today: dt.date,
    bars: Any,
    stale_days: int,
    ranks: dict[int, int] | None = None,
) -> AnyCard:
    place = (row["id"], row["version"], row["horizon"])
    if kind == "outcome":
        return OutcomeCard(
            *place,
            title=row["title"],
            status=row["status"],
            confidence=row["confidence"],
            category=row["category"],
            goal_title=row["goal__title"] or "" if row["goal_id"] else "",
            theme_title=row["goal__theme__title"] or "",
            teams=tuple(row["team_names"] or ()),
            feature_count=row["feature_count"],
            key_results=tuple(bars.get(row["id"], ())),
            blocked_by=tuple(row["blocked_teams"] or ()),
        )
    if kind == "challenge":
        return ChallengeCard(
            *place,
            title=row["title"],
            status=row["status"],
            outcome=_outcome_ref(row),
            assumption=assumption_of(row, today, stale_days),
        )
    if kind == "feature":
        return FeatureCard(
            *place,
            title=row["title"],
            stage=row["stage"],
            team_name=row["team__name"] or "",
            outcome=_outcome_ref(row),
            released_on=row["released_on"],
            show_rank=ranks is not None,
            rank=ranks.get(row["id"]) if ranks is not None else None,
            blocked_by=tuple(row["blocked_teams"] or ()),
        )
    key_result = _key_result(row, "key_result__")
    progress = key_result.progress(today)
    current = row["current_value"]
    return SuccessMetricCard(
        *place,
        title=key_result.statement,
        current_display=key_result.metric.format(current)
        if current is not None
        else "",
        spark_values=tuple(reversed(row["recent_values"] or ())),
        percent=progress.percent,
        expected_percent=progress.expected_percent,
        status=str(progress.status),
        outcome=_outcome_ref(row),
    )


def _key_result_bars(
    outcome_ids: Iterable[int], today: dt.date
) -> dict[int, list[KeyResultBar]]:
    """Each outcome's key results as progress bars, in one query."""
    ids = list(outcome_ids)
    rows = (
        KeyResult.objects.filter(
            success_metric__outcome_id__in=ids, success_metric__deleted_at__isnull=True
        )
        .annotate(current_value=_latest_value("metric_id"))
        .order_by("success_metric__position", "success_metric__id")
        .values("success_metric__outcome_id", "current_value", *KEY_RESULT_FIELDS)
    )
    bars: dict[int, list[KeyResultBar]] = defaultdict(list)
    for row in rows:
        key_result = _key_result(row, "")
        progress = key_result.progress(today)
        bars[row["success_metric__outcome_id"]].append(
            KeyResultBar(
                statement=key_result.statement,
                percent=progress.percent,
                status=str(progress.status),
                status_label=progress.status.label,
            )
        )
    return bars


def feature_ranks(roadmap: Roadmap) -> dict[int, int]:
    """Every live feature's rank by the roadmap's score method, in one query.

    The rank is over all the roadmap's features (as on the prioritisation
    page), whatever the board's other filters show.
    """
    rows = (
        Feature.objects.alive()
        .filter(roadmap_id=roadmap.pk)
        .in_board_order()
        .values(
            "id",
            "reach",
            "impact",
            "impact_key_result_id",
            "estimate_confidence",
            "effort_weeks",
        )
    )
    ranking = prioritisation.rank(
        ((row["id"], prioritisation.Estimate.of(row)) for row in rows),
        roadmap.score_method,
    )
    return ranking.rank_of()


def _to_cards(
    kind: str,
    rows: list[dict[str, Any]],
    today: dt.date,
    roadmap: Roadmap,
    ranks: dict[int, int] | None = None,
) -> list[AnyCard]:
    bars = (
        _key_result_bars((row["id"] for row in rows), today)
        if kind == "outcome"
        else {}
    )
    stale_days = roadmap.assumption_stale_days
    return [_card(kind, row, today, bars, stale_days, ranks) for row in rows]


def _ranks_for(roadmap: Roadmap, kind: str, filters: BoardFilters) -> dict | None:
    if kind == "feature" and filters.by_score:
        return feature_ranks(roadmap)
    return None


def cell_order(kind: str, filters: BoardFilters) -> tuple[Any, ...]:
    """A cell's order: by position, or features by score (unscored after)."""
    if kind == "feature" and filters.by_score:
        return (F("score").desc(nulls_last=True), "position", "id")
    return ("position", "id")


def first_cards(
    roadmap: Roadmap,
    kind: str,
    filters: BoardFilters,
    limits: dict[str, int],
    today: dt.date,
    horizons: Sequence[str] = tuple(Horizon.values),
) -> dict[str, list[AnyCard]]:
    """The first cards of each horizon's cell of one row, in one query.

    Each cell's first cards come from the (roadmap, horizon, position) index
    with a LIMIT, and what a card shows (teams, counts, trends: subqueries)
    is read for those cards only: the cost follows the cells' first pages,
    not the size of the row.
    """
    shown = _cards_queryset(roadmap, kind, filters)
    order = cell_order(kind, filters)
    first = [
        shown.filter(horizon=horizon).order_by(*order)[: limits[horizon]]
        for horizon in horizons
    ]
    union = first[0].union(*first[1:], all=True) if len(first) > 1 else first[0]
    if filters.by_score and kind == "feature":
        rows = sorted(
            union,
            key=lambda row: (
                HORIZON_ORDER[row["horizon"]],
                row["score"] is None,
                -(row["score"] or 0),
                row["position"],
                row["id"],
            ),
        )
    else:
        rows = sorted(
            union,
            key=lambda row: (
                HORIZON_ORDER[row["horizon"]],
                row["position"],
                row["id"],
            ),
        )
    by_horizon: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if len(by_horizon[row["horizon"]]) < limits[row["horizon"]]:
            by_horizon[row["horizon"]].append(row)
    kept = [row for horizon in Horizon.values for row in by_horizon[horizon]]
    result: dict[str, list[AnyCard]] = {horizon: [] for horizon in Horizon.values}
    for card in _to_cards(
        kind, kept, today, roadmap, _ranks_for(roadmap, kind, filters)
    ):
        result[card.horizon].append(card)
    return result


def cell_cards(
    roadmap: Roadmap,
    kind: str,
    horizon: str,
    filters: BoardFilters,
    *,
    offset: int,
    limit: int,
    today: dt.date | None = None,
) -> list[AnyCard]:
    """A slice of one cell's cards, in board order (for "Show more")."""
    rows = list(
        _cards_queryset(roadmap, kind, filters)
        .filter(horizon=horizon)
        .order_by(*cell_order(kind, filters))[offset : offset + limit]
    )
    return _to_cards(
        kind,
        rows,
        today or timezone.localdate(),
        roadmap,
        _ranks_for(roadmap, kind, filters),
    )


def cell_counts(
    roadmap: Roadmap,
    filters: BoardFilters,
    only: Iterable[tuple[str, str]] | None = None,
) -> dict[tuple[str, str], tuple[int, int]]:
    """(shown, total) for every cell (or `only` these), in one query.

    Counting reads every card of a cell, so a write that touched two cells
    counts those two, not the board.
    """
    wanted = set(only) if only is not None else None
    parts = []
    for kind in KINDS:
        model = CARD_MODELS[kind]
        horizons = [h for h in Horizon.values if wanted is None or (kind, h) in wanted]
        if not horizons:
            continue
        parts.append(
            model.objects.filter(
                on_board(kind),
                roadmap_id=roadmap.pk,
                deleted_at__isnull=True,
                horizon__in=horizons,
            )
            .order_by()
            .values("horizon")
            .annotate(
                kind=Value(kind),
                shown=Count("id", filter=filters.card_condition(kind)),
                total=Count("id"),
            )
            .values_list("kind", "horizon", "shown", "total")
        )
    counts = {
        (kind, h): (0, 0)
        for kind in KINDS
        for h in Horizon.values
        if wanted is None or (kind, h) in wanted
    }
    if not parts:
        return counts
    for kind, horizon, shown, total in parts[0].union(*parts[1:], all=True):
        counts[(kind, horizon)] = (shown, total)
    return counts


CARD_MODELS: dict[str, Any] = {
    "outcome": Outcome,
    "challenge": Challenge,
    "success_metric": SuccessMetric,
    "feature": Feature,
}


def load_card(roadmap: Roadmap, kind: str, pk: int) -> AnyCard | None:
    """One live card as the board shows it, or None."""
    rows = list(_cards_queryset(roadmap, kind, BoardFilters()).filter(pk=pk).order_by())
    return _to_cards(kind, rows, timezone.localdate(), roadmap)[0] if rows else None


def saved_card(instance: Challenge | Feature, roadmap: Roadmap) -> AnyCard:
    """A challenge or feature just saved from a form, as the board shows it.

    The form left the instance holding its new values with their related
    rows (outcome and team come from querysets of this product); only what
    the form does not edit (an assumption's latest evidence, a feature's
    blocked dependencies) is read, in one query.
    """
    outcome = instance.outcome if instance.outcome_id else None
    ref = OutcomeRef(outcome.pk, outcome.title) if outcome else None
    place = (instance.pk, instance.version, instance.horizon)
    if isinstance(instance, Challenge):
        row = {
            "is_assumption": instance.is_assumption,
            "confidence": instance.confidence,
            "assumed_on": instance.assumed_on,
            "latest_evidence": None,
        }
        if instance.is_assumption:
            row["latest_evidence"] = (
                Evidence.objects.filter(challenge=instance)
                .order_by("-observed_on")
                .values_list("observed_on", flat=True)
                .first()
            )
        return ChallengeCard(
            *place,
            title=instance.title,
            status=instance.status,
            outcome=ref,
            assumption=assumption_of(
                row, timezone.localdate(), roadmap.assumption_stale_days
            ),
        )
    blocked = (
        TeamDependency.objects.filter(feature=instance, status=DependencyStatus.BLOCKED)
        .order_by("team__name")
        .values_list("team__name", flat=True)
    )
    return FeatureCard(
        *place,
        title=instance.title,
        stage=instance.stage,
        team_name=instance.team.name if instance.team is not None else "",
        outcome=ref,
        released_on=instance.released_on,
        blocked_by=tuple(blocked),
    )


# Filter choices --------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: int | str
    label: str


@dataclass(frozen=True)
class FilterOptions:
    goals: tuple[Option, ...]
    themes: tuple[Option, ...]
    teams: tuple[Option, ...]


def _sorted(items: dict[int, str]) -> tuple[Option, ...]:
    return tuple(
        Option(pk, label)
        for pk, label in sorted(items.items(), key=lambda i: i[1].casefold())
    )


def filter_options(roadmap: Roadmap) -> FilterOptions:
    """The goals, themes and teams the board refers to, in two queries."""
    goals: dict[int, str] = {}
    themes: dict[int, str] = {}
    rows = (
        Outcome.objects.filter(
            on_board("outcome"), roadmap_id=roadmap.pk, deleted_at__isnull=True
        )
        .exclude(goal=None)
        .order_by()
        .values_list("goal_id", "goal__title", "goal__theme_id", "goal__theme__title")
        .distinct()
    )
    for goal_id, goal_title, theme_id, theme_title in rows:
        goals[goal_id] = goal_title
        if theme_id:
            themes[theme_id] = theme_title
    on_outcomes = Outcome.teams.through.objects.filter(
        on_board("outcome", "outcome__"),
        outcome__roadmap_id=roadmap.pk,
        outcome__deleted_at__isnull=True,
    ).values("team_id")
    on_features = Feature.objects.filter(
        on_board("feature"),
        roadmap_id=roadmap.pk,
        deleted_at__isnull=True,
        team__isnull=False,
    ).values("team_id")
    teams = dict(
        Team.objects.filter(Q(id__in=on_outcomes) | Q(id__in=on_features))
        .order_by()
        .values_list("id", "name")
    )
    return FilterOptions(_sorted(goals), _sorted(themes), _sorted(teams))


# Rendering pieces ------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """What a card's markup depends on besides the card: who draws it, where."""

    slug: str
    can_edit: bool


def _piece_key(card: AnyCard, page: Page) -> str:
    digest = hashlib.blake2b(
        # A frozen dataclass's repr holds every field it shows, nested ones too.
        repr((MARKUP_VERSION, card, page)).encode(),
        digest_size=16,
    ).hexdigest()
    return f"card:{digest}"


def render_card(card: AnyCard, page: Page) -> str:
    """Render one card from its partial (the only place card markup is made)."""
    template = loader.get_template(f"roadmap/board.html#{card.kind}-card")
    return template.render({"card": card, "page": page})


class Pieces:
    """Card and cell HTML from the shared cache; only what is not there renders.

    A cell's key holds its cards' keys, its counts and what its markup shows
    around them, so a write re-renders the cells it touched and no other.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self._html: dict[str, str] = {}
        self._new: dict[str, str] = {}
        self._cell_keys: dict[int, str] = {}
        # A card's key is asked for by prefetch, its cell's key and html():
        # hash its markup's inputs once (the dataclasses are frozen).
        self._card_keys: dict[AnyCard, str] = {}

    def _key(self, card: AnyCard) -> str:
        key = self._card_keys.get(card)
        if key is None:
            key = self._card_keys[card] = _piece_key(card, self.page)
        return key

    def prefetch(
        self, cards: Iterable[AnyCard], cells: Iterable[Cell] = (), around: Any = ()
    ) -> None:
        """Read at once the pieces of these cards, and of these cells."""
        keys = [self._key(card) for card in cards]
        for cell in cells:
            key = self._cell_key(cell, around)
            self._cell_keys[id(cell)] = key
            keys.append(key)
        missing = [key for key in keys if key not in self._html]
        if missing:
            self._html.update(caches["board"].get_many(missing))

    def _cell_key(self, cell: Cell, around: Any) -> str:
        parts = (
            MARKUP_VERSION,
            cell.key,
            cell.label,
            cell.order,
            cell.shown,
            cell.total,
            [self._key(card) for card in cell.cards],
            self.page,
            around,
        )
        digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
        return f"cell:{digest}"

    def cell(self, cell: Cell, render: Callable[[], str]) -> SafeString:
        """The cell's HTML, from the cache or from `render` (then kept)."""
        key = self._cell_keys.get(id(cell))
        text = self._html.get(key) if key else None
        if text is None:
            text = render()
            if key:
                self._html[key] = self._new[key] = text
        return mark_safe(text)

    def html(self, card: AnyCard) -> SafeString:
        key = self._key(card)
        text = self._html.get(key)
        if text is None:
            text = render_card(card, self.page)
            self._html[key] = self._new[key] = text
        return mark_safe(text)

    def save(self) -> None:
        if self._new:
            caches["board"].set_many(self._new, CACHE_SECONDS)
            self._new = {}


# The grid -----------------------------------------------------------------------


@dataclass
class Cell:
    row: RowSpec
    horizon: str
    label: str
    order: int
    cards: list[AnyCard] = field(default_factory=list)
    shown: int = 0
    total: int = 0

    @property
    def key(self) -> str:
        return f"{self.row.kind}-{self.horizon}"

    @property
    def more(self) -> int:
        return self.shown - len(self.cards)


@dataclass(frozen=True)
class Column:
    horizon: str
    label: str
    hint: str
    order: int


@dataclass
class Grid:
    columns: list[Column]
    rows: list[tuple[RowSpec, list[Cell]]]
    shown: int
    total: int

    def cells(self) -> Iterable[Cell]:
        for _, cells in self.rows:
            yield from cells

    def only(self, keys: Iterable[tuple[str, str]]) -> Grid:
        """The grid with only these (kind, horizon) cells, and all its counts."""
        wanted = set(keys)
        rows = [
            (spec, [cell for cell in cells if (spec.kind, cell.horizon) in wanted])
            for spec, cells in self.rows
        ]
        return Grid(self.columns, rows, self.shown, self.total)


def parse_loaded(text: str) -> dict[str, int]:
    """Read "feature-soon:72,outcome-current:12" (cards a client has per cell)."""
    loaded: dict[str, int] = {}
    for part in text.split(",")[:12]:
        key, _, count = part.partition(":")
        if key.count("-") == 1 and count.isascii() and count.isdigit():
            kind, horizon = key.split("-")
            if kind in ROW_BY_KIND and horizon in Horizon.values:
                loaded[key] = min(int(count), MAX_LOADED)
    return loaded


def build_grid(
    roadmap: Roadmap,
    filters: BoardFilters,
    *,
    loaded: dict[str, int] | None = None,
    today: dt.date | None = None,
) -> Grid:
    """Read the cells of a board with their cards.

    A cell holds its first FIRST_PAGE cards, or as many as the client already
    had (`loaded`), so a refresh never takes away cards someone scrolled to.
    """
    today = today or timezone.localdate()
    loaded = loaded or {}
    counts = cell_counts(roadmap, filters)
    rows_per_column = len(ROWS) + 1
    columns = [
        Column(h, label, hint, index * rows_per_column)
        for index, (h, label, hint) in enumerate(roadmap.horizons)
    ]
    grid_rows = []
    for row_index, spec in enumerate(ROWS):
        limits = {
            h: max(FIRST_PAGE, loaded.get(f"{spec.kind}-{h}", 0))
            for h in Horizon.values
        }
        cards = first_cards(roadmap, spec.kind, filters, limits, today)
        cells = []
        for column in columns:
            shown, total = counts[(spec.kind, column.horizon)]
            cells.append(
                Cell(
                    row=spec,
                    horizon=column.horizon,
                    label=column.label,
                    order=column.order + row_index + 1,
                    cards=cards.get(column.horizon, []),
                    shown=shown,
                    total=total,
                )
            )
        grid_rows.append((spec, cells))
    return Grid(
        columns=columns,
        rows=grid_rows,
        shown=sum(shown for shown, _ in counts.values()),
        total=sum(total for _, total in counts.values()),
    )


def grid_cache_key(
    product_id: int,
    revision: int,
    page: Page,
    filters: BoardFilters,
    loaded: dict[str, int],
) -> str:
    parts = (
        MARKUP_VERSION,
        product_id,
        revision,
        page,
        astuple(filters),
        sorted(loaded.items()),
        timezone.localdate().isoformat(),  # progress depends on today
    )
    return "grid:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def piece_key(kind: str, shows: Any) -> str:
    """A cache key for a piece of markup that is a function of `shows`."""
    parts = (MARKUP_VERSION, kind, shows)
    return (
        f"{kind}:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    )


def cache_get(key: str) -> Any:
    return caches["board"].get(key)


def cache_set(key: str, value: Any) -> None:
    caches["board"].set(key, value, CACHE_SECONDS)
