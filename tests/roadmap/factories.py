from __future__ import annotations

import datetime as dt

import factory

from roadmap.models import (
    Challenge,
    Evidence,
    Feature,
    Insight,
    Outcome,
    Review,
    ReviewVerdict,
    Roadmap,
    SuccessMetric,
    Team,
    TeamCapacity,
    TeamDependency,
)
from tests.metrics.factories import KeyResultFactory
from tests.strategy.factories import GoalFactory, ProductFactory, UserFactory


class RoadmapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Roadmap
        django_get_or_create = ["product"]

    product = factory.SubFactory(ProductFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Team {n}")


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome
        skip_postgeneration_save = True

    roadmap = factory.SubFactory(RoadmapFactory)
    title = factory.Sequence(lambda n: f"Outcome {n}")
    goal = factory.SubFactory(
        GoalFactory, product=factory.SelfAttribute("..roadmap.product")
    )
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def teams(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.teams.add(*extracted)


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    roadmap = factory.SubFactory(RoadmapFactory)
    title = factory.Sequence(lambda n: f"Challenge {n}")
    position = factory.Sequence(lambda n: n)


class SuccessMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuccessMetric

    roadmap = factory.SubFactory(RoadmapFactory)
    key_result = factory.SubFactory(
        KeyResultFactory, metric__product=factory.SelfAttribute("...roadmap.product")
    )
    position = factory.Sequence(lambda n: n)


class FeatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feature

    roadmap = factory.SubFactory(RoadmapFactory)
    title = factory.Sequence(lambda n: f"Feature {n}")
    position = factory.Sequence(lambda n: n)


class TeamDependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamDependency

    team = factory.SubFactory(TeamFactory)
    outcome = factory.SubFactory(OutcomeFactory)
    description = "Needs the recommendations API."


class InsightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insight

    product = factory.SubFactory(ProductFactory)
    source = Insight.Source.SALES
    account = "Contoso Retail"
    text = "Customers ask for outfit suggestions by occasion."
    author = factory.SubFactory(UserFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A notification about an outcome; pass `feature=` and `outcome=None` for one."""

    class Meta:
        # By label: the model's import stays out of the shared import block.
        model = "roadmap.Notification"

    recipient = factory.SubFactory(UserFactory)
    outcome = factory.SubFactory(OutcomeFactory)
    product = factory.LazyAttribute(lambda o: (o.outcome or o.feature).roadmap.product)
    kind = "entered_current"
    item_title = factory.LazyAttribute(lambda o: (o.outcome or o.feature).title)


class ReviewFactory(factory.django.DjangoModelFactory):
    """An open review; pass status="closed" with closed_at for a held one."""

    class Meta:
        model = Review

    roadmap = factory.SubFactory(RoadmapFactory)


class ReviewVerdictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewVerdict

    review = factory.SubFactory(ReviewFactory)
    outcome = factory.SubFactory(
        OutcomeFactory, roadmap=factory.SelfAttribute("..review.roadmap")
    )
    verdict = "keep"


class TeamCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamCapacity

    product = factory.SubFactory(ProductFactory)
    team = factory.SubFactory(TeamFactory)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    challenge = factory.SubFactory(ChallengeFactory, is_assumption=True, confidence=50)
    kind = Evidence.Kind.NOTE
    note = "Five of eight interviewees said yes."
    observed_on = dt.date(2026, 11, 1)
