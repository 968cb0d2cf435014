"""Compare two moments of a product's plan: two snapshots, or a snapshot and now.

Both moments are plan documents (`roadmap.schemas.PlanDoc`). Every item in a
document carries its database id, so an item is matched across the two by
its kind and id (dependencies, which have none, by their team and card).
References between items (an outcome's goal, a feature's outcome) are read
as the names they point to, so renumbered document keys never count as a
change. The reasons people gave come from the product's history between the
two moments: one query, whatever the plan's size.

The customer-safe digest is built from `Item.customer_summary` and the
horizons' labels only: internal titles, descriptions, challenges, teams and
key results never reach it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from metrics.formatting import format_value
from metrics.models import KeyResult, Metric
from roadmap.exchange import plan_document
from roadmap.models import (
    HORIZON_VALUES,
    ChallengeStatus,
    DependencyStatus,
    FeatureEffort,
    FeatureImpact,
    FeatureStage,
    OutcomeCategory,
    OutcomeConfidence,
    OutcomeStatus,
    Snapshot,
)
from roadmap.schemas import PlanDoc
from roadmap.snapshots import snapshot_plan
from strategy.models import GoalStatus, HistoryEntry, ItemKind, Product

KIND_LABELS: dict[str, str] = {
    ItemKind.VISION_BOARD: "Vision board",
    ItemKind.ROADMAP: "Horizons",
    ItemKind.THEME: "Theme",
    ItemKind.GOAL: "Goal",
    ItemKind.METRIC: "Metric",
    ItemKind.KEY_RESULT: "Key result",
    ItemKind.OUTCOME: "Outcome",
    ItemKind.CHALLENGE: "Key challenge",
    ItemKind.SUCCESS_METRIC: "Success metric",
    ItemKind.FEATURE: "Feature",
    ItemKind.DEPENDENCY: "Dependency",
}

FIELD_LABELS = {
    "name": "Name",
    "vision_statement": "Vision",
    "target_group": "Target group",
    "needs": "Needs",
    "product_description": "Product",
    "value": "Business value",
    "title": "Title",
    "description": "Description",
    "years": "Years",
    "theme": "Theme",
    "start_date": "Start",
    "end_date": "End",
    "due_date": "Due",
    "status": "Status",
    "unit": "Unit",
    "direction": "Direction",
    "data_source": "Data source",
    "review_cadence": "Review cadence",
    "metric": "Metric",
    "goal": "Goal",
    "baseline": "Baseline",
    "target": "Target",
    "confidence": "Confidence",
    "category": "Category",
    "teams": "Teams",
    "customer_summary": "Customer summary",
    "is_customer_visible": "Customer-visible",
    "safe_to_promise": "Safe to promise",
    "outcome": "Outcome",
    "key_result": "Key result",
    "stage": "Stage",
    "team": "Team",
    "effort": "Effort",
    "expected_impact": "Expected impact",
}

CHOICES: dict[str, dict[str, dict[str, str]]] = {
    ItemKind.GOAL: {"status": dict(GoalStatus.choices)},
    ItemKind.METRIC: {
        "direction": dict(Metric.Direction.choices),
        "review_cadence": dict(Metric.Cadence.choices),
    },
    ItemKind.OUTCOME: {
        "status": dict(OutcomeStatus.choices),
        "confidence": dict(OutcomeConfidence.choices),
        "category": dict(OutcomeCategory.choices),
    },
    ItemKind.CHALLENGE: {"status": dict(ChallengeStatus.choices)},
    ItemKind.FEATURE: {
        "stage": dict(FeatureStage.choices),
        "effort": dict(FeatureEffort.choices),
        "expected_impact": dict(FeatureImpact.choices),
    },
    ItemKind.DEPENDENCY: {"status": dict(DependencyStatus.choices)},
}

# Kinds in the order a reader scans a change list: the board first.
KIND_ORDER: list[str] = [
    ItemKind.OUTCOME,
    ItemKind.FEATURE,
    ItemKind.CHALLENGE,
    ItemKind.SUCCESS_METRIC,
    ItemKind.DEPENDENCY,
    ItemKind.GOAL,
    ItemKind.KEY_RESULT,
    ItemKind.METRIC,
    ItemKind.THEME,
    ItemKind.VISION_BOARD,
    ItemKind.ROADMAP,
]


@dataclass(frozen=True)
class Moment:
    """One side of a comparison: a snapshot, or the live plan ("now")."""

    label: str
    at: dt.datetime
    doc: PlanDoc
    snapshot: Snapshot | None = None

    @property
    def is_now(self) -> bool:
        return self.snapshot is None


@dataclass(frozen=True)
class Item:
    """An item as one document shows it.

    `customer_summary` is set only when a customer may read the item (a
    customer-visible outcome, or feature of one, with a summary).
    """

    kind: str
    # The database id; a dependency's is (team, card kind, card id, nth).
    id: Any
    title: str
    horizon: str = ""
    horizon_label: str = ""
    customer_summary: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def is_customer_safe(self) -> bool:
        return bool(self.customer_summary)


@dataclass(frozen=True)
class Reason:
    text: str
    who: str
    when: dt.datetime


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str
    after: str
    reasons: tuple[Reason, ...] = ()

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.name, self.name.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Move:
    item: Item
    before: str
    after: str
    before_label: str
    after_label: str
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Removal:
    item: Item
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Change:
    item: Item
    fields: tuple[FieldChange, ...]
    # The item as the earlier moment showed it (its customer summary then).
    before: Item | None = None


@dataclass(frozen=True)
class KeyResultThenNow:
    id: int | None
    statement: str
    then: str
    now: str
    target: str
    state: str  # "both", "added" or "removed"

    @property
    def changed(self) -> bool:
        return self.state != "both" or self.then != self.now


@dataclass(frozen=True)
class PlanComparison:
    before: Moment
    after: Moment
    added: tuple[Item, ...] = ()
    removed: tuple[Removal, ...] = ()
    moved: tuple[Move, ...] = ()
    changed: tuple[Change, ...] = ()
    key_results: tuple[KeyResultThenNow, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.moved
            or self.changed
            or any(kr.changed for kr in self.key_results)
        )

    @property
    def key_results_changed(self) -> int:
        return sum(1 for kr in self.key_results if kr.changed)


# --- Reading one document as items with comparable fields -----------------------


@dataclass
class ItemView:
    item: Item
    fields: dict[str, str]


@dataclass
class DocView:
    items: dict[tuple[str, Any], ItemView] = field(default_factory=dict)
    horizon_labels: dict[str, str] = field(default_factory=dict)
    key_results: dict[Any, tuple[str, str, str]] = field(default_factory=dict)


def text(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%b %Y}"
    if isinstance(value, Decimal):
        return format_value(value, "")
    return str(value).strip() or "–"


def horizon_label(doc: PlanDoc, key: str) -> str:
    for horizon in doc.board.horizons:
        if horizon.key == key:
            return (
                f"{horizon.label} ({horizon.hint})" if horizon.hint else horizon.label
            )
    return key.title()


def read_doc(doc: PlanDoc) -> DocView:
    """Index the document's items by (kind, id) with their fields as words."""
    view = DocView()
    view.horizon_labels = {key: horizon_label(doc, key) for key in HORIZON_VALUES}
    teams = {t.key: t.name for t in doc.teams}
    themes = {t.key: t.title for t in doc.themes}
    goals = {g.key: g.title for g in doc.goals}
    metrics = {m.key: m for m in doc.metrics}
    outcomes = {o.key: o for o in doc.board.outcomes}
    features = {f.key: f for f in doc.board.features}

    def choice(kind: str, name: str, value: str) -> str:
        return CHOICES.get(kind, {}).get(name, {}).get(value, text(value))

    def add(item: Item, fields: dict[str, Any]) -> None:
        words = {
            name: choice(item.kind, name, value)
            if isinstance(value, str) and name in CHOICES.get(item.kind, {})
            else text(value)
            for name, value in fields.items()
        }
        view.items[(item.kind, item.id)] = ItemView(item, words)

    vision = doc.product
    add(
        Item(ItemKind.VISION_BOARD, 0, "Vision board"),
        {
            "name": vision.name,
            "vision_statement": vision.vision_statement,
            "target_group": vision.target_group,
            "needs": vision.needs,
            "product_description": vision.product_description,
            "value": vision.value,
        },
    )
    if doc.board.horizons:
        add(
            Item(ItemKind.ROADMAP, 0, "Horizons"),
            {
                f"{h.key} horizon": f"{h.label} {h.hint}".strip()
                for h in doc.board.horizons
            },
        )
    for t in doc.themes:
        years = str(t.start_year)
        if t.end_year != t.start_year:
            years += f"–{t.end_year}"
        add(
            Item(ItemKind.THEME, t.id or t.key, t.title),
            {"title": t.title, "description": t.description, "years": years},
        )
    for g in doc.goals:
        add(
            Item(ItemKind.GOAL, g.id or g.key, g.title),
            {
                "title": g.title,
                "description": g.description,
                "theme": themes.get(g.theme or ""),
                "start_date": g.start_date,
                "end_date": g.end_date,
                "status": g.status,
            },
        )
    for m in doc.metrics:
        add(
            Item(ItemKind.METRIC, m.id or m.key, m.name),
            {
                "name": m.name,
                "unit": m.unit,
                "direction": m.direction,
                "description": m.description,
                "data_source": m.data_source,
                "review_cadence": m.review_cadence,
            },
        )
    statements: dict[str, str] = {}
    for k in doc.key_results:
        metric = metrics[k.metric]
        statement = key_result_statement(
            metric.name, metric.unit, metric.direction, k.baseline, k.target, k.due_date
        )
        statements[k.key] = statement
        add(
            Item(ItemKind.KEY_RESULT, k.id or k.key, statement),
            {
                "metric": metric.name,
                "goal": goals.get(k.goal or ""),
                "baseline": format_value(k.baseline, metric.unit),
                "target": format_value(k.target, metric.unit),
                "start_date": k.start_date,
                "due_date": k.due_date,
            },
        )
        view.key_results[k.id or k.key] = (
            statement,
            format_value(k.current, metric.unit),
            format_value(k.target, metric.unit),
        )

    safe_outcomes = {
        o.key: o.customer_summary.strip()
        for o in doc.board.outcomes
        if o.is_customer_visible and o.customer_summary.strip()
    }

    def card(kind: str, c: Any, title: str, summary: str = "") -> Item:
        return Item(
            kind,
            c.id or c.key,
            title,
            horizon=c.horizon,
            horizon_label=view.horizon_labels.get(c.horizon, c.horizon),
            customer_summary=summary,
        )

    for o in doc.board.outcomes:
        add(
            card(ItemKind.OUTCOME, o, o.title, safe_outcomes.get(o.key, "")),
            {
                "title": o.title,
                "description": o.description,
                "status": o.status,
                "confidence": o.confidence,
                "category": o.category,
                "goal": goals.get(o.goal or ""),
                "teams": ", ".join(sorted(teams[t] for t in o.teams)),
                "customer_summary": o.customer_summary,
                "is_customer_visible": o.is_customer_visible,
                "safe_to_promise": o.safe_to_promise,
            },
        )
    for c in doc.board.challenges:
        add(
            card(ItemKind.CHALLENGE, c, c.title),
            {
                "title": c.title,
                "description": c.description,
                "status": c.status,
                "outcome": outcomes[c.outcome].title if c.outcome else None,
            },
        )
    for s in doc.board.success_metrics:
        add(
            card(ItemKind.SUCCESS_METRIC, s, statements[s.key_result]),
            {
                "key_result": statements[s.key_result],
                "outcome": outcomes[s.outcome].title if s.outcome else None,
            },
        )
    for f in doc.board.features:
        summary = ""
        if (
            f.is_customer_visible
            and f.customer_summary.strip()
            and f.outcome in safe_outcomes
        ):
            summary = f.customer_summary.strip()
        add(
            card(ItemKind.FEATURE, f, f.title, summary),
            {
                "title": f.title,
                "description": f.description,
                "stage": f.stage,
                "outcome": outcomes[f.outcome].title if f.outcome else None,
                "team": teams.get(f.team or ""),
                "effort": f.effort,
                "expected_impact": f.expected_impact,
                "customer_summary": f.customer_summary,
                "is_customer_visible": f.is_customer_visible,
                "safe_to_promise": f.safe_to_promise,
            },
        )
    # A dependency has no id: it is its team's for one card (the nth such).
    seen: dict[tuple[str, str, Any], int] = defaultdict(int)
    for d in doc.dependencies:
        if d.outcome:
            target: Any = outcomes[d.outcome]
            target_kind = ItemKind.OUTCOME
        else:
            target = features[d.feature or ""]
            target_kind = ItemKind.FEATURE
        identity = (teams[d.team], target_kind, target.id or target.key)
        seen[identity] += 1
        add(
            Item(
                ItemKind.DEPENDENCY,
                (*identity, seen[identity]),
                f"{target.title} needs {teams[d.team]}",
            ),
            {"description": d.description, "status": d.status},
        )
    return view


def key_result_statement(
    metric_name: str,
    unit: str,
    direction: str,
    baseline: Decimal,
    target: Decimal,
    due_date: dt.date,
) -> str:
    """The key result's sentence, as the metrics pages say it."""
    kr = KeyResult(
        metric=Metric(name=metric_name, unit=unit, direction=direction),
        baseline=baseline,
        target=target,
        due_date=due_date,
    )
    return kr.statement


# --- Reasons from the history between the two moments --------------------------


def reasons_between(
    product: Product, start: dt.datetime, end: dt.datetime
) -> dict[tuple[str, int | None, str], list[Reason]]:
    """{(kind, item id, field or "deleted"): reasons} in time order; one query."""
    low, high = min(start, end), max(start, end)
    entries = (
        HistoryEntry.objects.filter(
            product=product, created_at__gt=low, created_at__lte=high
        )
        .exclude(reason="")
        .select_related("actor")
        .order_by("created_at", "id")
    )
    found: dict[tuple[str, int | None, str], list[Reason]] = defaultdict(list)
    for entry in entries:
        name = "deleted" if entry.action == HistoryEntry.Action.DELETED else entry.field
        found[(entry.item_kind, entry.item_id, name)].append(
            Reason(entry.reason, entry.who, entry.created_at)
        )
    return found


# --- The comparison ----------------------------------------------------------


def compare_docs(
    before: Moment,
    after: Moment,
    reasons: dict[tuple[str, int | None, str], list[Reason]] | None = None,
) -> PlanComparison:
    reasons = reasons or {}
    old, new = read_doc(before.doc), read_doc(after.doc)

    def why(item: Item, name: str) -> tuple[Reason, ...]:
        if not isinstance(item.id, int):
            return ()
        return tuple(reasons.get((item.kind, item.id, name), ()))

    def order(key: tuple[str, Any]) -> int:
        return KIND_ORDER.index(key[0]) if key[0] in KIND_ORDER else len(KIND_ORDER)

    added: list[Item] = []
    moved: list[Move] = []
    changed: list[Change] = []
    for key in sorted(new.items, key=order):
        now = new.items[key]
        then = old.items.get(key)
        if then is None:
            added.append(now.item)
            continue
        if then.item.horizon != now.item.horizon:
            moved.append(
                Move(
                    item=now.item,
                    before=then.item.horizon,
                    after=now.item.horizon,
                    before_label=old.horizon_labels.get(then.item.horizon, ""),
                    after_label=new.horizon_labels.get(now.item.horizon, ""),
                    reasons=why(now.item, "horizon"),
                )
            )
        fields = tuple(
            FieldChange(name, then.fields.get(name, "–"), value, why(now.item, name))
            for name, value in now.fields.items()
            if then.fields.get(name, "–") != value
        )
        if fields:
            changed.append(Change(now.item, fields, before=then.item))
    removed = [
        Removal(view.item, why(view.item, "deleted"))
        for key, view in sorted(old.items.items(), key=lambda pair: order(pair[0]))
        if key not in new.items
    ]

    key_results = []
    for kr_id, (statement, current, target) in new.key_results.items():
        if kr_id in old.key_results:
            key_results.append(
                KeyResultThenNow(
                    kr_id, statement, old.key_results[kr_id][1], current, target, "both"
                )
            )
        else:
            key_results.append(
                KeyResultThenNow(kr_id, statement, "–", current, target, "added")
            )
    for kr_id, (statement, current, target) in old.key_results.items():
        if kr_id not in new.key_results:
            key_results.append(
                KeyResultThenNow(kr_id, statement, current, "–", target, "removed")
            )
    return PlanComparison(
        before=before,
        after=after,
        added=tuple(added),
        removed=tuple(removed),
        moved=tuple(moved),
        changed=tuple(changed),
        key_results=tuple(key_results),
    )


def snapshot_moment(snapshot: Snapshot) -> Moment:
    return Moment(
        label=snapshot.name,
        at=snapshot.taken_at,
        doc=snapshot_plan(snapshot),
        snapshot=snapshot,
    )


def now_moment(product: Product) -> Moment:
    doc = plan_document(product)
    return Moment(label="Now", at=doc.exported_at or timezone.now(), doc=doc)


def compare(product: Product, before: Moment, after: Moment) -> PlanComparison:
    """Compare two moments of the product's plan, with the reasons between them."""
    return compare_docs(before, after, reasons_between(product, before.at, after.at))


# --- The digest: the same comparison, ready to paste into an email -----------------

AUDIENCES = {"internal": "Internal", "customer": "Customer-safe"}


@dataclass(frozen=True)
class DigestLine:
    text: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestSection:
    heading: str
    lines: tuple[DigestLine, ...]


@dataclass(frozen=True)
class Digest:
    audience: str
    subject: str
    intro: str
    sections: tuple[DigestSection, ...]

    @property
    def audience_label(self) -> str:
        return AUDIENCES[self.audience]

    def as_text(self) -> str:
        lines = [self.subject, "", self.intro, ""]
        for section in self.sections:
            lines += [section.heading, ""]
            for line in section.lines:
                lines.append(f"- {line.text}")
                lines += [f"    {detail}" for detail in line.details]
            lines.append("")
        if not self.sections:
            lines += ["Nothing changed.", ""]
        return "\n".join(lines).rstrip() + "\n"


def moment_words(moment: Moment) -> str:
    when = timezone.localtime(moment.at)
    if moment.is_now:
        return f"now ({when.day} {when:%b %Y})"
    return f"“{moment.label}” ({when.day} {when:%b %Y})"


def reason_words(reasons: Iterable[Reason]) -> tuple[str, ...]:
    return tuple(
        f"Why: {r.text} ({r.who}, {timezone.localtime(r.when).day} "
        f"{timezone.localtime(r.when):%b %Y})"
        for r in reasons
    )


def internal_digest(product_name: str, comparison: PlanComparison) -> Digest:
    sections = []
    if comparison.moved:
        sections.append(
            DigestSection(
                "Moved",
                tuple(
                    DigestLine(
                        f"{m.item.kind_label} “{m.item.title}”: "
                        f"{m.before_label} → {m.after_label}",
                        reason_words(m.reasons),
                    )
                    for m in comparison.moved
                ),
            )
        )
    if comparison.added:
        sections.append(
            DigestSection(
                "Added",
                tuple(
                    DigestLine(
                        f"{i.kind_label} “{i.title}”"
                        + (f", in {i.horizon_label}" if i.horizon else "")
                    )
                    for i in comparison.added
                ),
            )
        )
    if comparison.removed:
        sections.append(
            DigestSection(
                "Removed",
                tuple(
                    DigestLine(
                        f"{r.item.kind_label} “{r.item.title}”"
                        + (
                            f", was in {r.item.horizon_label}" if r.item.horizon else ""
                        ),
                        reason_words(r.reasons),
                    )
                    for r in comparison.removed
                ),
            )
        )
    if comparison.changed:
        sections.append(
            DigestSection(
                "Changed",
                tuple(
                    DigestLine(
                        f"{c.item.kind_label} “{c.item.title}”",
                        tuple(
                            detail
                            for f in c.fields
                            for detail in (
                                f"{f.label}: {short(f.before)} → {short(f.after)}",
                                *reason_words(f.reasons),
                            )
                        ),
                    )
                    for c in comparison.changed
                ),
            )
        )
    krs = [kr for kr in comparison.key_results if kr.changed]
    if krs:
        sections.append(
            DigestSection(
                "Key results then and now",
                tuple(
                    DigestLine(
                        kr.statement,
                        (
                            f"{kr.then} → {kr.now} (target {kr.target})"
                            + {"added": ", new", "removed": ", removed"}.get(
                                kr.state, ""
                            ),
                        ),
                    )
                    for kr in krs
                ),
            )
        )
    return Digest(
        audience="internal",
        subject=f"{product_name}: what changed in the roadmap",
        intro=(
            f"From {moment_words(comparison.before)} to "
            f"{moment_words(comparison.after)}."
        ),
        sections=tuple(sections),
    )


def customer_digest(product_name: str, comparison: PlanComparison) -> Digest:
    """Only what a customer may hear: customer-safe items by their summary."""
    was_safe = {
        (c.item.kind, c.item.id)
        for c in comparison.changed
        if c.before and c.before.is_customer_safe
    }
    new_lines = [
        DigestLine(f"{i.customer_summary} – {i.horizon_label}")
        for i in comparison.added
        if i.is_customer_safe
    ]
    new_lines += [
        DigestLine(f"{c.item.customer_summary} – {c.item.horizon_label}")
        for c in comparison.changed
        if c.item.is_customer_safe and (c.item.kind, c.item.id) not in was_safe
    ]
    moving = [
        DigestLine(
            f"{m.item.customer_summary} – now {m.after_label}, was {m.before_label}"
        )
        for m in comparison.moved
        if m.item.is_customer_safe
    ]
    updated = [
        DigestLine(f"{c.item.customer_summary} – {c.item.horizon_label}")
        for c in comparison.changed
        if c.item.is_customer_safe
        and (c.item.kind, c.item.id) in was_safe
        and c.before is not None
        and c.before.customer_summary != c.item.customer_summary
    ]
    gone = [
        DigestLine(r.item.customer_summary)
        for r in comparison.removed
        if r.item.is_customer_safe
    ]
    sections = [
        DigestSection(heading, tuple(lines))
        for heading, lines in (
            ("New on the roadmap", new_lines),
            ("Moving", moving),
            ("Updated", updated),
            ("No longer planned", gone),
        )
        if lines
    ]
    after = timezone.localtime(comparison.after.at)
    before = timezone.localtime(comparison.before.at)
    return Digest(
        audience="customer",
        subject=f"{product_name}: roadmap update",
        intro=(
            f"What changed in the {product_name} roadmap between "
            f"{before.day} {before:%b %Y} and {after.day} {after:%b %Y}."
        ),
        sections=tuple(sections),
    )


def short(value: str, limit: int = 160) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


DIGESTS: dict[str, Callable[[str, PlanComparison], Digest]] = {
    "internal": internal_digest,
    "customer": customer_digest,
}


def digest(product_name: str, comparison: PlanComparison, audience: str) -> Digest:
    return DIGESTS[audience](product_name, comparison)
