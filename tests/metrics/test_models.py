from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from metrics.progress import Status
from tests.metrics.factories import (
    CheckInFactory,
    KeyResultFactory,
    MeasurementFactory,
    MetricFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 1, 1)


def test_a_metric_has_one_value_per_date():
    metric = MetricFactory()
    MeasurementFactory(metric=metric, date=dt.date(2026, 5, 1))

    with pytest.raises(IntegrityError):
        MeasurementFactory(metric=metric, date=dt.date(2026, 5, 1))


def test_metric_names_are_unique_within_a_product():
    metric = MetricFactory(name="weekly signups")

    with pytest.raises(IntegrityError):
        MetricFactory(product=metric.product, name="weekly signups")


def test_metric_direction_must_be_up_or_down():
    with pytest.raises(IntegrityError):
        MetricFactory(direction="flat")


def test_measurement_source_must_be_known():
    with pytest.raises(IntegrityError):
        MeasurementFactory(source="rumour")


def test_metric_with_latest_annotates_latest_and_previous_values():
    metric = MetricFactory()
    MeasurementFactory(metric=metric, date=dt.date(2026, 1, 1), value=Decimal(10))
    MeasurementFactory(metric=metric, date=dt.date(2026, 2, 1), value=Decimal(12))
    MeasurementFactory(metric=metric, date=dt.date(2026, 3, 1), value=Decimal(15))

    annotated = Metric.objects.with_latest().get(pk=metric.pk)

    assert annotated.latest_value == Decimal(15)
    assert annotated.previous_value == Decimal(12)
    assert annotated.latest_date == dt.date(2026, 3, 1)


def test_key_result_cannot_be_due_before_it_starts():
    with pytest.raises(IntegrityError):
        KeyResultFactory(start_date=dt.date(2026, 6, 1), due_date=dt.date(2026, 5, 31))


def test_key_result_statement_reads_naturally():
    kr = KeyResultFactory(
        metric__name="weekly active users",
        baseline=Decimal("1200"),
        target=Decimal("2000"),
        due_date=dt.date(2027, 3, 31),
    )

    assert (
        kr.statement
        == "Increase weekly active users from 1,200 to 2,000 by 31 Mar 2027"
    )


def test_key_result_statement_for_a_falling_percentage():
    kr = KeyResultFactory(
        metric__name="return rate",
        metric__unit="%",
        metric__direction=Metric.Direction.DOWN,
        baseline=Decimal("28"),
        target=Decimal("20"),
        due_date=dt.date(2027, 9, 30),
    )

    assert kr.statement == "Reduce return rate from 28% to 20% by 30 Sep 2027"


def test_key_result_progress_uses_the_latest_measurement():
    kr = KeyResultFactory(
        baseline=Decimal(100),
        target=Decimal(500),
        start_date=dt.date(2026, 7, 1),
        due_date=dt.date(2027, 6, 30),
    )
    MeasurementFactory(metric=kr.metric, date=dt.date(2026, 9, 1), value=Decimal(200))
    MeasurementFactory(metric=kr.metric, date=dt.date(2026, 12, 1), value=Decimal(300))

    progress = KeyResult.objects.with_current().get(pk=kr.pk).progress(today=TODAY)

    assert progress.current == Decimal(300)
    assert progress.percent == 50
    assert progress.status == Status.ON_TRACK


def test_key_result_progress_without_annotation_reads_the_latest_value():
    kr = KeyResultFactory(baseline=Decimal(0), target=Decimal(10))
    MeasurementFactory(metric=kr.metric, date=dt.date(2026, 12, 1), value=Decimal(4))

    assert kr.progress(today=TODAY).current == Decimal(4)


def test_key_result_without_measurements_has_no_data():
    kr = KeyResultFactory()

    progress = kr.progress(today=TODAY)

    assert progress.percent is None
    assert progress.status == Status.NO_DATA


def test_progress_percent_is_clamped_for_bars_but_value_is_not():
    kr = KeyResultFactory(baseline=Decimal(0), target=Decimal(10))
    MeasurementFactory(metric=kr.metric, date=dt.date(2026, 12, 1), value=Decimal(15))

    progress = kr.progress(today=TODAY)

    assert progress.value == pytest.approx(1.5)
    assert progress.percent == 100
    assert progress.status == Status.ACHIEVED


def test_check_in_confidence_must_be_known():
    with pytest.raises(IntegrityError):
        CheckInFactory(confidence="sure")


def test_check_in_needs_a_note_of_what_happened():
    with pytest.raises(IntegrityError):
        CheckInFactory(what_happened="  ")


def test_check_ins_are_listed_newest_first():
    kr = KeyResultFactory()
    older = CheckInFactory(key_result=kr, date=dt.date(2026, 9, 1))
    newer = CheckInFactory(key_result=kr, date=dt.date(2026, 10, 1))

    assert list(CheckIn.objects.filter(key_result=kr)) == [newer, older]


def test_measurements_are_ordered_by_date():
    metric = MetricFactory()
    later = MeasurementFactory(metric=metric, date=dt.date(2026, 3, 1))
    earlier = MeasurementFactory(metric=metric, date=dt.date(2026, 1, 1))

    assert list(Measurement.objects.filter(metric=metric)) == [earlier, later]
