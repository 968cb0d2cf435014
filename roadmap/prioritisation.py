"""Scores and ranks of features and outcomes: the one home of the maths.

RICE: reach (people per quarter) × impact (on a named key result, in its
unit) × confidence (%) ÷ effort (person-weeks). A product may switch to
"impact ÷ effort" (ICE-style), which needs only impact, its key result and
effort. An item missing a part its method needs has no score: it is listed
apart as "Not estimated" with what is missing, never ranked last.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast

from metrics.formatting import format_number, format_value
from metrics.models import metric_name_in_sentence
from roadmap.models import ScoreMethod

ZERO_EFFORT = "Effort must be more than 0 to compute a score"

# The parts of an estimate, in the order the page shows them, by the name a
# person reads in "Missing: reach, confidence".
PARTS = {
    "reach": "reach",
    "impact": "impact",
    "key_result": "key result",
    "confidence": "confidence",
    "effort": "effort",
}

NEEDS = {
    ScoreMethod.RICE: ("reach", "impact", "key_result", "confidence", "effort"),
    ScoreMethod.ICE: ("impact", "key_result", "effort"),
}

FORMULAS = {
    ScoreMethod.RICE: "Score = reach × impact × confidence ÷ effort",
    ScoreMethod.ICE: "Score = impact ÷ effort",
}

K = TypeVar("K", bound=Hashable)


class ZeroEffort(ValueError):
    """An estimate with an effort of 0 (or less) has no score."""

    def __init__(self) -> None:
        super().__init__(ZERO_EFFORT)


class NotEstimated(ValueError):
    """The estimate lacks parts its method needs."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)
        super().__init__("Missing: " + ", ".join(PARTS[m] for m in self.missing))


@dataclass(frozen=True)
class Estimate:
    reach: int | None = None
    impact: Decimal | None = None
    key_result_id: int | None = None
    confidence: int | None = None  # percent
    effort: Decimal | None = None  # person-weeks

    @classmethod
    def of(cls, item: Any) -> Estimate:
        """Read the estimate of an outcome or feature (or a row of its values)."""

        def get(name: str) -> Any:
            if isinstance(item, dict):
                return item.get(name)
            return getattr(item, name, None)

        return cls(
            reach=get("reach"),
            impact=get("impact"),
            key_result_id=get("impact_key_result_id"),
            confidence=get("estimate_confidence"),
            effort=get("effort_weeks"),
        )

    def part(self, name: str) -> Any:
        return {
            "reach": self.reach,
            "impact": self.impact,
            "key_result": self.key_result_id,
            "confidence": self.confidence,
            "effort": self.effort,
        }[name]


def missing(estimate: Estimate, method: str) -> tuple[str, ...]:
    """Return the parts the method needs that the estimate lacks."""
    return tuple(
        name for name in NEEDS[ScoreMethod(method)] if estimate.part(name) is None
    )


def missing_words(names: Iterable[str]) -> str:
    """ "reach, confidence" for the parts named."""
    return ", ".join(PARTS[name] for name in names)


def score(estimate: Estimate, method: str) -> Decimal:
    """Return the estimate's score by method.

    Raise NotEstimated when a part is missing and ZeroEffort when effort is
    not more than 0 (a division by nothing is no priority).
    """
    lacking = missing(estimate, method)
    if lacking:
        raise NotEstimated(lacking)
    assert estimate.effort is not None
    assert estimate.impact is not None
    if estimate.effort <= 0:
        raise ZeroEffort()
    if ScoreMethod(method) == ScoreMethod.ICE:
        return estimate.impact / estimate.effort
    assert estimate.reach is not None
    assert estimate.confidence is not None
    return (
        Decimal(estimate.reach)
        * estimate.impact
        * Decimal(estimate.confidence)
        / Decimal(100)
        / estimate.effort
    )


def format_score(value: Decimal) -> str:
    """A score as the table shows it: thousands grouped, one decimal at most."""
    rounded = value.quantize(Decimal("0.1"))
    if rounded == rounded.to_integral_value():
        return f"{int(rounded):,}"
    return f"{rounded:,.1f}"


@dataclass(frozen=True)
class Ranked(Generic[K]):
    key: K
    score: Decimal
    rank: int

    @property
    def score_display(self) -> str:
        return format_score(self.score)


@dataclass(frozen=True)
class Unranked(Generic[K]):
    key: K
    missing: tuple[str, ...]
    # Why it has no score, in words ("Missing: reach" or the zero effort).
    reason: str


@dataclass(frozen=True)
class Ranking(Generic[K]):
    ranked: list[Ranked[K]]
    not_estimated: list[Unranked[K]]

    def rank_of(self) -> dict[K, int]:
        return {item.key: item.rank for item in self.ranked}


def rank(items: Iterable[tuple[K, Estimate]], method: str) -> Ranking[K]:
    """Score items, highest first; equal scores share a rank (1, 2, 2, 4).

    Items are given in a stable order (e.g. board order), which breaks ties
    in the listing. Items without a score are returned apart.
    """
    scored: list[tuple[K, Decimal]] = []
    apart: list[Unranked[K]] = []
    for key, estimate in items:
        try:
            scored.append((key, score(estimate, method)))
        except NotEstimated as lacking:
            apart.append(Unranked(key, lacking.missing, str(lacking)))
        except ZeroEffort as zero:
            apart.append(Unranked(key, ("effort",), str(zero)))
    scored.sort(key=lambda pair: pair[1], reverse=True)
    ranked: list[Ranked[K]] = []
    for index, (key, value) in enumerate(scored):
        if ranked and ranked[-1].score == value:
            position = ranked[-1].rank
        else:
            position = index + 1
        ranked.append(Ranked(key, value, position))
    return Ranking(ranked, apart)


def score_expression(method: str) -> Combinable:
    """The same score in SQL (NULL without one), to order cards by it."""

    def number(name: str) -> Any:
        return Cast(F(name), FloatField())

    needed = {
        "reach": "reach",
        "impact": "impact",
        "key_result": "impact_key_result",
        "confidence": "estimate_confidence",
        "effort": "effort_weeks",
    }
    incomplete = Q(effort_weeks__lte=0)
    for part in NEEDS[ScoreMethod(method)]:
        incomplete |= Q(**{f"{needed[part]}__isnull": True})
    if ScoreMethod(method) == ScoreMethod.ICE:
        formula = number("impact") / number("effort_weeks")
    else:
        formula = (
            number("reach")
            * number("impact")
            * number("estimate_confidence")
            / Value(100.0)
            / number("effort_weeks")
        )
    return Case(
        When(incomplete, then=Value(None, output_field=FloatField())),
        default=formula,
        output_field=FloatField(),
    )


# The prioritisation page -------------------------------------------------------

SORTS = ("rank", "title", "reach", "impact", "confidence", "effort", "score")


def impact_words(impact: Decimal | None, unit: str, metric_name: str, up: bool) -> str:
    """An impact as the table reads it: "+3 points of activation"."""
    if impact is None:
        return ""
    sign = "+" if up else "−"
    name = metric_name_in_sentence(metric_name)
    if unit == "%":
        amount = f"{format_number(impact)} points"
    else:
        amount = format_value(impact, unit)
    return f"{sign}{amount} of {name}"


@dataclass
class Row:
    """One item of the table: its estimate as saved, or as typed when refused."""

    kind: str
    pk: int
    version: int
    title: str
    horizon: str
    horizon_label: str
    # What the item serves or is (a feature's outcome, an outcome's category).
    context: str
    stage_label: str
    estimate: Estimate
    size: str
    key_result_statement: str
    impact_text: str
    rank: int | None = None
    score: Decimal | None = None
    missing: tuple[str, ...] = ()
    reason: str = ""
    errors: dict[str, list[str]] | None = None
    typed: dict[str, str] | None = None

    @property
    def dom_id(self) -> str:
        return f"{self.kind}-{self.pk}"

    @property
    def score_display(self) -> str:
        return format_score(self.score) if self.score is not None else ""

    def shown(self, name: str) -> str:
        """The value an input shows: what was typed, else what is saved."""
        if self.typed is not None:
            return self.typed.get(name, "")
        value = {
            "reach": self.estimate.reach,
            "impact": self.estimate.impact,
            "impact_key_result": self.estimate.key_result_id,
            "estimate_confidence": self.estimate.confidence,
            "effort_weeks": self.estimate.effort,
            "effort": self.size,
        }[name]
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return str(value)

    def error(self, name: str) -> list[str]:
        return (self.errors or {}).get(name, [])


@dataclass
class Board:
    """What the prioritisation page shows for one tab."""

    kind: str
    method: str
    ranked: list[Row]
    not_estimated: list[Row]
    sort: str
    descending: bool

    @property
    def formula(self) -> str:
        return FORMULAS[ScoreMethod(self.method)]

    @property
    def count(self) -> int:
        return len(self.ranked) + len(self.not_estimated)


def _sort_key(sort: str) -> Any:
    def key(row: Row) -> Any:
        estimate = row.estimate
        value = {
            "rank": row.rank,
            "title": row.title.casefold(),
            "reach": estimate.reach,
            "impact": estimate.impact,
            "confidence": estimate.confidence,
            "effort": estimate.effort,
            "score": row.score,
        }[sort]
        return value

    return key


def rows_for(
    items: Iterable[Any], kind: str, horizon_labels: dict[str, str]
) -> list[Row]:
    """Read the table's rows from outcomes or features (their key result joined)."""
    rows = []
    for item in items:
        key_result = item.impact_key_result
        metric = key_result.metric if key_result is not None else None
        if kind == "feature":
            context = item.outcome.title if item.outcome_id and item.outcome else ""
            stage_label = item.get_stage_display()
            size = item.effort
        else:
            context = item.get_category_display()
            stage_label = item.get_status_display()
            size = ""
        rows.append(
            Row(
                kind=kind,
                pk=item.pk,
                version=item.version,
                title=item.title,
                horizon=item.horizon,
                horizon_label=horizon_labels.get(item.horizon, item.horizon),
                context=context,
                stage_label=stage_label,
                estimate=Estimate.of(item),
                size=size,
                key_result_statement=key_result.statement if key_result else "",
                impact_text=impact_words(
                    item.impact, metric.unit, metric.name, metric.direction == "up"
                )
                if metric is not None
                else "",
            )
        )
    return rows


def arrange(
    rows: list[Row], kind: str, method: str, sort: str, descending: bool
) -> Board:
    """Rank the rows and split off those without a score."""
    by_pk = {row.pk: row for row in rows}
    ranking = rank(((row.pk, row.estimate) for row in rows), method)
    ranked = []
    for item in ranking.ranked:
        row = by_pk[item.key]
        row.rank, row.score = item.rank, item.score
        ranked.append(row)
    apart = []
    for unranked in ranking.not_estimated:
        row = by_pk[unranked.key]
        row.missing, row.reason = unranked.missing, unranked.reason
        apart.append(row)
    if sort not in SORTS:
        sort = "rank"
    if sort != "rank" or descending:
        present = [r for r in ranked if _sort_key(sort)(r) is not None]
        absent = [r for r in ranked if _sort_key(sort)(r) is None]
        present.sort(key=_sort_key(sort), reverse=descending)
        ranked = present + absent
    return Board(kind, method, ranked, apart, sort, descending)
