"""Read the board: a roadmap's whole grid in a fixed number of queries.

Four queries fetch every live card (outcomes with their teams, challenges,
key results with their latest value and recent measurements, features).
Links between cards (an outcome's features and key results, the outcome a
feature serves) are joined in Python, so the query count does not grow with
the board. Filters are applied in Python too, over the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from metrics.models import KeyResult, Measurement
from roadmap.models import (
    Challenge,
    Feature,
    Outcome,
    OutcomeStatus,
    Roadmap,
    SuccessMetric,
)
from strategy.models import Product

# How many measurements a key result card's sparkline shows.
SPARKLINE_POINTS = 12


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
        "metric",
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


@dataclass(frozen=True)
class BoardFilters:
    goal: int | None = None
    theme: int | None = None
    team: int | None = None
    status: str = ""
    q: str = ""

    @property
    def is_active(self) -> bool:
        return bool(self.goal or self.theme or self.team or self.status or self.q)

    @property
    def narrows_outcomes(self) -> bool:
        return bool(self.goal or self.theme or self.team or self.status)


@dataclass
class Cell:
    row: RowSpec
    horizon: str
    label: str
    hint: str
    order: int
    cards: list[Any] = field(default_factory=list)
    digest: str = ""

    @property
    def key(self) -> str:
        return f"{self.row.kind}-{self.horizon}"


@dataclass
class Row:
    spec: RowSpec
    cells: list[Cell]


@dataclass
class Option:
    value: int | str
    label: str


@dataclass
class Board:
    roadmap: Roadmap
    rows: list[Row]
    total: int
    shown: int
    goals: list[Option]
    themes: list[Option]
    teams: list[Option]
    statuses: list[Option]


def outcomes_for_board(roadmap: Roadmap) -> list[Outcome]:
    return list(Outcome.objects.filter(roadmap=roadmap).for_board())


def challenges_for_board(roadmap: Roadmap) -> list[Challenge]:
    return list(Challenge.objects.filter(roadmap=roadmap).for_board())


def features_for_board(roadmap: Roadmap) -> list[Feature]:
    return list(Feature.objects.filter(roadmap=roadmap).for_board())


def key_results_for_board(**card_filter: Any) -> list[SuccessMetric]:
    """Return the success-metric cards with their key result, progress and trend.

    One query: the key result carries its latest value (with_current) and its
    last SPARKLINE_POINTS measurements as an array.
    """
    recent = Measurement.objects.filter(metric=OuterRef("metric_id")).order_by("-date")
    key_results = (
        KeyResult.objects.with_current()
        .filter(
            **{f"board_card__{k}": v for k, v in card_filter.items()},
            board_card__deleted_at__isnull=True,
        )
        .select_related("board_card")
        .only(
            "id",
            "baseline",
            "target",
            "start_date",
            "due_date",
            "version",
            "metric__name",
            "metric__unit",
            "metric__direction",
            "board_card__roadmap_id",
            "board_card__horizon",
            "board_card__position",
            "board_card__version",
            "board_card__updated_at",
            "board_card__outcome_id",
            "board_card__key_result_id",
        )
        .annotate(
            recent_values=ArraySubquery(recent.values("value")[:SPARKLINE_POINTS])
        )
        .order_by("board_card__position", "board_card__id")
    )
    cards = []
    for kr in key_results:
        card = kr.board_card
        card.key_result = kr
        cards.append(card)
    return cards


def decorate_metric(card: SuccessMetric, today: dt.date) -> None:
    kr = card.key_result
    card.statement = kr.statement
    card.progress = kr.progress(today)
    card.spark_values = list(reversed(kr.recent_values or []))
    card.current_display = (
        kr.metric.format(kr.current_value) if kr.current_value is not None else ""
    )


def _link(card: Any, outcomes: dict[int, Outcome]) -> None:
    card.linked_outcome = outcomes.get(card.outcome_id)


def load_board(
    roadmap: Roadmap, filters: BoardFilters, *, today: dt.date | None = None
) -> Board:
    """Gather the grid; the query count is the same for any number of cards."""
    today = today or timezone.localdate()
    outcomes = outcomes_for_board(roadmap)
    challenges = challenges_for_board(roadmap)
    metrics = key_results_for_board(roadmap=roadmap)
    features = features_for_board(roadmap)

    outcome_by_id = {o.pk: o for o in outcomes}
    feature_counts: dict[int, int] = defaultdict(int)
    metrics_by_outcome: dict[int, list[SuccessMetric]] = defaultdict(list)
    for card in challenges:
        card.board_kind = "challenge"
        _link(card, outcome_by_id)
    for card in features:
        card.board_kind = "feature"
        _link(card, outcome_by_id)
        if card.linked_outcome:
            feature_counts[card.outcome_id] += 1
    for card in metrics:
        card.board_kind = "metric"
        _link(card, outcome_by_id)
        decorate_metric(card, today)
        if card.linked_outcome:
            metrics_by_outcome[card.outcome_id].append(card)
    for card in outcomes:
        card.board_kind = "outcome"
        card.feature_count = feature_counts[card.pk]
        card.metric_cards = metrics_by_outcome[card.pk]

    visible = _visible_outcomes(outcomes, filters)
    all_cards = [*outcomes, *challenges, *metrics, *features]
    shown_cards = [c for c in all_cards if _is_shown(c, filters, visible)]

    cells: dict[tuple[str, str], Cell] = {}
    rows = []
    for row_index, spec in enumerate(ROWS):
        row_cells = []
        for col_index, (horizon, label, hint) in enumerate(roadmap.horizons):
            cell = Cell(
                row=spec,
                horizon=horizon,
                label=label,
                hint=hint,
                order=col_index * (len(ROWS) + 1) + row_index + 1,
            )
            cells[(spec.kind, horizon)] = cell
            row_cells.append(cell)
        rows.append(Row(spec=spec, cells=row_cells))
    for card in shown_cards:
        cells[(card.board_kind, card.horizon)].cards.append(card)

    return Board(
        roadmap=roadmap,
        rows=rows,
        total=len(all_cards),
        shown=len(shown_cards),
        **_options(outcomes, features),
    )


def _visible_outcomes(outcomes: list[Outcome], filters: BoardFilters) -> set[int]:
    """Return the outcomes that pass the goal, theme, team and status filters."""
    result = set()
    for outcome in outcomes:
        if filters.goal and outcome.goal_id != filters.goal:
            continue
        if filters.theme and (
            outcome.goal is None or outcome.goal.theme_id != filters.theme
        ):
            continue
        if filters.team and filters.team not in {t["id"] for t in outcome.team_list}:
            continue
        if filters.status and outcome.status != filters.status:
            continue
        result.add(outcome.pk)
    return result


def _is_shown(card: Any, filters: BoardFilters, visible: set[int]) -> bool:
    """Show a card if it (or the outcome it serves) passes the filters."""
    if filters.q and filters.q.casefold() not in card_text(card).casefold():
        return False
    if not filters.narrows_outcomes:
        return True
    if card.board_kind == "outcome":
        return card.pk in visible
    if (
        filters.team
        and card.board_kind == "feature"
        and card.team_id == filters.team
        and not (filters.goal or filters.theme or filters.status)
    ):
        return True
    return card.outcome_id in visible and card.linked_outcome is not None


def card_text(card: Any) -> str:
    if card.board_kind == "metric":
        return card.key_result.statement
    return f"{card.title}\n{card.description}"


def _options(outcomes: list[Outcome], features: list[Feature]) -> dict[str, Any]:
    """Offer, as filters, the goals, themes and teams the board refers to."""
    goals: dict[int, str] = {}
    themes: dict[int, str] = {}
    teams: dict[int, str] = {}
    for outcome in outcomes:
        if outcome.goal:
            goals[outcome.goal.pk] = outcome.goal.title
            if outcome.goal.theme:
                themes[outcome.goal.theme.pk] = outcome.goal.theme.title
        for team in outcome.team_list:
            teams[team["id"]] = team["name"]
    for feature in features:
        if feature.team_id:
            teams[feature.team_id] = feature.team_name

    def sort(items: dict[int, str]) -> list[Option]:
        return [
            Option(pk, label)
            for pk, label in sorted(items.items(), key=lambda i: i[1].casefold())
        ]

    return {
        "goals": sort(goals),
        "themes": sort(themes),
        "teams": sort(teams),
        "statuses": [Option(v, label) for v, label in OutcomeStatus.choices],
    }


def card_as_saved(card: Challenge | Feature, kind: str) -> Challenge | Feature:
    """Decorate a challenge or feature just saved from a form, without a query.

    The form left the card holding its new values with their related rows
    (the outcome comes from a queryset of this roadmap's live outcomes), so
    the board's decorations can be set from what is in hand.
    """
    card.board_kind = kind
    card.linked_outcome = card.outcome if card.outcome_id else None
    if kind == "feature":
        card.team_name = card.team.name if card.team_id else None
    return card


def load_card(
    roadmap: Roadmap, kind: str, pk: int, *, today: dt.date | None = None
) -> Any:
    """Return one live card decorated exactly as the board decorates it."""
    today = today or timezone.localdate()
    if kind == "outcome":
        card = Outcome.objects.filter(roadmap=roadmap).for_board().get(pk=pk)
        card.feature_count = Feature.objects.filter(outcome=card).alive().count()
        card.metric_cards = key_results_for_board(outcome=card)
        for metric in card.metric_cards:
            decorate_metric(metric, today)
    elif kind == "metric":
        found = key_results_for_board(roadmap=roadmap, pk=pk)
        if not found:
            raise SuccessMetric.DoesNotExist
        card = found[0]
        decorate_metric(card, today)
    else:
        model = Challenge if kind == "challenge" else Feature
        card = model.objects.filter(roadmap=roadmap).for_board().get(pk=pk)
    if kind != "outcome":
        outcome = (
            Outcome.objects.filter(pk=card.outcome_id).alive().first()
            if card.outcome_id
            else None
        )
        card.linked_outcome = outcome
    card.board_kind = kind
    return card


# The grid's fingerprint -------------------------------------------------------


def _fingerprint_sql() -> str:
    """One SELECT, run per roadmap row, over everything the grid shows.

    Cards (live and deleted) give count, latest updated_at and the sum of their
    versions: every board write bumps a version or the roadmap's revision, and
    a hard delete or SET_NULL cascade changes a count. Rows edited elsewhere
    without a change marker (key results, metrics, goals, themes, teams) are
    small sets, so their shown fields are hashed outright: any way of saving
    them changes the hash. Measurements are many, so they give count, latest
    updated_at and sums of value and date.
    """
    outcome = Outcome._meta.db_table
    links = Outcome.teams.through._meta.db_table
    success = SuccessMetric._meta.db_table
    key_result = KeyResult._meta.db_table
    metric = KeyResult._meta.get_field("metric").related_model._meta.db_table
    measurement = Measurement._meta.db_table
    goal_field = Outcome._meta.get_field("goal")
    goal = goal_field.related_model._meta.db_table
    theme = goal_field.related_model._meta.get_field("theme").related_model
    team = Outcome._meta.get_field("teams").related_model._meta.db_table
    roadmap_id = f'"{Roadmap._meta.db_table}"."id"'

    def cards(table: str) -> str:
        return (
            "(SELECT concat_ws(',', count(*), max(updated_at), sum(version)) "
            f"FROM {table} WHERE roadmap_id = {roadmap_id})"
        )

    parts = [
        *(cards(model._meta.db_table) for model in (Outcome, Challenge, Feature)),
        cards(success),
        f"(SELECT concat_ws(',', count(*), sum(l.id)) FROM {links} l "
        f"JOIN {outcome} o ON o.id = l.outcome_id WHERE o.roadmap_id = {roadmap_id})",
        "(SELECT md5(string_agg(concat_ws(',', k.id, k.version, k.baseline, "
        "k.target, k.start_date, k.due_date, m.id, m.name, m.unit, m.direction), "
        f"';' ORDER BY k.id)) FROM {success} s "
        f"JOIN {key_result} k ON k.id = s.key_result_id "
        f"JOIN {metric} m ON m.id = k.metric_id WHERE s.roadmap_id = {roadmap_id})",
        "(SELECT concat_ws(',', count(*), max(x.updated_at), sum(x.value), "
        f"sum(x.date - DATE '2000-01-01')) FROM {measurement} x "
        f"WHERE x.metric_id IN (SELECT k.metric_id FROM {success} s "
        f"JOIN {key_result} k ON k.id = s.key_result_id "
        f"WHERE s.roadmap_id = {roadmap_id}))",
        "(SELECT md5(string_agg(concat_ws(',', g.id, g.title, g.theme_id, t.title), "
        f"';' ORDER BY g.id)) FROM {goal} g "
        f"LEFT JOIN {theme._meta.db_table} t ON t.id = g.theme_id "
        f"WHERE g.id IN (SELECT goal_id FROM {outcome} "
        f"WHERE roadmap_id = {roadmap_id}))",
        f"(SELECT md5(string_agg(concat_ws(',', id, name), ';' ORDER BY id)) "
        f"FROM {team})",
    ]
    return f"concat_ws('|', {', '.join(parts)})"


def with_fingerprint(roadmaps: QuerySet[Roadmap]) -> QuerySet[Roadmap]:
    """Annotate `fingerprint`: it changes whenever anything on the grid does."""
    return roadmaps.annotate(fingerprint=RawSQL(_fingerprint_sql(), []))


def roadmap_for_board(product: Product) -> Roadmap:
    """The product's roadmap with its grid fingerprint, in one query.

    The roadmap is created on first visit (the only case that costs more).
    """
    roadmap = with_fingerprint(Roadmap.objects.filter(product=product)).first()
    if roadmap is None:
        Roadmap.objects.get_or_create(product=product)
        roadmap = with_fingerprint(Roadmap.objects.filter(product=product)).get()
    return roadmap


def board_fingerprint(roadmap: Roadmap) -> str:
    """Read the fingerprint of a roadmap already in hand (after a write)."""
    return (
        with_fingerprint(Roadmap.objects.filter(pk=roadmap.pk))
        .values_list("fingerprint", flat=True)
        .get()
    )
