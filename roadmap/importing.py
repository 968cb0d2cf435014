"""Import a plan document: read and check it, preview its changes, apply them.

`read_plan` turns bytes into a `PlanDoc` or raises `PlanInvalid` with every
problem named by its path in the document (`board.outcomes[3].goal: unknown
goal "g-9"`). `plan_changes` compares a document with a product's plan and
says what an import would create, change and remove, without writing.
`plan_import` applies it in one transaction: into a new product, or over an
existing one, replacing its plan.

Items of the document are matched to the product's by the `id` they were
exported with (a document imported over the product it came from), then by
title or name. Teams are shared by every product: they are matched by name,
created when missing and never changed or removed. Cards the import removes
go to the board's bin; themes, goals, metrics and key results are deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import DatabaseError, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from roadmap.exchange import plan_document
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    ChallengeStatus,
    DependencyStatus,
    Evidence,
    EvidenceEffect,
    EvidenceKind,
    Feature,
    FeatureEffort,
    FeatureImpact,
    FeatureStage,
    Insight,
    Outcome,
    OutcomeCategory,
    OutcomeConfidence,
    OutcomeStatus,
    ReviewCadence,
    Roadmap,
    ScoreMethod,
    SuccessMetric,
    Team,
    TeamCapacity,
    TeamDependency,
)
from roadmap.schemas import PLAN_SCHEMA_VERSION, PlanDoc
from strategy.history import record
from strategy.models import (
    Goal,
    GoalStatus,
    HistoryAction,
    ItemKind,
    Product,
    Theme,
)
from strategy.revision import every_plan_changed, plan_changed

# An upload larger than this is refused before it is read; the large
# generated roadmap (1,900 cards, 6,000 measurements) exports to about 2 MB.
MAX_IMPORT_BYTES = 20 * 1024 * 1024

NOT_BLANK = re.compile(r"\S")


class PlanInvalid(Exception):
    """The document cannot be imported; `problems` names each by its path."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class PlanStale(Exception):
    """The product's plan changed between the preview and the import."""


# --- Reading and checking -----------------------------------------------------


def error_path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "document"


def read_plan(data: bytes | str) -> PlanDoc:
    """Parse and check a document; raise PlanInvalid listing every problem."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise PlanInvalid([f"document: not valid JSON ({error})"]) from error
    if not isinstance(raw, dict):
        raise PlanInvalid(["document: expected a JSON object with a schema_version"])
    version = raw.get("schema_version")
    if version is None:
        raise PlanInvalid(["schema_version: missing; is this a Northstar plan export?"])
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PlanInvalid([f"schema_version: expected a whole number, got {version!r}"])
    if version > PLAN_SCHEMA_VERSION:
        raise PlanInvalid(
            [
                f"schema_version: the document has schema version {version}, from a "
                f"newer Northstar; this one reads version {PLAN_SCHEMA_VERSION} and "
                "older. Update Northstar to import it."
            ]
        )
    try:
        doc = PlanDoc.model_validate(raw)
    except pydantic.ValidationError as error:
        raise PlanInvalid(
            [f"{error_path(e['loc'])}: {e['msg']}" for e in error.errors()]
        ) from error
    problems = check_plan(doc)
    if problems:
        raise PlanInvalid(problems)
    return doc


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def keys(self, path: str, items: Sequence[Any]) -> set[str]:
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item.key in seen:
                self.add(f"{path}[{index}].key", f'duplicate key "{item.key}"')
            seen.add(item.key)
        return seen

    def ref(self, path: str, value: str | None, known: set[str], what: str) -> None:
        if value is not None and value not in known:
            self.add(path, f'unknown {what} "{value}"')

    def choice(self, path: str, value: str, choices: Sequence[str]) -> None:
        if value not in choices:
            allowed = ", ".join(choice or '""' for choice in choices)
            self.add(path, f'"{value}" is not one of {allowed}')

    def text(self, path: str, value: str) -> None:
        if not NOT_BLANK.search(value):
            self.add(path, "must not be blank")


def check_plan(doc: PlanDoc) -> list[str]:
    """Check what the schema cannot: keys, references, choices and rules."""
    check = Checker()
    product = doc.product
    check.text("product.name", product.name)
    try:
        validate_slug(product.slug)
    except ValidationError:
        check.add("product.slug", f'"{product.slug}" is not a valid slug')

    teams = check.keys("teams", doc.teams)
    names = Counter(t.name for t in doc.teams)
    for index, team in enumerate(doc.teams):
        check.text(f"teams[{index}].name", team.name)
        if names[team.name] > 1:
            check.add(f"teams[{index}].name", f'duplicate team "{team.name}"')

    themes = check.keys("themes", doc.themes)
    for index, theme in enumerate(doc.themes):
        check.text(f"themes[{index}].title", theme.title)
        if theme.end_year < theme.start_year:
            check.add(f"themes[{index}].end_year", "is before start_year")

    goals = check.keys("goals", doc.goals)
    for index, goal in enumerate(doc.goals):
        path = f"goals[{index}]"
        check.text(f"{path}.title", goal.title)
        check.ref(f"{path}.theme", goal.theme, themes, "theme")
        check.choice(f"{path}.status", goal.status, GoalStatus.values)
        if goal.end_date < goal.start_date:
            check.add(f"{path}.end_date", "is before start_date")

    metrics = check.keys("metrics", doc.metrics)
    metric_names = Counter(m.name for m in doc.metrics)
    for index, metric in enumerate(doc.metrics):
        path = f"metrics[{index}]"
        check.text(f"{path}.name", metric.name)
        if metric_names[metric.name] > 1:
            check.add(f"{path}.name", f'duplicate metric "{metric.name}"')
        check.choice(f"{path}.direction", metric.direction, Metric.Direction.values)
        check.choice(
            f"{path}.review_cadence", metric.review_cadence, Metric.Cadence.values
        )
        dates: set[Any] = set()
        for at, measurement in enumerate(metric.measurements):
            if measurement.date in dates:
                check.add(
                    f"{path}.measurements[{at}].date",
                    f"a second value on {measurement.date}",
                )
            dates.add(measurement.date)
            check.choice(
                f"{path}.measurements[{at}].source",
                measurement.source,
                Measurement.Source.values,
            )

    key_results = check.keys("key_results", doc.key_results)
    for index, kr in enumerate(doc.key_results):
        path = f"key_results[{index}]"
        check.ref(f"{path}.metric", kr.metric, metrics, "metric")
        check.ref(f"{path}.goal", kr.goal, goals, "goal")
        if kr.due_date < kr.start_date:
            check.add(f"{path}.due_date", "is before start_date")
        for at, check_in in enumerate(kr.check_ins):
            check.choice(
                f"{path}.check_ins[{at}].confidence",
                check_in.confidence,
                CheckIn.Confidence.values,
            )
            check.text(f"{path}.check_ins[{at}].what_happened", check_in.what_happened)

    board = doc.board
    seen_horizons: set[str] = set()
    for index, horizon in enumerate(board.horizons):
        path = f"board.horizons[{index}]"
        check.choice(f"{path}.key", horizon.key, HORIZON_VALUES)
        if horizon.key in seen_horizons:
            check.add(f"{path}.key", f'duplicate horizon "{horizon.key}"')
        seen_horizons.add(horizon.key)
        check.text(f"{path}.label", horizon.label)

    check.choice("board.review_cadence", board.review_cadence, ReviewCadence.values)
    settings = board.prioritisation
    check.choice(
        "board.prioritisation.score_method", settings.score_method, ScoreMethod.values
    )
    mix = [
        settings.target_growth,
        settings.target_optimisation,
        settings.target_innovation,
        settings.target_capability,
    ]
    given = [share for share in mix if share is not None]
    if given and (len(given) < len(mix) or sum(given) != 100):
        check.add(
            "board.prioritisation",
            "the target mix needs all four shares, adding up to 100",
        )
    outcomes = check.keys("board.outcomes", board.outcomes)
    for index, o in enumerate(board.outcomes):
        path = f"board.outcomes[{index}]"
        check.choice(f"{path}.horizon", o.horizon, HORIZON_VALUES)
        check.text(f"{path}.title", o.title)
        check.choice(f"{path}.status", o.status, OutcomeStatus.values)
        check.choice(f"{path}.confidence", o.confidence, OutcomeConfidence.values)
        check.choice(f"{path}.category", o.category, OutcomeCategory.values)
        check.ref(f"{path}.goal", o.goal, goals, "goal")
        check.ref(
            f"{path}.impact_key_result", o.impact_key_result, key_results, "key result"
        )
        for at, team_key in enumerate(o.teams):
            check.ref(f"{path}.teams[{at}]", team_key, teams, "team")
        if len(set(o.teams)) < len(o.teams):
            check.add(f"{path}.teams", "names a team twice")

    check.keys("board.challenges", board.challenges)
    for index, c in enumerate(board.challenges):
        path = f"board.challenges[{index}]"
        check.choice(f"{path}.horizon", c.horizon, HORIZON_VALUES)
        check.text(f"{path}.title", c.title)
        check.choice(f"{path}.status", c.status, ChallengeStatus.values)
        check.ref(f"{path}.outcome", c.outcome, outcomes, "outcome")

    check.keys("board.success_metrics", board.success_metrics)
    placed: set[str] = set()
    for index, s in enumerate(board.success_metrics):
        path = f"board.success_metrics[{index}]"
        check.choice(f"{path}.horizon", s.horizon, HORIZON_VALUES)
        check.ref(f"{path}.key_result", s.key_result, key_results, "key result")
        if s.key_result in placed:
            check.add(
                f"{path}.key_result",
                f'key result "{s.key_result}" is on the board twice',
            )
        placed.add(s.key_result)
        check.ref(f"{path}.outcome", s.outcome, outcomes, "outcome")

    features = check.keys("board.features", board.features)
    for index, f in enumerate(board.features):
        path = f"board.features[{index}]"
        check.choice(f"{path}.horizon", f.horizon, HORIZON_VALUES)
        check.text(f"{path}.title", f.title)
        check.choice(f"{path}.stage", f.stage, FeatureStage.values)
        check.choice(f"{path}.effort", f.effort, ["", *FeatureEffort.values])
        check.choice(
            f"{path}.expected_impact", f.expected_impact, ["", *FeatureImpact.values]
        )
        check.ref(f"{path}.outcome", f.outcome, outcomes, "outcome")
        check.ref(f"{path}.team", f.team, teams, "team")
        check.ref(
            f"{path}.impact_key_result", f.impact_key_result, key_results, "key result"
        )

    metrics_keys = {m.key for m in doc.metrics}
    for index, c in enumerate(doc.board.challenges):
        for at, e in enumerate(c.evidence):
            path = f"board.challenges[{index}].evidence[{at}]"
            check.choice(f"{path}.kind", e.kind, EvidenceKind.values)
            check.choice(f"{path}.effect", e.effect, EvidenceEffect.values)
            if e.url and not e.url.lower().startswith(("http://", "https://")):
                check.add(f"{path}.url", "must be an http:// or https:// link")
            if e.kind == EvidenceKind.LINK and not e.url:
                check.add(f"{path}.url", "a link needs its address")
            if e.metric is not None and e.metric not in metrics_keys:
                check.add(f"{path}.metric", f'no metric has the key "{e.metric}"')

    for index, d in enumerate(doc.dependencies):
        path = f"dependencies[{index}]"
        check.ref(f"{path}.team", d.team, teams, "team")
        check.choice(f"{path}.status", d.status, DependencyStatus.values)
        if (d.outcome is None) == (d.feature is None):
            check.add(path, "needs exactly one of outcome and feature")
        check.ref(f"{path}.outcome", d.outcome, outcomes, "outcome")
        check.ref(f"{path}.feature", d.feature, features, "feature")
    return check.problems


# --- Comparing a document with a product's plan ---------------------------------


@dataclass
class KindChanges:
    """What an import does to one kind of item, by the items' names."""

    kind: str
    label: str
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.changed or self.removed)


@dataclass
class Match:
    """Doc key -> the existing item's key and id (None: created); the rest removed."""

    old_key: dict[str, str | None]
    old_id: dict[str, int | None]
    removed: list[Any]


@dataclass
class PlanChanges:
    doc: PlanDoc
    product: Product | None
    revision: int
    kinds: list[KindChanges]
    vision_changed: list[str]
    horizons_changed: bool
    matches: dict[str, Match]
    old: PlanDoc

    @property
    def is_new(self) -> bool:
        return self.product is None

    @property
    def created(self) -> int:
        return sum(len(k.created) for k in self.kinds)

    @property
    def changed(self) -> int:
        return (
            sum(len(k.changed) for k in self.kinds)
            + len(self.vision_changed)
            + int(self.horizons_changed)
        )

    @property
    def removed(self) -> int:
        return sum(len(k.removed) for k in self.kinds)

    def summary(self) -> str:
        return f"{self.created} created, {self.changed} changed, {self.removed} removed"


def match_items(
    doc_items: Sequence[Any],
    old_items: Sequence[Any],
    doc_natural: Callable[[Any], Any],
    old_natural: Callable[[Any], Any],
) -> Match:
    """Match by exported id first, then by a natural key such as the title."""
    by_id = {item.id: item for item in old_items}
    taken: set[str] = set()
    found: dict[str, Any] = {}
    for item in doc_items:
        old = by_id.get(getattr(item, "id", None))
        if old is not None and old.key not in taken:
            found[item.key] = old
            taken.add(old.key)
    pool: dict[Any, list[Any]] = defaultdict(list)
    for old in old_items:
        if old.key not in taken:
            pool[old_natural(old)].append(old)
    for item in doc_items:
        if item.key in found:
            continue
        candidates = pool.get(doc_natural(item))
        while candidates:
            old = candidates.pop(0)
            if old.key not in taken:
                found[item.key] = old
                taken.add(old.key)
                break
    return Match(
        old_key={
            i.key: found[i.key].key if i.key in found else None for i in doc_items
        },
        old_id={i.key: found[i.key].id if i.key in found else None for i in doc_items},
        removed=[old for old in old_items if old.key not in taken],
    )


REFS = {
    "goals": {"theme": "themes"},
    "key_results": {"metric": "metrics", "goal": "goals"},
    "outcomes": {"goal": "goals"},
    "challenges": {"outcome": "outcomes"},
    "success_metrics": {"outcome": "outcomes", "key_result": "key_results"},
    "features": {"outcome": "outcomes"},
}
# Lists compared on their own (measurements, check-ins), derived values and
# the keys themselves are left out of an item's "changed?" comparison.
NOT_COMPARED = {"key", "id", "measurements", "check_ins", "current"}

LABELS = {
    "teams": "Teams",
    "themes": "Themes",
    "goals": "Goals",
    "metrics": "Metrics",
    "measurements": "Measurements",
    "key_results": "Key results",
    "check_ins": "Check-ins",
    "outcomes": "Outcomes",
    "challenges": "Challenges",
    "success_metrics": "Success metrics",
    "features": "Features",
    "dependencies": "Dependencies",
}


def items_of(doc: PlanDoc, kind: str) -> Sequence[Any]:
    if kind in ("outcomes", "challenges", "success_metrics", "features"):
        return getattr(doc.board, kind)
    return getattr(doc, kind)


class Comparison:
    """Compare a document with the product's plan, exported the same way."""

    def __init__(self, doc: PlanDoc, old: PlanDoc) -> None:
        self.doc = doc
        self.old = old
        self.matches: dict[str, Match] = {}
        self.kinds: list[KindChanges] = []
        self.doc_team_names = {t.key: t.name for t in doc.teams}
        self.old_team_names = {t.key: t.name for t in old.teams}
        self.doc_names: dict[str, dict[str, str]] = {}
        self.old_names: dict[str, dict[str, str]] = {}

    def translated(self, kind: str, item: Any) -> dict[str, Any]:
        """The item's fields with references turned into the old plan's keys."""
        data = item.model_dump(exclude=NOT_COMPARED)
        for name, target in REFS.get(kind, {}).items():
            value = data.get(name)
            if value is not None:
                old_key = self.matches[target].old_key.get(value)
                data[name] = old_key if old_key is not None else f"new {value}"
        if kind == "outcomes":
            data["teams"] = sorted(self.doc_team_names[t] for t in item.teams)
        if kind == "features" and item.team is not None:
            data["team"] = self.doc_team_names[item.team]
        if kind == "challenges":
            for evidence in data["evidence"]:
                if evidence["metric"] is not None:
                    old_key = self.matches["metrics"].old_key.get(evidence["metric"])
                    evidence["metric"] = old_key or f"new {evidence['metric']}"
        return data

    def plain(self, kind: str, item: Any) -> dict[str, Any]:
        data = item.model_dump(exclude=NOT_COMPARED)
        if kind == "outcomes":
            data["teams"] = sorted(self.old_team_names[t] for t in item.teams)
        if kind == "features" and item.team is not None:
            data["team"] = self.old_team_names[item.team]
        return data

    def compare(
        self,
        kind: str,
        name: Callable[[Any], str],
        doc_natural: Callable[[Any], Any],
        old_natural: Callable[[Any], Any],
        old_name: Callable[[Any], str] | None = None,
    ) -> None:
        old_name = old_name or name
        doc_items, old_items = items_of(self.doc, kind), items_of(self.old, kind)
        match = match_items(doc_items, old_items, doc_natural, old_natural)
        self.matches[kind] = match
        changes = KindChanges(kind=kind, label=LABELS[kind])
        old_by_key = {item.key: item for item in old_items}
        for item in doc_items:
            old_key = match.old_key[item.key]
            if old_key is None:
                changes.created.append(name(item))
            elif self.translated(kind, item) != self.plain(kind, old_by_key[old_key]):
                changes.changed.append(name(item))
            else:
                changes.unchanged += 1
        changes.removed = [old_name(item) for item in match.removed]
        self.kinds.append(changes)
        self.doc_names[kind] = {item.key: name(item) for item in doc_items}
        self.old_names[kind] = {item.key: old_name(item) for item in old_items}

    def compare_children(
        self,
        kind: str,
        parent_kind: str,
        children: Callable[[Any], Sequence[Any]],
        child_key: Callable[[Any], Any],
        child_name: Callable[[Any], str],
    ) -> None:
        """Compare measurements or check-ins of matched parents by a child key."""
        changes = KindChanges(kind=kind, label=LABELS[kind])
        match = self.matches[parent_kind]
        old_parents = {p.key: p for p in items_of(self.old, parent_kind)}
        matched_old: set[str] = set()
        for parent in items_of(self.doc, parent_kind):
            parent_name = self.doc_names[parent_kind][parent.key]
            old_key = match.old_key[parent.key]
            old_children: dict[Any, list[Any]] = defaultdict(list)
            if old_key is not None:
                matched_old.add(old_key)
                for child in children(old_parents[old_key]):
                    old_children[child_key(child)].append(child)
            for child in children(parent):
                label = f"{parent_name}: {child_name(child)}"
                same = old_children.get(child_key(child))
                if not same:
                    changes.created.append(label)
                    continue
                old_child = same.pop(0)
                if child.model_dump() != old_child.model_dump():
                    changes.changed.append(label)
                else:
                    changes.unchanged += 1
            for left in old_children.values():
                changes.removed += [
                    f"{parent_name}: {child_name(child)}" for child in left
                ]
        for key, parent in old_parents.items():
            if key not in matched_old:
                parent_name = self.old_names[parent_kind][key]
                changes.removed += [
                    f"{parent_name}: {child_name(child)}" for child in children(parent)
                ]
        self.kinds.append(changes)


def plan_changes(doc: PlanDoc, product: Product | None) -> PlanChanges:
    """Say what importing doc creates, changes and removes; writes nothing."""
    if product is None:
        old = PlanDoc(schema_version=PLAN_SCHEMA_VERSION, product=doc.product)
        revision = 0
    else:
        old = plan_document(product)
        revision = product.revision
    comparison = Comparison(doc, old)

    def title(item: Any) -> str:
        return item.title

    existing_teams = set(
        Team.objects.filter(name__in=[t.name for t in doc.teams]).values_list(
            "name", flat=True
        )
    )
    teams = KindChanges(kind="teams", label=LABELS["teams"])
    teams.created = [t.name for t in doc.teams if t.name not in existing_teams]
    teams.unchanged = len(doc.teams) - len(teams.created)
    comparison.kinds.append(teams)

    comparison.compare("themes", title, title, title)
    comparison.compare("goals", title, title, title)
    comparison.compare("metrics", lambda m: m.name, lambda m: m.name, lambda m: m.name)
    comparison.compare_children(
        "measurements",
        "metrics",
        lambda m: m.measurements,
        lambda x: x.date,
        lambda x: f"{x.date:%d %b %Y}",
    )
    metric_names = {m.key: m.name for m in doc.metrics}
    old_metric_names = {m.key: m.name for m in old.metrics}

    def kr_name(kr: Any, names: dict[str, str]) -> str:
        return f"{names[kr.metric]} {kr.baseline:g} → {kr.target:g} by {kr.due_date}"

    metric_match = comparison.matches["metrics"]
    comparison.compare(
        "key_results",
        lambda kr: kr_name(kr, metric_names),
        lambda kr: (
            metric_match.old_key[kr.metric],
            kr.baseline,
            kr.target,
            kr.start_date,
            kr.due_date,
        ),
        lambda kr: (kr.metric, kr.baseline, kr.target, kr.start_date, kr.due_date),
        lambda kr: kr_name(kr, old_metric_names),
    )
    comparison.compare_children(
        "check_ins",
        "key_results",
        lambda kr: kr.check_ins,
        lambda c: (c.date, c.what_happened),
        lambda c: f"check-in of {c.date:%d %b %Y}",
    )
    comparison.compare("outcomes", title, title, title)
    comparison.compare("challenges", title, title, title)
    kr_match = comparison.matches["key_results"]
    kr_names_doc = comparison.doc_names["key_results"]
    kr_names_old = comparison.old_names["key_results"]
    comparison.compare(
        "success_metrics",
        lambda s: kr_names_doc[s.key_result],
        lambda s: kr_match.old_key[s.key_result],
        lambda s: s.key_result,
        lambda s: kr_names_old[s.key_result],
    )
    comparison.compare("features", title, title, title)
    compare_dependencies(comparison)

    vision_changed = [
        name
        for name in (
            "vision_statement",
            "target_group",
            "needs",
            "product_description",
            "value",
        )
        if getattr(doc.product, name) != getattr(old.product, name)
    ]
    if product is None:
        vision_changed = []
    horizons_changed = product is not None and [
        h.model_dump() for h in doc.board.horizons
    ] != [h.model_dump() for h in old.board.horizons]
    return PlanChanges(
        doc=doc,
        product=product,
        revision=revision,
        kinds=comparison.kinds,
        vision_changed=vision_changed,
        horizons_changed=bool(horizons_changed),
        matches=comparison.matches,
        old=old,
    )


def dependency_signature(
    dependency: Any, team_names: dict[str, str], card: str
) -> tuple[Any, ...]:
    return (
        team_names[dependency.team],
        card,
        dependency.description,
        dependency.status,
        dependency.note,
        dependency.due_date,
    )


def compare_dependencies(comparison: Comparison) -> None:
    """Dependencies have no identity of their own: compare them as a multiset."""
    doc, old = comparison.doc, comparison.old
    changes = KindChanges(kind="dependencies", label=LABELS["dependencies"])

    def doc_card(d: Any) -> str:
        kind, key = ("outcomes", d.outcome) if d.outcome else ("features", d.feature)
        old_key = comparison.matches[kind].old_key.get(key)
        return f"{kind}:{old_key}" if old_key else f"new {kind}:{key}"

    def old_card(d: Any) -> str:
        return f"outcomes:{d.outcome}" if d.outcome else f"features:{d.feature}"

    def name(
        d: Any, names: dict[str, dict[str, str]], team_names: dict[str, str]
    ) -> str:
        card = (
            names["outcomes"][d.outcome] if d.outcome else names["features"][d.feature]
        )
        return f"{card} needs {team_names[d.team]}"

    remaining = Counter(
        dependency_signature(d, comparison.old_team_names, old_card(d))
        for d in old.dependencies
    )
    for d in doc.dependencies:
        signature = dependency_signature(d, comparison.doc_team_names, doc_card(d))
        if remaining[signature] > 0:
            remaining[signature] -= 1
            changes.unchanged += 1
        else:
            changes.created.append(
                name(d, comparison.doc_names, comparison.doc_team_names)
            )
    left = remaining.copy()
    for d in old.dependencies:
        signature = dependency_signature(d, comparison.old_team_names, old_card(d))
        if left[signature] > 0:
            left[signature] -= 1
            changes.removed.append(
                name(d, comparison.old_names, comparison.old_team_names)
            )
    comparison.kinds.append(changes)


# --- Applying ---------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    product: Product
    created: int
    changed: int
    removed: int


def plan_import(
    *,
    doc: PlanDoc,
    product: Product | None = None,
    slug: str = "",
    name: str = "",
    expected_revision: int | None = None,
    actor: Any = None,
) -> ImportResult:
    """Import doc into a new product (slug given) or over `product`.

    One transaction: a refusal by the database rolls everything back and is
    raised as PlanInvalid. `expected_revision` is the revision the preview was
    made at; if the plan changed since, PlanStale is raised before any write.
    """
    try:
        with transaction.atomic():
            return _plan_import(
                doc=doc,
                product=product,
                slug=slug,
                name=name,
                expected_revision=expected_revision,
                actor=actor,
            )
    except DatabaseError as error:
        raise PlanInvalid(
            [f"document: the database refused it ({str(error).splitlines()[0]})"]
        ) from error


def _plan_import(
    *,
    doc: PlanDoc,
    product: Product | None,
    slug: str,
    name: str,
    expected_revision: int | None,
    actor: Any,
) -> ImportResult:
    vision = doc.product
    vision_values = {
        "vision_statement": vision.vision_statement,
        "target_group": vision.target_group,
        "needs": vision.needs,
        "product_description": vision.product_description,
        "value": vision.value,
    }
    if product is None:
        slug = slug or vision.slug
        try:
            validate_slug(slug)
        except ValidationError as error:
            raise PlanInvalid([f'slug: "{slug}" is not a valid slug']) from error
        if Product.objects.filter(slug=slug).exists():
            raise PlanInvalid([f'product.slug: a product "{slug}" exists already'])
        product = Product.objects.create(
            name=name or vision.name, slug=slug, **vision_values
        )
        changes = plan_changes(doc, None)
    else:
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if expected_revision is not None and locked.revision != expected_revision:
            raise PlanStale(product.slug)
        product = locked
        changes = plan_changes(doc, product)
    # Marked changed before the first write: the month's first change keeps
    # the plan as it was (roadmap.snapshots).
    plan_changed(product.pk)
    if not changes.is_new:
        Product.objects.filter(pk=product.pk).update(**vision_values)
    Importer(doc=doc, product=product, changes=changes, actor=actor).run()
    product.refresh_from_db()
    return ImportResult(
        product=product,
        created=changes.created,
        changed=changes.changed,
        removed=changes.removed,
    )


def bump(row: Any) -> None:
    row.version = row.version + 1


class Importer:
    """Write one document over a product's plan, kind by kind, in bulk."""

    def __init__(
        self, *, doc: PlanDoc, product: Product, changes: PlanChanges, actor: Any
    ) -> None:
        self.doc = doc
        self.product = product
        self.changes = changes
        self.actor = actor
        self.now = timezone.now()
        self.ids: dict[str, dict[str, int]] = {}

    def old_ids(self, kind: str) -> dict[str, int | None]:
        return self.changes.matches[kind].old_id

    def removed_ids(self, kind: str) -> list[int]:
        return [item.id for item in self.changes.matches[kind].removed]

    def ref(self, kind: str, key: str | None) -> int | None:
        return self.ids[kind][key] if key is not None else None

    def upsert(
        self,
        kind: str,
        model: Any,
        items: Sequence[Any],
        values: Callable[[Any], dict[str, Any]],
    ) -> None:
        """Update matched rows, create the others, in the document's order."""
        old_ids = self.old_ids(kind)
        existing = model.objects.in_bulk([i for i in old_ids.values() if i])
        updates: list[Any] = []
        creates: list[Any] = []
        fields: set[str] = set()
        for item in items:
            row_values = values(item)
            fields.update(row_values)
            pk = old_ids[item.key]
            if pk is not None:
                row = existing[pk]
                if any(getattr(row, k) != v for k, v in row_values.items()):
                    for k, v in row_values.items():
                        setattr(row, k, v)
                    if hasattr(row, "version"):
                        bump(row)
                    updates.append(row)
                creates.append(None)
            else:
                creates.append(model(**row_values))
        if updates:
            names = {f.attname for f in model._meta.fields}
            update_fields = sorted((fields | {"version", "updated_at"}) & names)
            for row in updates:
                if hasattr(row, "updated_at"):
                    row.updated_at = self.now
            model.objects.bulk_update(updates, update_fields, batch_size=500)
        created = model.objects.bulk_create(
            [row for row in creates if row is not None], batch_size=500
        )
        new = iter(created)
        ids: dict[str, int] = {}
        for item, row in zip(items, creates, strict=True):
            pk = next(new).pk if row is not None else old_ids[item.key]
            assert pk is not None
            ids[item.key] = pk
        self.ids[kind] = ids

    def run(self) -> None:
        doc, product = self.doc, self.product
        roadmap, _ = Roadmap.objects.get_or_create(product=product)
        horizons = {h.key: h for h in doc.board.horizons}
        for key in HORIZON_VALUES:
            horizon = horizons.get(key)
            if horizon is not None:
                setattr(roadmap, f"{key}_label", horizon.label)
                setattr(roadmap, f"{key}_hint", horizon.hint)
        roadmap.review_cadence = doc.board.review_cadence
        settings = doc.board.prioritisation
        for name in (
            "score_method",
            "target_growth",
            "target_optimisation",
            "target_innovation",
            "target_capability",
        ):
            setattr(roadmap, name, getattr(settings, name))
        if roadmap.assumption_stale_days != doc.board.assumption_stale_days:
            roadmap.assumption_stale_days = doc.board.assumption_stale_days
            bump(roadmap)
        if self.changes.horizons_changed:
            bump(roadmap)
        roadmap.save()
        self.roadmap = roadmap

        self.import_teams()
        self.upsert(
            "themes",
            Theme,
            doc.themes,
            lambda t: {
                "product_id": product.pk,
                "title": t.title,
                "description": t.description,
                "start_year": t.start_year,
                "end_year": t.end_year,
                "position": t.position,
            },
        )
        self.upsert(
            "goals",
            Goal,
            doc.goals,
            lambda g: {
                "product_id": product.pk,
                "theme_id": self.ref("themes", g.theme),
                "title": g.title,
                "description": g.description,
                "start_date": g.start_date,
                "end_date": g.end_date,
                "status": g.status,
                "position": g.position,
            },
        )
        self.import_metrics()
        self.upsert(
            "key_results",
            KeyResult,
            doc.key_results,
            lambda k: {
                "metric_id": self.ref("metrics", k.metric),
                "goal_id": self.ref("goals", k.goal),
                "baseline": k.baseline,
                "target": k.target,
                "start_date": k.start_date,
                "due_date": k.due_date,
            },
        )
        self.import_check_ins()
        card = {"roadmap_id": roadmap.pk, "deleted_at": None}
        self.upsert(
            "outcomes",
            Outcome,
            doc.board.outcomes,
            lambda o: {
                **card,
                "horizon": o.horizon,
                "position": o.position,
                "title": o.title,
                "description": o.description,
                "status": o.status,
                "confidence": o.confidence,
                "category": o.category,
                "goal_id": self.ref("goals", o.goal),
                "customer_summary": o.customer_summary,
                "is_customer_visible": o.is_customer_visible,
                "safe_to_promise": o.safe_to_promise,
                "closed_at": o.closed_at,
                "learning": o.learning,
                "reach": o.reach,
                "impact": o.impact,
                "impact_key_result_id": self.ref("key_results", o.impact_key_result),
                "estimate_confidence": o.estimate_confidence,
                "effort_weeks": o.effort_weeks,
            },
        )
        self.import_outcome_teams()
        self.upsert(
            "challenges",
            Challenge,
            doc.board.challenges,
            lambda c: {
                **card,
                "horizon": c.horizon,
                "position": c.position,
                "title": c.title,
                "description": c.description,
                "status": c.status,
                "outcome_id": self.ref("outcomes", c.outcome),
                "is_assumption": c.is_assumption,
                "confidence": c.confidence,
                "assumed_on": c.assumed_on,
            },
        )
        self.import_evidence()
        self.import_success_metrics(card)
        self.upsert(
            "features",
            Feature,
            doc.board.features,
            lambda f: {
                **card,
                "horizon": f.horizon,
                "position": f.position,
                "title": f.title,
                "description": f.description,
                "stage": f.stage,
                "outcome_id": self.ref("outcomes", f.outcome),
                "team_id": self.ref("teams", f.team),
                "effort": f.effort,
                "expected_impact": f.expected_impact,
                "customer_summary": f.customer_summary,
                "is_customer_visible": f.is_customer_visible,
                "safe_to_promise": f.safe_to_promise,
                "reach": f.reach,
                "impact": f.impact,
                "impact_key_result_id": self.ref("key_results", f.impact_key_result),
                "estimate_confidence": f.estimate_confidence,
                "effort_weeks": f.effort_weeks,
                "released_on": f.released_on,
            },
        )
        self.import_dependencies()
        self.keep_order(
            "themes", Theme, doc.themes, lambda t: None, lambda t: t.position
        )
        self.keep_order(
            "goals",
            Goal,
            doc.goals,
            lambda g: None,
            lambda g: (g.position, g.end_date),
        )
        for kind, model in [
            ("outcomes", Outcome),
            ("challenges", Challenge),
            ("success_metrics", SuccessMetric),
            ("features", Feature),
        ]:
            self.keep_order(
                kind,
                model,
                getattr(doc.board, kind),
                lambda c: c.horizon,
                lambda c: c.position,
            )
        self.remove()
        # One entry for the whole import: the history names the import and
        # its counts rather than thousands of rows written at once.
        changes = self.changes
        record(
            product_id=product.pk,
            actor=self.actor,
            action=HistoryAction.UPDATED,
            kind=ItemKind.ROADMAP,
            item_id=roadmap.pk,
            title=f"Plan imported: {changes.summary()}",
            after={
                "created": changes.created,
                "changed": changes.changed,
                "removed": changes.removed,
            },
        )

    def keep_order(
        self,
        kind: str,
        model: Any,
        items: Sequence[Any],
        group: Callable[[Any], Any],
        rank: Callable[[Any], Any],
    ) -> None:
        """Keep the document's order of items that tie on what orders them.

        Pages break a tie in position (a goal's: position, then end date) by
        the row's id. A new row's id follows the document's order, but an
        existing row keeps its id: where that would swap tied items, the
        group's positions are renumbered in the document's order (0, 1, 2,
        ...), which pages show the same way. Cards are grouped by horizon.
        """
        ids = self.ids[kind]
        groups: dict[Any, list[tuple[Any, int, int]]] = defaultdict(list)
        for index, item in enumerate(items):
            groups[group(item)].append((rank(item), index, ids[item.key]))
        for members in groups.values():
            intended = sorted(members)
            if intended == sorted(members, key=lambda m: (m[0], m[2])):
                continue
            rows = model.objects.in_bulk([pk for _, _, pk in members])
            fields = ["position", "version"]
            for position, (_, _, pk) in enumerate(intended):
                row = rows[pk]
                row.position = position
                bump(row)
                if hasattr(row, "updated_at"):
                    row.updated_at = self.now
                    fields = ["position", "version", "updated_at"]
            model.objects.bulk_update(list(rows.values()), fields)

    def import_teams(self) -> None:
        names = [t.name for t in self.doc.teams]
        existing = {t.name: t.pk for t in Team.objects.filter(name__in=names)}
        missing = [
            Team(name=t.name, description=t.description)
            for t in self.doc.teams
            if t.name not in existing
        ]
        if missing:
            Team.objects.bulk_create(missing)
            # New team rows are offered by every product's forms.
            every_plan_changed()
            existing = {t.name: t.pk for t in Team.objects.filter(name__in=names)}
        self.ids["teams"] = {t.key: existing[t.name] for t in self.doc.teams}
        self.import_capacities()

    def import_capacities(self) -> None:
        """Set what the product counts on from each team named with a capacity."""
        fields = ("current_capacity", "soon_capacity", "future_capacity")
        rows = {c.team_id: c for c in TeamCapacity.objects.filter(product=self.product)}
        creates, updates = [], []
        for t in self.doc.teams:
            team_id = self.ids["teams"][t.key]
            values = {name: getattr(t, name) for name in fields}
            row = rows.get(team_id)
            if row is None:
                if any(v is not None for v in values.values()):
                    creates.append(
                        TeamCapacity(product=self.product, team_id=team_id, **values)
                    )
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                bump(row)
                updates.append(row)
        TeamCapacity.objects.bulk_create(creates)
        if updates:
            TeamCapacity.objects.bulk_update(updates, [*fields, "version"])

    def import_evidence(self) -> None:
        """Replace a challenge's evidence where the document's differs."""
        challenge_ids = self.ids["challenges"]
        metric_ids = self.ids.get("metrics", {})
        wanted_keys = list(self.doc.board.challenges)
        measurements: dict[tuple[int | None, dt.date | None], int] = {
            (m.metric_id, m.date): m.pk
            for m in Measurement.objects.filter(
                metric__product=self.product,
                date__in={
                    e.measured_on
                    for c in wanted_keys
                    for e in c.evidence
                    if e.measured_on
                },
            ).order_by("-id")
        }
        requests = {
            text: pk
            for pk, text in Insight.objects.filter(
                product=self.product,
                text__in={
                    e.request for c in wanted_keys for e in c.evidence if e.request
                },
            )
            .order_by("-id")
            .values_list("pk", "text")
        }
        # A request the product does not have yet (a plan imported as a new
        # product) comes along as a customer's request, so the evidence keeps
        # pointing at the words it was about.
        missing = sorted(
            {e.request for c in wanted_keys for e in c.evidence if e.request}
            - set(requests)
        )
        for insight in Insight.objects.bulk_create(
            Insight(product=self.product, source=Insight.Source.CUSTOMER, text=text)
            for text in missing
        ):
            requests[insight.text] = insight.pk
        old: dict[int, list[Evidence]] = defaultdict(list)
        for item in Evidence.objects.filter(
            challenge_id__in=challenge_ids.values()
        ).order_by("observed_on", "id"):
            old[item.challenge_id].append(item)

        def signature(e: Evidence) -> tuple[Any, ...]:
            return (
                e.kind,
                e.effect,
                e.note,
                e.url,
                e.observed_on,
                e.measurement_id,
                e.insight_id,
            )

        replace: list[int] = []
        creates: list[Evidence] = []
        for c in wanted_keys:
            pk = challenge_ids[c.key]
            wanted = []
            for e in c.evidence:
                metric_id = metric_ids.get(e.metric) if e.metric else None
                measurement_id = measurements.get((metric_id, e.measured_on))
                insight_id = requests.get(e.request) if e.request else None
                kind, note = e.kind, e.note
                if kind == EvidenceKind.MEASUREMENT and measurement_id is None:
                    kind = EvidenceKind.NOTE
                    note = note or f"Measurement on {e.measured_on}"
                wanted.append(
                    Evidence(
                        challenge_id=pk,
                        kind=kind,
                        effect=e.effect,
                        note=note,
                        url=e.url,
                        observed_on=e.learned_on,
                        measurement_id=measurement_id,
                        insight_id=insight_id,
                    )
                )
            if [signature(e) for e in old[pk]] != [signature(e) for e in wanted]:
                replace.append(pk)
                creates += wanted
        if replace:
            Evidence.objects.filter(challenge_id__in=replace).delete()
            Evidence.objects.bulk_create(creates, batch_size=1000)

    def import_metrics(self) -> None:
        metrics = self.doc.metrics
        # Names are unique per product: renamed rows pass through a name no
        # document can hold, so that swapped or reused names never collide.
        wanted = {self.old_ids("metrics")[m.key]: m.name for m in metrics}
        moving = [
            pk
            for pk, name in Metric.objects.filter(product=self.product).values_list(
                "pk", "name"
            )
            if wanted.get(pk) != name
        ]
        Metric.objects.filter(pk__in=moving).update(
            name=Concat(Value("\x7fimporting "), Cast("id", CharField()))
        )
        self.upsert(
            "metrics",
            Metric,
            metrics,
            lambda m: {
                "product_id": self.product.pk,
                "name": m.name,
                "unit": m.unit,
                "direction": m.direction,
                "description": m.description,
                "data_source": m.data_source,
                "review_cadence": m.review_cadence,
            },
        )
        metric_ids = list(self.ids["metrics"].values())
        existing: dict[int, dict[dt.date, Measurement]] = defaultdict(dict)
        for measurement in Measurement.objects.filter(metric_id__in=metric_ids):
            existing[measurement.metric_id][measurement.date] = measurement
        creates: list[Measurement] = []
        updates: list[Measurement] = []
        keep: set[int] = set()
        for metric in metrics:
            metric_id = self.ids["metrics"][metric.key]
            for x in metric.measurements:
                row = existing[metric_id].get(x.date)
                if row is None:
                    creates.append(
                        Measurement(
                            metric_id=metric_id,
                            date=x.date,
                            value=x.value,
                            note=x.note,
                            source=x.source,
                        )
                    )
                    continue
                keep.add(row.pk)
                if (row.value, row.note, row.source) != (x.value, x.note, x.source):
                    row.value, row.note, row.source = x.value, x.note, x.source
                    bump(row)
                    updates.append(row)
        stale = [
            row.pk
            for rows in existing.values()
            for row in rows.values()
            if row.pk not in keep
        ]
        Measurement.objects.filter(pk__in=stale).delete()
        Measurement.objects.bulk_update(
            updates, ["value", "note", "source", "version"], batch_size=500
        )
        Measurement.objects.bulk_create(creates, batch_size=1000)

    def import_check_ins(self) -> None:
        kr_ids = list(self.ids["key_results"].values())
        existing: dict[int, list[CheckIn]] = defaultdict(list)
        for row in CheckIn.objects.filter(key_result_id__in=kr_ids).order_by(
            "date", "created_at", "id"
        ):
            existing[row.key_result_id].append(row)
        creates, stale = [], []
        for kr in self.doc.key_results:
            kr_id = self.ids["key_results"][kr.key]
            rows = existing.get(kr_id, [])
            wanted = [
                (c.date, c.confidence, c.score, c.what_happened, c.next_steps)
                for c in kr.check_ins
            ]
            have = [
                (r.date, r.confidence, r.score, r.what_happened, r.next_steps)
                for r in rows
            ]
            if wanted == have:
                continue
            # Check-ins are a log: when it differs, write the document's log.
            stale += [r.pk for r in rows]
            creates += [
                CheckIn(
                    key_result_id=kr_id,
                    date=c.date,
                    confidence=c.confidence,
                    score=c.score,
                    what_happened=c.what_happened,
                    next_steps=c.next_steps,
                    author=self.actor if self.actor and self.actor.pk else None,
                )
                for c in kr.check_ins
            ]
        CheckIn.objects.filter(pk__in=stale).delete()
        for row in creates:
            # One by one: each gets its own created_at, which orders a day's
            # check-ins the way the document lists them.
            row.save()

    def import_outcome_teams(self) -> None:
        through = Outcome.teams.through
        outcome_ids = list(self.ids["outcomes"].values())
        have = set(
            through.objects.filter(outcome_id__in=outcome_ids).values_list(
                "outcome_id", "team_id"
            )
        )
        want = {
            (self.ids["outcomes"][o.key], self.ids["teams"][t])
            for o in self.doc.board.outcomes
            for t in o.teams
        }
        for outcome_id, team_id in have - want:
            through.objects.filter(outcome_id=outcome_id, team_id=team_id).delete()
        through.objects.bulk_create(
            [
                through(outcome_id=outcome_id, team_id=team_id)
                for outcome_id, team_id in sorted(want - have)
            ],
            batch_size=1000,
        )

    def import_success_metrics(self, card: dict[str, Any]) -> None:
        placed = self.doc.board.success_metrics
        match = self.changes.matches["success_metrics"]
        # A key result's card in the bin comes back rather than a second card.
        in_bin = {
            row.key_result_id: row.pk
            for row in SuccessMetric.objects.deleted().filter(
                key_result_id__in=[
                    self.ids["key_results"][s.key_result] for s in placed
                ]
            )
        }
        for s in placed:
            if match.old_id[s.key] is None:
                match.old_id[s.key] = in_bin.get(self.ids["key_results"][s.key_result])
        self.upsert(
            "success_metrics",
            SuccessMetric,
            placed,
            lambda s: {
                **card,
                "horizon": s.horizon,
                "position": s.position,
                "key_result_id": self.ids["key_results"][s.key_result],
                "outcome_id": self.ref("outcomes", s.outcome),
            },
        )

    def import_dependencies(self) -> None:
        old_ids = [d.pk for d in self.old_dependency_rows()]
        wanted = [
            TeamDependency(
                team_id=self.ids["teams"][d.team],
                outcome_id=self.ref("outcomes", d.outcome),
                feature_id=self.ref("features", d.feature),
                description=d.description,
                status=d.status,
                note=d.note,
                due_date=d.due_date,
            )
            for d in self.doc.dependencies
        ]
        old = list(TeamDependency.objects.filter(pk__in=old_ids).order_by("id"))

        def signature(d: TeamDependency) -> tuple[Any, ...]:
            return (
                d.team_id,
                d.outcome_id,
                d.feature_id,
                d.description,
                d.status,
                d.note,
                d.due_date,
            )

        if [signature(d) for d in old] == [signature(d) for d in wanted]:
            return
        TeamDependency.objects.filter(pk__in=old_ids).delete()
        TeamDependency.objects.bulk_create(wanted, batch_size=1000)

    def old_dependency_rows(self) -> list[TeamDependency]:
        roadmap = self.roadmap
        return list(
            TeamDependency.objects.filter(
                outcome__roadmap=roadmap, outcome__deleted_at__isnull=True
            )
        ) + list(
            TeamDependency.objects.filter(
                feature__roadmap=roadmap, feature__deleted_at__isnull=True
            )
        )

    def remove(self) -> None:
        """Cards go to the bin; the rest is deleted, dependants first."""
        for kind, model in [
            ("features", Feature),
            ("success_metrics", SuccessMetric),
            ("challenges", Challenge),
            ("outcomes", Outcome),
        ]:
            model.objects.filter(pk__in=self.removed_ids(kind)).update(
                deleted_at=self.now, version=F("version") + 1, updated_at=self.now
            )
        KeyResult.objects.filter(pk__in=self.removed_ids("key_results")).delete()
        Metric.objects.filter(pk__in=self.removed_ids("metrics")).delete()
        Goal.objects.filter(pk__in=self.removed_ids("goals")).delete()
        Theme.objects.filter(pk__in=self.removed_ids("themes")).delete()
