"""Export a product's whole plan: the plan document and its CSV and Markdown forms.

`plan_document` reads the plan into a `roadmap.schemas.PlanDoc` in a fixed
number of queries. Items get document-local keys in a fixed order (themes and
goals by position, metrics by name, key results by due date, cards in board
order), so a product made by importing a document exports the same document
again, apart from ids and the export's timestamp.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from metrics.formatting import format_value
from metrics.models import CheckIn, KeyResult, Measurement, Metric
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    Evidence,
    Feature,
    Outcome,
    Roadmap,
    SuccessMetric,
    Team,
    TeamCapacity,
    TeamDependency,
)
from roadmap.schemas import (
    PLAN_SCHEMA_VERSION,
    BoardPlan,
    ChallengePlan,
    CheckInPlan,
    DependencyPlan,
    EvidencePlan,
    FeaturePlan,
    GoalPlan,
    HorizonPlan,
    KeyResultPlan,
    MeasurementPlan,
    MetricPlan,
    OutcomePlan,
    PlanDoc,
    PrioritisationPlan,
    SuccessMetricPlan,
    TeamPlan,
    ThemePlan,
    VisionBoardPlan,
)
from strategy.models import Goal, Product, Theme

FORMATS = {
    "json": ("application/json", "json"),
    "csv": ("application/zip", "zip"),
    "md": ("text/markdown; charset=utf-8", "md"),
}


def board_order(card: Any) -> tuple[int, int, int]:
    return (HORIZON_VALUES.index(card.horizon), card.position, card.pk)


def keyed(prefix: str, rows: Iterable[Any]) -> dict[int, str]:
    """Number rows in order: {pk: "g-1", ...}."""
    return {row.pk: f"{prefix}-{index}" for index, row in enumerate(rows, start=1)}


def plan_document(product: Product) -> PlanDoc:
    """Describe the product's whole plan; cards in the bin are left out."""
    roadmap = Roadmap.objects.filter(product=product).first() or Roadmap(
        product=product
    )
    themes = list(Theme.objects.filter(product=product).order_by("position", "id"))
    goals = list(Goal.objects.filter(product=product))
    metrics = list(Metric.objects.filter(product=product).order_by("name", "id"))
    # Thousands of rows: read as plain values, not model instances.
    measurements: dict[int, list[MeasurementPlan]] = defaultdict(list)
    for metric_id, date, value, note, source in (
        Measurement.objects.filter(metric__product=product)
        .order_by("metric_id", "date")
        .values_list("metric_id", "date", "value", "note", "source")
    ):
        measurements[metric_id].append(
            MeasurementPlan(date=date, value=value, note=note, source=source)
        )
    key_results = list(
        KeyResult.objects.for_product(product)
        .with_current()
        .order_by("due_date", "id")
        .prefetch_related(
            Prefetch(
                "check_ins",
                queryset=CheckIn.objects.order_by("date", "created_at", "id"),
            )
        )
    )
    cards: dict[str, list[Any]] = {"outcomes": [], "challenges": [], "features": []}
    success_metrics: list[SuccessMetric] = []
    dependencies: list[TeamDependency] = []
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    if roadmap.pk is not None:
        cards["outcomes"] = sorted(
            Outcome.objects.alive().filter(roadmap=roadmap).prefetch_related("teams"),
            key=board_order,
        )
        cards["challenges"] = sorted(
            Challenge.objects.alive().filter(roadmap=roadmap), key=board_order
        )
        cards["features"] = sorted(
            Feature.objects.alive().filter(roadmap=roadmap), key=board_order
        )
        success_metrics = sorted(
            SuccessMetric.objects.alive().filter(roadmap=roadmap), key=board_order
        )
        dependencies = list(
            TeamDependency.objects.filter(
                outcome__roadmap=roadmap, outcome__deleted_at__isnull=True
            ).order_by("id")
        ) + list(
            TeamDependency.objects.filter(
                feature__roadmap=roadmap, feature__deleted_at__isnull=True
            ).order_by("id")
        )
        dependencies.sort(key=lambda d: d.pk)
        for item in (
            Evidence.objects.filter(challenge__in=cards["challenges"])
            .select_related("measurement", "insight")
            .order_by("observed_on", "id")
        ):
            evidence[item.challenge_id].append(item)
    capacities = {c.team_id: c for c in TeamCapacity.objects.filter(product=product)}

    team_ids = {d.team_id for d in dependencies} | set(capacities)
    team_ids |= {f.team_id for f in cards["features"] if f.team_id}
    team_ids |= {t.pk for o in cards["outcomes"] for t in o.teams.all()}
    teams = list(Team.objects.filter(pk__in=team_ids).order_by("name"))

    team_keys = keyed("t", teams)
    theme_keys = keyed("th", themes)
    goal_keys = keyed("g", goals)
    metric_keys = keyed("m", metrics)
    key_result_keys = keyed("kr", key_results)
    outcome_keys = keyed("o", cards["outcomes"])
    challenge_keys = keyed("c", cards["challenges"])
    success_metric_keys = keyed("sm", success_metrics)
    feature_keys = keyed("f", cards["features"])
    team_order = {team.pk: index for index, team in enumerate(teams)}

    def ref(keys: dict[int, str], pk: int | None) -> str | None:
        return keys.get(pk) if pk is not None else None

    return PlanDoc(
        schema_version=PLAN_SCHEMA_VERSION,
        exported_at=timezone.now(),
        product=VisionBoardPlan(
            name=product.name,
            slug=product.slug,
            vision_statement=product.vision_statement,
            target_group=product.target_group,
            needs=product.needs,
            product_description=product.product_description,
            value=product.value,
        ),
        teams=[
            TeamPlan(
                key=team_keys[t.pk],
                name=t.name,
                description=t.description,
                **{
                    name: getattr(capacities[t.pk], name)
                    for name in CAPACITY_FIELDS
                    if t.pk in capacities
                },
            )
            for t in teams
        ],
        themes=[
            ThemePlan(
                key=theme_keys[t.pk],
                id=t.pk,
                title=t.title,
                description=t.description,
                start_year=t.start_year,
                end_year=t.end_year,
                position=t.position,
            )
            for t in themes
        ],
        goals=[
            GoalPlan(
                key=goal_keys[g.pk],
                id=g.pk,
                theme=ref(theme_keys, g.theme_id),
                title=g.title,
                description=g.description,
                start_date=g.start_date,
                end_date=g.end_date,
                status=g.status,
                position=g.position,
            )
            for g in goals
        ],
        metrics=[
            MetricPlan(
                key=metric_keys[m.pk],
                id=m.pk,
                name=m.name,
                unit=m.unit,
                direction=m.direction,
                description=m.description,
                data_source=m.data_source,
                review_cadence=m.review_cadence,
                measurements=measurements[m.pk],
            )
            for m in metrics
        ],
        key_results=[
            KeyResultPlan(
                key=key_result_keys[k.pk],
                id=k.pk,
                metric=metric_keys[k.metric_id],
                goal=ref(goal_keys, k.goal_id),
                baseline=k.baseline,
                target=k.target,
                start_date=k.start_date,
                due_date=k.due_date,
                current=getattr(k, "current_value", None),
                check_ins=[
                    CheckInPlan(
                        date=c.date,
                        confidence=c.confidence,
                        score=c.score,
                        what_happened=c.what_happened,
                        next_steps=c.next_steps,
                    )
                    for c in k.check_ins.all()
                ],
            )
            for k in key_results
        ],
        board=BoardPlan(
            prioritisation=PrioritisationPlan(
                score_method=roadmap.score_method,
                target_growth=roadmap.target_growth,
                target_optimisation=roadmap.target_optimisation,
                target_innovation=roadmap.target_innovation,
                target_capability=roadmap.target_capability,
            ),
            horizons=[
                HorizonPlan(key=key, label=label, hint=hint)
                for key, label, hint in roadmap.horizons
            ],
            review_cadence=roadmap.review_cadence,
            assumption_stale_days=roadmap.assumption_stale_days,
            outcomes=[
                OutcomePlan(
                    key=outcome_keys[o.pk],
                    id=o.pk,
                    horizon=o.horizon,
                    position=o.position,
                    title=o.title,
                    description=o.description,
                    status=o.status,
                    confidence=o.confidence,
                    category=o.category,
                    goal=ref(goal_keys, o.goal_id),
                    teams=[
                        team_keys[t.pk]
                        for t in sorted(o.teams.all(), key=lambda t: team_order[t.pk])
                    ],
                    customer_summary=o.customer_summary,
                    is_customer_visible=o.is_customer_visible,
                    safe_to_promise=o.safe_to_promise,
                    closed_at=o.closed_at,
                    learning=o.learning,
                    reach=o.reach,
                    impact=o.impact,
                    impact_key_result=ref(key_result_keys, o.impact_key_result_id),
                    estimate_confidence=o.estimate_confidence,
                    effort_weeks=o.effort_weeks,
                )
                for o in cards["outcomes"]
            ],
            challenges=[
                ChallengePlan(
                    key=challenge_keys[c.pk],
                    id=c.pk,
                    horizon=c.horizon,
                    position=c.position,
                    title=c.title,
                    description=c.description,
                    status=c.status,
                    outcome=ref(outcome_keys, c.outcome_id),
                    is_assumption=c.is_assumption,
                    confidence=c.confidence,
                    assumed_on=c.assumed_on,
                    evidence=[evidence_plan(e, metric_keys) for e in evidence[c.pk]],
                )
                for c in cards["challenges"]
            ],
            success_metrics=[
                SuccessMetricPlan(
                    key=success_metric_keys[s.pk],
                    id=s.pk,
                    horizon=s.horizon,
                    position=s.position,
                    key_result=key_result_keys[s.key_result_id],
                    outcome=ref(outcome_keys, s.outcome_id),
                )
                for s in success_metrics
            ],
            features=[
                FeaturePlan(
                    key=feature_keys[f.pk],
                    id=f.pk,
                    horizon=f.horizon,
                    position=f.position,
                    title=f.title,
                    description=f.description,
                    stage=f.stage,
                    outcome=ref(outcome_keys, f.outcome_id),
                    team=ref(team_keys, f.team_id),
                    effort=f.effort,
                    expected_impact=f.expected_impact,
                    customer_summary=f.customer_summary,
                    is_customer_visible=f.is_customer_visible,
                    safe_to_promise=f.safe_to_promise,
                    reach=f.reach,
                    impact=f.impact,
                    impact_key_result=ref(key_result_keys, f.impact_key_result_id),
                    estimate_confidence=f.estimate_confidence,
                    effort_weeks=f.effort_weeks,
                    released_on=f.released_on,
                )
                for f in cards["features"]
            ],
        ),
        dependencies=[
            DependencyPlan(
                team=team_keys[d.team_id],
                outcome=ref(outcome_keys, d.outcome_id),
                feature=ref(feature_keys, d.feature_id),
                description=d.description,
                status=d.status,
                note=d.note,
                due_date=d.due_date,
            )
            for d in dependencies
        ],
    )


CAPACITY_FIELDS = ("current_capacity", "soon_capacity", "future_capacity")


def evidence_plan(item: Evidence, metric_keys: dict[int, str]) -> EvidencePlan:
    measurement = item.measurement
    return EvidencePlan(
        kind=item.kind,
        effect=item.effect,
        note=item.note,
        url=item.url,
        learned_on=item.observed_on,
        metric=metric_keys.get(measurement.metric_id) if measurement else None,
        measured_on=measurement.date if measurement else None,
        request=item.insight.text if item.insight else "",
    )


def plan_json(doc: PlanDoc) -> str:
    return doc.model_dump_json(indent=2) + "\n"


def comparable(doc: PlanDoc) -> dict[str, Any]:
    """The document without what differs between copies: ids, slug, timestamp."""
    data = doc.model_dump(mode="json", exclude={"exported_at"})
    data["product"].pop("slug")
    for section in ("themes", "goals", "metrics", "key_results"):
        for item in data[section]:
            item.pop("id")
    for section in ("outcomes", "challenges", "success_metrics", "features"):
        for item in data["board"][section]:
            item.pop("id")
    return data


# --- CSV: one file per kind of item, in a zip --------------------------------


def csv_tables(doc: PlanDoc) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Return {file name: (header, rows)}; references keep their document keys."""
    board = doc.board
    vision = doc.product
    return {
        "product.csv": (
            ["field", "value"],
            [[name, value] for name, value in vision.model_dump().items()],
        ),
        "horizons.csv": (
            ["key", "label", "hint"],
            [[h.key, h.label, h.hint] for h in board.horizons],
        ),
        "teams.csv": (
            ["key", "name", "description", *CAPACITY_FIELDS],
            [
                [t.key, t.name, t.description]
                + [t.current_capacity, t.soon_capacity, t.future_capacity]
                for t in doc.teams
            ],
        ),
        "themes.csv": (
            ["key", "id", "title", "description", "start_year", "end_year", "position"],
            [
                [t.key, t.id, t.title, t.description, t.start_year, t.end_year]
                + [t.position]
                for t in doc.themes
            ],
        ),
        "goals.csv": (
            ["key", "id", "theme", "title", "description", "start_date", "end_date"]
            + ["status", "position"],
            [
                [g.key, g.id, g.theme, g.title, g.description, g.start_date]
                + [g.end_date, g.status, g.position]
                for g in doc.goals
            ],
        ),
        "metrics.csv": (
            ["key", "id", "name", "unit", "direction", "description", "data_source"]
            + ["review_cadence"],
            [
                [m.key, m.id, m.name, m.unit, m.direction, m.description]
                + [m.data_source, m.review_cadence]
                for m in doc.metrics
            ],
        ),
        "measurements.csv": (
            ["metric", "date", "value", "note", "source"],
            [
                [m.key, x.date, x.value, x.note, x.source]
                for m in doc.metrics
                for x in m.measurements
            ],
        ),
        "key_results.csv": (
            ["key", "id", "metric", "goal", "baseline", "target", "current"]
            + ["start_date", "due_date"],
            [
                [k.key, k.id, k.metric, k.goal, k.baseline, k.target, k.current]
                + [k.start_date, k.due_date]
                for k in doc.key_results
            ],
        ),
        "check_ins.csv": (
            ["key_result", "date", "confidence", "score", "what_happened"]
            + ["next_steps"],
            [
                [k.key, c.date, c.confidence, c.score, c.what_happened, c.next_steps]
                for k in doc.key_results
                for c in k.check_ins
            ],
        ),
        "outcomes.csv": (
            ["key", "id", "horizon", "position", "title", "description", "status"]
            + ["confidence", "category", "goal", "teams", "customer_summary"]
            + ["is_customer_visible", "safe_to_promise"],
            [
                [o.key, o.id, o.horizon, o.position, o.title, o.description]
                + [o.status, o.confidence, o.category, o.goal, " ".join(o.teams)]
                + [o.customer_summary, o.is_customer_visible, o.safe_to_promise]
                for o in board.outcomes
            ],
        ),
        "challenges.csv": (
            ["key", "id", "horizon", "position", "title", "description", "status"]
            + ["outcome", "is_assumption", "confidence", "assumed_on"],
            [
                [c.key, c.id, c.horizon, c.position, c.title, c.description]
                + [c.status, c.outcome, c.is_assumption, c.confidence, c.assumed_on]
                for c in board.challenges
            ],
        ),
        "evidence.csv": (
            ["challenge", "kind", "effect", "note", "url", "learned_on", "metric"]
            + ["measured_on", "request"],
            [
                [c.key, e.kind, e.effect, e.note, e.url, e.learned_on, e.metric]
                + [e.measured_on, e.request]
                for c in board.challenges
                for e in c.evidence
            ],
        ),
        "success_metrics.csv": (
            ["key", "id", "horizon", "position", "key_result", "outcome"],
            [
                [s.key, s.id, s.horizon, s.position, s.key_result, s.outcome]
                for s in board.success_metrics
            ],
        ),
        "features.csv": (
            ["key", "id", "horizon", "position", "title", "description", "stage"]
            + ["outcome", "team", "effort", "expected_impact", "customer_summary"]
            + ["is_customer_visible", "safe_to_promise"],
            [
                [f.key, f.id, f.horizon, f.position, f.title, f.description]
                + [f.stage, f.outcome, f.team, f.effort, f.expected_impact]
                + [f.customer_summary, f.is_customer_visible, f.safe_to_promise]
                for f in board.features
            ],
        ),
        "dependencies.csv": (
            ["team", "outcome", "feature", "description", "status", "note"]
            + ["due_date"],
            [
                [d.team, d.outcome, d.feature, d.description, d.status, d.note]
                + [d.due_date]
                for d in doc.dependencies
            ],
        ),
    }


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def plan_csv_zip(doc: PlanDoc) -> bytes:
    """Zip one CSV file per kind of item; folder named after the product."""
    buffer = io.BytesIO()
    folder = doc.product.slug or "plan"
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (header, rows) in csv_tables(doc).items():
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([csv_cell(value) for value in row] for row in rows)
            archive.writestr(f"{folder}/{name}", text.getvalue())
    return buffer.getvalue()


# --- Markdown: a readable document of the whole plan --------------------------


def md_inline(text: str) -> str:
    """One line of text with Markdown's table and emphasis characters escaped."""
    flat = " ".join(text.split())
    for char in "\\`*_[]|<>#":
        flat = flat.replace(char, "\\" + char)
    return flat


def md_block(text: str) -> list[str]:
    return [md_inline(line) for line in text.strip().splitlines() if line.strip()]


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(md_inline(str(csv_cell(cell))) or " " for cell in row) + " |"
        for row in rows
    ]
    return lines + [""]


def plan_markdown(doc: PlanDoc) -> str:
    """Write the plan as a document: vision, strategy, metrics, the board."""
    vision = doc.product
    board = doc.board
    teams = {t.key: t.name for t in doc.teams}
    goals = {g.key: g.title for g in doc.goals}
    metrics = {m.key: m for m in doc.metrics}
    outcomes = {o.key: o.title for o in board.outcomes}
    features = {f.key: f.title for f in board.features}
    horizons = {h.key: h for h in board.horizons}

    def key_result_text(key: str) -> str:
        for k in doc.key_results:
            if k.key == key:
                metric = metrics[k.metric]
                return (
                    f"{metric.name}: {format_value(k.baseline, metric.unit)} → "
                    f"{format_value(k.target, metric.unit)} "
                    f"({k.start_date:%d %b %Y} – {k.due_date:%d %b %Y}), "
                    f"now {format_value(k.current, metric.unit)}"
                )
        return key

    lines = [f"# {md_inline(vision.name)}", ""]
    if doc.exported_at:
        lines += [f"Exported {doc.exported_at:%d %b %Y %H:%M} UTC.", ""]
    lines += ["## Vision board", ""]
    for label, text in [
        ("Vision", vision.vision_statement),
        ("Target group", vision.target_group),
        ("Needs", vision.needs),
        ("Product", vision.product_description),
        ("Business value", vision.value),
    ]:
        lines += [f"**{label}**", "", *(md_block(text) or ["–"]), ""]

    lines += ["## Strategy", ""]
    for theme in doc.themes:
        years = (
            str(theme.start_year)
            if theme.start_year == theme.end_year
            else f"{theme.start_year}–{theme.end_year}"
        )
        lines += [f"### {md_inline(theme.title)} ({years})", ""]
        lines += [*md_block(theme.description)]
        lines += ["", *goal_lines(doc, theme.key)]
    unthemed = goal_lines(doc, None)
    if unthemed:
        lines += ["### Goals without a theme", "", *unthemed]

    lines += ["## Metrics", ""]
    lines += md_table(
        ["Metric", "Unit", "Direction", "Latest", "Measurements", "Source"],
        [
            [
                m.name,
                m.unit,
                "higher is better" if m.direction == "up" else "lower is better",
                format_value(m.measurements[-1].value, m.unit)
                + f" on {m.measurements[-1].date:%d %b %Y}"
                if m.measurements
                else "–",
                len(m.measurements),
                m.data_source,
            ]
            for m in doc.metrics
        ],
    )

    lines += ["## Key results", ""]
    for k in doc.key_results:
        goal = f" (goal: {md_inline(goals[k.goal])})" if k.goal else ""
        lines.append(f"- {md_inline(key_result_text(k.key))}{goal}")
        for c in k.check_ins:
            score = f", {c.score}/10" if c.score else ""
            lines.append(
                f"  - Check-in {c.date:%d %b %Y} ({c.confidence} confidence{score}): "
                f"{md_inline(c.what_happened)}"
                + (f" Next: {md_inline(c.next_steps)}" if c.next_steps else "")
            )
    lines.append("")

    lines += ["## Roadmap", ""]
    for key in HORIZON_VALUES:
        horizon = horizons.get(key)
        label = horizon.label if horizon else key.title()
        hint = f" ({horizon.hint})" if horizon and horizon.hint else ""
        lines += [f"### {md_inline(label)}{md_inline(hint)}", ""]
        for o in [o for o in board.outcomes if o.horizon == key]:
            lines.append(f"#### Outcome: {md_inline(o.title)}")
            lines.append("")
            facts = [f"status {o.status}", f"confidence {o.confidence}", o.category]
            if o.goal:
                facts.append(f"goal: {goals[o.goal]}")
            if o.teams:
                facts.append("teams: " + ", ".join(teams[t] for t in o.teams))
            lines += [md_inline("; ".join(facts)), "", *md_block(o.description)]
            lines.append("")
        rows = [
            ("Challenge", c.title, c.status, c.outcome)
            for c in board.challenges
            if c.horizon == key
        ]
        rows += [
            ("Success metric", key_result_text(s.key_result), "", s.outcome)
            for s in board.success_metrics
            if s.horizon == key
        ]
        rows += [
            (
                "Feature",
                f.title,
                f.stage + (f", {teams[f.team]}" if f.team else ""),
                f.outcome,
            )
            for f in board.features
            if f.horizon == key
        ]
        if rows:
            lines += md_table(
                ["Card", "Title", "Status", "Outcome"],
                [
                    [kind, title, status, outcomes.get(outcome or "", "")]
                    for kind, title, status, outcome in rows
                ],
            )

    if doc.dependencies:
        lines += ["## Dependencies", ""]
        lines += md_table(
            ["Needs team", "For", "What", "Status"],
            [
                [
                    teams[d.team],
                    outcomes[d.outcome] if d.outcome else features[d.feature or ""],
                    d.description,
                    d.status,
                ]
                for d in doc.dependencies
            ],
        )
    return "\n".join(lines).rstrip() + "\n"


def goal_lines(doc: PlanDoc, theme_key: str | None) -> list[str]:
    lines = []
    for goal in doc.goals:
        if goal.theme != theme_key:
            continue
        lines.append(
            f"- **{md_inline(goal.title)}** ({goal.status}, "
            f"{goal.start_date:%d %b %Y} – {goal.end_date:%d %b %Y})"
        )
        lines += [f"  {line}" for line in md_block(goal.description)]
    return lines + ([""] if lines else [])


def export_plan(product: Product, fmt: str) -> tuple[bytes, str, str]:
    """Return (content, content type, file name) of the product's plan."""
    doc = plan_document(product)
    content_type, extension = FORMATS[fmt]
    stamp = timezone.localdate().isoformat()
    filename = f"{product.slug}-plan-{stamp}.{extension}"
    if fmt == "json":
        return plan_json(doc).encode(), content_type, filename
    if fmt == "csv":
        return plan_csv_zip(doc), content_type, filename
    return plan_markdown(doc).encode(), content_type, filename
