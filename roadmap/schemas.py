"""The roadmap's JSON shape: one set of pydantic models for the API, export,
import and snapshots.

Cards are flat lists that name their horizon and position, and refer to
each other by id (a challenge's `outcome_id`), so a document round-trips
without nesting rules. `roadmap_document` builds one from the database in a
fixed number of queries.
"""

from __future__ import annotations

from django.db.models import Prefetch
from ninja import Schema

from metrics.models import KeyResult
from metrics.schemas import KeyResultOut, key_result_fields
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
