"""The roadmap's JSON shape: one set of pydantic models for the API, export,
import and snapshots.

Cards are flat lists that name their horizon and position, and refer to
each other by id (a challenge's `outcome_id`), so a document round-trips
without nesting rules. `roadmap_document` builds one from the database in a
fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db.models import Prefetch
from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field

from metrics.models import KeyResult
from metrics.schemas import KeyResultOut, Note, Value, key_result_fields
from roadmap.models import (
    Challenge,
    Feature,
    Outcome,
    Roadmap,
    SuccessMetric,
)


class HorizonDoc(Schema):
    key: str
    label: str
    hint: str


class GoalRef(Schema):
    id: int
    title: str


class OutcomeDoc(Schema):
    id: int
    title: str
    description: str
    horizon: str
    position: int
    status: str
    confidence: str
    category: str
    goal: GoalRef | None
    teams: list[str]
    customer_summary: str
    is_customer_visible: bool
    safe_to_promise: bool = False


class ChallengeDoc(Schema):
    id: int
    title: str
    description: str
    horizon: str
    position: int
    status: str
    outcome_id: int | None


class KeyResultDoc(KeyResultOut):
    """A key result as the API shows it, with its metric's name and unit."""

    metric_name: str
    unit: str


class SuccessMetricDoc(Schema):
    id: int
    horizon: str
    position: int
    outcome_id: int | None
    key_result: KeyResultDoc


class FeatureDoc(Schema):
    id: int
    title: str
    description: str
    horizon: str
    position: int
    stage: str
    outcome_id: int | None
    team: str | None
    effort: str
    expected_impact: str
    customer_summary: str
    is_customer_visible: bool
    safe_to_promise: bool = False


class ProductRef(Schema):
    name: str
    slug: str


class RoadmapDoc(Schema):
    product: ProductRef
    horizons: list[HorizonDoc]
    outcomes: list[OutcomeDoc]
    challenges: list[ChallengeDoc]
    success_metrics: list[SuccessMetricDoc]
    features: list[FeatureDoc]


def outcome_doc(outcome: Outcome) -> OutcomeDoc:
    return OutcomeDoc(
        id=outcome.pk,
        title=outcome.title,
        description=outcome.description,
        horizon=outcome.horizon,
        position=outcome.position,
        status=outcome.status,
        confidence=outcome.confidence,
        category=outcome.category,
        goal=GoalRef(id=outcome.goal.pk, title=outcome.goal.title)
        if outcome.goal
        else None,
        teams=[team.name for team in outcome.teams.all()],
        customer_summary=outcome.customer_summary,
        is_customer_visible=outcome.is_customer_visible,
        safe_to_promise=outcome.safe_to_promise,
    )


def key_result_doc(key_result: KeyResult) -> KeyResultDoc:
    return KeyResultDoc(
        **key_result_fields(key_result),
        metric_name=key_result.metric.name,
        unit=key_result.metric.unit,
    )


def outcomes_for_document(roadmap: Roadmap) -> list[Outcome]:
    return list(
        Outcome.objects.alive()
        .filter(roadmap=roadmap)
        .select_related("goal")
        .prefetch_related("teams")
    )


def roadmap_document(roadmap: Roadmap) -> RoadmapDoc:
    """Describe the roadmap's live cards (deleted ones are left out)."""
    if roadmap.pk is None:
        outcomes, challenges, success_metrics, features = [], [], [], []
    else:
        outcomes = outcomes_for_document(roadmap)
        challenges = list(Challenge.objects.alive().filter(roadmap=roadmap))
        success_metrics = list(
            SuccessMetric.objects.alive()
            .filter(roadmap=roadmap)
            .prefetch_related(
                Prefetch("key_result", queryset=KeyResult.objects.with_current())
            )
        )
        features = list(
            Feature.objects.alive().filter(roadmap=roadmap).select_related("team")
        )
    return RoadmapDoc(
        product=ProductRef(name=roadmap.product.name, slug=roadmap.product.slug),
        horizons=[
            HorizonDoc(key=key, label=label, hint=hint)
            for key, label, hint in roadmap.horizons
        ],
        outcomes=[outcome_doc(o) for o in outcomes],
        challenges=[
            ChallengeDoc(
                id=c.pk,
                title=c.title,
                description=c.description,
                horizon=c.horizon,
                position=c.position,
                status=c.status,
                outcome_id=c.outcome_id,
            )
            for c in challenges
        ],
        success_metrics=[
            SuccessMetricDoc(
                id=s.pk,
                horizon=s.horizon,
                position=s.position,
                outcome_id=s.outcome_id,
                key_result=key_result_doc(s.key_result),
            )
            for s in success_metrics
        ],
        features=[
            FeatureDoc(
                id=f.pk,
                title=f.title,
                description=f.description,
                horizon=f.horizon,
                position=f.position,
                stage=f.stage,
                outcome_id=f.outcome_id,
                team=f.team.name if f.team else None,
                effort=f.effort,
                expected_impact=f.expected_impact,
                customer_summary=f.customer_summary,
                is_customer_visible=f.is_customer_visible,
                safe_to_promise=f.safe_to_promise,
            )
            for f in features
        ],
    )


# --- The plan document: export, import and snapshots -----------------------
#
# A PlanDoc freezes a product's whole plan. Items refer to each other by
# document-local keys ("g-3" is the document's third goal), assigned in a
# fixed order on export, so a document imports into a new product and the
# new product exports the same document again. `id` holds the database id an
# item had where it was exported: informational, and used only to match items
# when a document is imported over the product it came from.

PLAN_SCHEMA_VERSION = 1

# PostgreSQL text cannot hold NUL characters: refuse them by the field's path.
PlanText = Annotated[str, Field(pattern=r"^[^\x00]*$")]
Key = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00]*$")]
Text30 = Annotated[str, Field(max_length=30, pattern=r"^[^\x00]*$")]
Text40 = Annotated[str, Field(max_length=40, pattern=r"^[^\x00]*$")]
Text60 = Annotated[str, Field(max_length=60, pattern=r"^[^\x00]*$")]
Text80 = Annotated[str, Field(max_length=80, pattern=r"^[^\x00]*$")]
Text100 = Annotated[str, Field(max_length=100, pattern=r"^[^\x00]*$")]
Text200 = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]
Text300 = Annotated[str, Field(max_length=300, pattern=r"^[^\x00]*$")]
Text500 = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]
Capacity = Annotated[int | None, Field(default=None, ge=0, le=999)]


class PlanSchema(BaseModel):
    """A document item: unknown fields are refused, so a typo is reported.

    Plain pydantic, not ninja's Schema: the document is built from values,
    never from model instances, and skips ninja's per-field attribute lookup.
    """

    model_config = ConfigDict(extra="forbid")


class VisionBoardPlan(PlanSchema):
    name: Text200
    slug: Text80
    vision_statement: PlanText = ""
    target_group: PlanText = ""
    needs: PlanText = ""
    product_description: PlanText = ""
    value: PlanText = ""


class HorizonPlan(PlanSchema):
    key: str
    label: Text40
    hint: Text60 = ""


class TeamPlan(PlanSchema):
    key: Key
    name: Text100
    description: PlanText = ""
    # What this product counts on from the team, per horizon (features).
    current_capacity: Capacity = None
    soon_capacity: Capacity = None
    future_capacity: Capacity = None


class ThemePlan(PlanSchema):
    key: Key
    id: int | None = None
    title: Text200
    description: PlanText = ""
    start_year: int = Field(ge=1, le=32767)
    end_year: int = Field(ge=1, le=32767)
    position: int = Field(default=0, ge=0, le=2**31 - 1)


class GoalPlan(PlanSchema):
    key: Key
    id: int | None = None
    theme: Key | None = None
    title: Text200
    description: PlanText = ""
    start_date: dt.date
    end_date: dt.date
    status: str = "active"
    position: int = Field(default=0, ge=0, le=2**31 - 1)


class MeasurementPlan(PlanSchema):
    date: dt.date
    value: Value
    note: Note = ""
    source: str = "manual"


class MetricPlan(PlanSchema):
    key: Key
    id: int | None = None
    name: Text200
    unit: Text30 = ""
    direction: str = "up"
    description: PlanText = ""
    data_source: Text200 = ""
    review_cadence: str = "weekly"
    measurements: list[MeasurementPlan] = []


class CheckInPlan(PlanSchema):
    date: dt.date
    confidence: str
    score: int | None = Field(default=None, ge=1, le=10)
    what_happened: PlanText
    next_steps: PlanText = ""


class KeyResultPlan(PlanSchema):
    key: Key
    id: int | None = None
    metric: Key
    goal: Key | None = None
    baseline: Value
    target: Value
    start_date: dt.date
    due_date: dt.date
    # The metric's latest measurement when exported; derived, so an import
    # reads it from the measurements and ignores this field.
    current: Value | None = None
    check_ins: list[CheckInPlan] = []


class CardPlan(PlanSchema):
    key: Key
    id: int | None = None
    horizon: str = "current"
    position: int = Field(default=0, ge=0, le=2**31 - 1)


class OutcomePlan(CardPlan):
    title: Text200
    description: PlanText = ""
    status: str = "proposed"
    confidence: str = "medium"
    category: str = "growth"
    goal: Key | None = None
    teams: list[Key] = []
    customer_summary: PlanText = ""
    is_customer_visible: bool = False
    safe_to_promise: bool = False
    # Set on an outcome closed as achieved, missed or dropped.
    closed_at: dt.datetime | None = None
    learning: PlanText = ""
    reach: int | None = Field(default=None, ge=0, le=2**31 - 1)
    impact: Value | None = Field(default=None, ge=0)
    impact_key_result: Key | None = None
    estimate_confidence: int | None = Field(default=None, ge=0, le=100)
    effort_weeks: Value | None = Field(default=None, gt=0, le=999_999)


class EvidencePlan(PlanSchema):
    """Evidence for or against an assumption.

    A measurement is named by its metric and date; a customer request by its
    words (requests are not part of the plan: an import links the product's
    request with those words, or logs them as a customer's request).
    """

    kind: str = "note"
    effect: str = "supports"
    note: PlanText = ""
    url: Text500 = ""
    learned_on: dt.date
    metric: Key | None = None
    measured_on: dt.date | None = None
    request: PlanText = ""


class ChallengePlan(CardPlan):
    title: Text200
    description: PlanText = ""
    status: str = "open"
    outcome: Key | None = None
    is_assumption: bool = False
    confidence: int | None = Field(default=None, ge=0, le=100)
    assumed_on: dt.date | None = None
    evidence: list[EvidencePlan] = []


class SuccessMetricPlan(CardPlan):
    key_result: Key
    outcome: Key | None = None


class FeaturePlan(CardPlan):
    title: Text200
    description: PlanText = ""
    stage: str = "idea"
    outcome: Key | None = None
    team: Key | None = None
    effort: str = ""
    expected_impact: str = ""
    customer_summary: PlanText = ""
    is_customer_visible: bool = False
    safe_to_promise: bool = False
    reach: int | None = Field(default=None, ge=0, le=2**31 - 1)
    impact: Value | None = Field(default=None, ge=0)
    impact_key_result: Key | None = None
    estimate_confidence: int | None = Field(default=None, ge=0, le=100)
    effort_weeks: Value | None = Field(default=None, gt=0, le=999_999)
    released_on: dt.date | None = None


class PrioritisationPlan(PlanSchema):
    """How the product scores its items and the portfolio mix it aims for."""

    score_method: str = "rice"
    target_growth: int | None = Field(default=None, ge=0, le=100)
    target_optimisation: int | None = Field(default=None, ge=0, le=100)
    target_innovation: int | None = Field(default=None, ge=0, le=100)
    target_capability: int | None = Field(default=None, ge=0, le=100)


class BoardPlan(PlanSchema):
    prioritisation: PrioritisationPlan = PrioritisationPlan()
    horizons: list[HorizonPlan] = []
    review_cadence: str = "monthly"
    assumption_stale_days: int = Field(default=30, ge=1, le=365)
    outcomes: list[OutcomePlan] = []
    challenges: list[ChallengePlan] = []
    success_metrics: list[SuccessMetricPlan] = []
    features: list[FeaturePlan] = []


class DependencyPlan(PlanSchema):
    team: Key
    outcome: Key | None = None
    feature: Key | None = None
    description: Text300 = ""
    status: str = "needed"
    note: Text500 = ""
    due_date: dt.date | None = None


class PlanDoc(PlanSchema):
    """A product's whole plan: vision board, strategy, metrics and the board."""

    schema_version: int = Field(ge=1)
    exported_at: dt.datetime | None = None
    product: VisionBoardPlan
    teams: list[TeamPlan] = []
    themes: list[ThemePlan] = []
    goals: list[GoalPlan] = []
    metrics: list[MetricPlan] = []
    key_results: list[KeyResultPlan] = []
    board: BoardPlan = BoardPlan()
    dependencies: list[DependencyPlan] = []
