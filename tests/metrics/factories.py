from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from tests.strategy.factories import GoalFactory, ProductFactory, UserFactory


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "users"
    direction = Metric.Direction.UP


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    metric = factory.SubFactory(MetricFactory)
    date = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))
    value = Decimal("100")


class KeyResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyResult

    metric = factory.SubFactory(MetricFactory)
    goal = factory.SubFactory(
        GoalFactory, product=factory.SelfAttribute("..metric.product")
    )
    baseline = Decimal("100")
    target = Decimal("500")
    start_date = dt.date(2026, 7, 1)
    due_date = dt.date(2027, 6, 30)


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    date = dt.date(2026, 10, 1)
    confidence = CheckIn.Confidence.MEDIUM
    what_happened = "Signups grew after the onboarding change."
    author = factory.SubFactory(UserFactory)
