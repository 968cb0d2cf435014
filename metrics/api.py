"""The metrics part of the JSON API: metrics, measurements and key results.

Every endpoint works inside the product of the bearer token (set on the
request by the API's auth); objects of other products answer 404, as if
they did not exist.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import Field

from config.types import ApiHttpRequest
from metrics import schemas, services
from metrics.models import KeyResult, Measurement, Metric, MetricQuerySet

router = Router(tags=["metrics"])


class MeasurementFilter(Schema):
    since: schemas.IsoDate | None = Field(
        None, description="Only measurements on or after this day (YYYY-MM-DD)."
    )
    until: schemas.IsoDate | None = Field(
        None, description="Only measurements on or before this day (YYYY-MM-DD)."
    )


def metrics_of(request: ApiHttpRequest) -> MetricQuerySet:
    return Metric.objects.for_product(request.auth.product)


@router.get(
    "/metrics",
    response=schemas.responses(list[schemas.MetricOut]),
    summary="List metrics",
)
def list_metrics(request: ApiHttpRequest) -> Any:
    return metrics_of(request).with_latest()


@router.get(
    "/metrics/{metric_id}",
    response=schemas.responses(schemas.MetricOut, lookup=True),
    summary="Get a metric",
)
def get_metric(request: ApiHttpRequest, metric_id: int) -> Any:
    return get_object_or_404(metrics_of(request).with_latest(), pk=metric_id)


@router.get(
    "/metrics/{metric_id}/measurements",
    response=schemas.responses(list[schemas.MeasurementOut], lookup=True),
    summary="List a metric's measurements",
)
def list_measurements(
    request: ApiHttpRequest, metric_id: int, filters: Query[MeasurementFilter]
) -> Any:
    metric = get_object_or_404(metrics_of(request), pk=metric_id)
    measurements = metric.measurements.all()
    if filters.since:
        measurements = measurements.filter(date__gte=filters.since)
    if filters.until:
        measurements = measurements.filter(date__lte=filters.until)
    return measurements


@router.post(
    "/metrics/{metric_id}/measurements",
    response=schemas.responses(schemas.MeasurementOut, body=True, lookup=True),
    summary="Record a measurement",
    description="Stores the value of the metric on the date. Sending a value for a "
    "date that already has one replaces it, so retries are safe.",
)
def record_measurement(
    request: ApiHttpRequest, metric_id: int, payload: schemas.MeasurementIn
) -> Any:
    metric = get_object_or_404(metrics_of(request), pk=metric_id)
    services.measurements_upsert(
        rows=[
            services.MeasurementData(
                metric.pk, payload.date, payload.value, payload.note
            )
        ],
        source=Measurement.Source.API,
        actor=request.auth,
    )
    return Measurement.objects.get(metric=metric, date=payload.date)


@router.post(
    "/measurements/batch",
    response=schemas.responses(schemas.StoredOut, body=True),
    summary="Record many measurements at once",
    description="All or nothing: if any measurement is invalid, names an unknown "
    "metric or repeats a metric and date, nothing is stored. Measurements "
    "replace stored values of the same metric and date.",
)
def record_batch(request: ApiHttpRequest, payload: schemas.BatchIn) -> Any:
    known = set(
        metrics_of(request)
        .filter(pk__in={m.metric_id for m in payload.measurements})
        .values_list("pk", flat=True)
    )
    errors = []
    seen: dict[tuple[int, schemas.dt.date], int] = {}
    for index, item in enumerate(payload.measurements):
        loc = ["body", "measurements", index]
        if item.metric_id not in known:
            errors.append(
                {
                    "type": "unknown_metric",
                    "loc": [*loc, "metric_id"],
                    "msg": f"No metric {item.metric_id} in this product.",
                }
            )
        key = (item.metric_id, item.date)
        if key in seen:
            errors.append(
                {
                    "type": "duplicate",
                    "loc": [*loc, "date"],
                    "msg": f"Same metric and date as measurements[{seen[key]}].",
                }
            )
        seen.setdefault(key, index)
    if errors:
        raise ValidationError(errors)
    stored = services.measurements_upsert(
        rows=[
            services.MeasurementData(m.metric_id, m.date, m.value, m.note)
            for m in payload.measurements
        ],
        source=Measurement.Source.API,
        actor=request.auth,
    )
    return {"stored": stored}


@router.get(
    "/key-results",
    response=schemas.responses(list[schemas.KeyResultOut]),
    summary="List key results",
)
def list_key_results(request: ApiHttpRequest) -> Any:
    key_results = KeyResult.objects.for_product(request.auth.product).with_current()
    return [schemas.key_result_fields(kr) for kr in key_results]


@router.get(
    "/key-results/{key_result_id}",
    response=schemas.responses(schemas.KeyResultDetailOut, lookup=True),
    summary="Get a key result with its check-ins",
)
def get_key_result(request: ApiHttpRequest, key_result_id: int) -> Any:
    key_result = get_object_or_404(
        KeyResult.objects.for_product(request.auth.product).with_current(),
        pk=key_result_id,
    )
    return {
        **schemas.key_result_fields(key_result),
        "check_ins": key_result.check_ins.all(),
    }
