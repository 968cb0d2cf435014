"""Every write to metrics, measurements, key results and check-ins.

Each write runs in one transaction and bumps the plan's revision first
(`strategy.revision`), which also locks the product row, so writes to one
plan are serialised. Edits carry the version they were rendered with and
save through `update_if_version`: a stale version raises StaleVersion and
rolls back, revision bump included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from metrics import importer
from metrics.models import CheckIn, KeyResult, Measurement, Metric
from strategy.concurrency import delete_if_version, update_if_version
from strategy.models import Product
from strategy.revision import plan_changed


@transaction.atomic
def metric_create(*, product: Product, values: Mapping[str, Any]) -> Metric:
    plan_changed(product.pk)
    return Metric.objects.create(product=product, **values)


@transaction.atomic
def metric_update(*, metric: Metric, version: int, values: Mapping[str, Any]) -> Metric:
    plan_changed(metric.product_id)
    return update_if_version(metric, version=version, values=values)


@transaction.atomic
def measurement_create(*, metric: Metric, values: Mapping[str, Any]) -> Measurement:
    """Store a value entered by hand."""
    plan_changed(metric.product_id)
    return Measurement.objects.create(
        metric=metric, source=Measurement.Source.MANUAL, **values
    )


@transaction.atomic
def measurement_update(
    *, measurement: Measurement, version: int, values: Mapping[str, Any]
) -> Measurement:
    """Correct a value by hand; it counts as entered by hand from now on."""
    plan_changed(measurement.metric.product_id)
    return update_if_version(
        measurement,
        version=version,
        values={**values, "source": Measurement.Source.MANUAL},
    )


@transaction.atomic
def measurement_delete(*, measurement: Measurement, version: int) -> None:
    """Delete a value, unless it changed since the person saw it."""
    plan_changed(measurement.metric.product_id)
    delete_if_version(measurement, version=version)


@transaction.atomic
def key_result_create(*, values: Mapping[str, Any]) -> KeyResult:
    """Add a key result on one of a product's metrics."""
    metric = values["metric"]
    plan_changed(metric.product_id)
    return KeyResult.objects.create(**values)


@transaction.atomic
def key_result_update(
    *, key_result: KeyResult, version: int, values: Mapping[str, Any]
) -> KeyResult:
    # The form offers the product's metrics only, so the product stays.
    plan_changed(key_result.metric.product_id)
    return update_if_version(key_result, version=version, values=values)


@transaction.atomic
def check_in_create(
    *, key_result: KeyResult, author: Any, values: Mapping[str, Any]
) -> CheckIn:
    plan_changed(key_result.metric.product_id)
    return CheckIn.objects.create(key_result=key_result, author=author, **values)


@dataclass(frozen=True)
class MeasurementData:
    metric_id: int
    date: dt.date
    value: Decimal
    note: str = ""


@transaction.atomic
def measurements_upsert(*, rows: Iterable[MeasurementData], source: str) -> int:
    """Store each value, replacing any value of the same metric on the same date.

    Sending the same measurement twice leaves one row: the upsert is keyed on
    (metric, date), so clients can retry safely. Returns the number of rows.
    A replaced value moves its version on, so an edit form opened before it
    answers with a conflict instead of overwriting it.
    """
    rows = list(rows)
    product_ids = (
        Metric.objects.filter(pk__in={row.metric_id for row in rows})
        .values_list("product_id", flat=True)
        .distinct()
    )
    # Locked in a fixed order: two imports into the same products never
    # wait on each other in a circle.
    for product_id in sorted(product_ids):
        plan_changed(product_id)
    versions = stored_versions((row.metric_id, row.date) for row in rows)
    objs = [
        Measurement(
            metric_id=row.metric_id,
            date=row.date,
            value=row.value,
            note=row.note,
            source=source,
            version=versions.get((row.metric_id, row.date), 0) + 1,
        )
        for row in rows
    ]
    Measurement.objects.bulk_create(
        objs,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["metric", "date"],
        update_fields=["value", "note", "source", "version", "updated_at"],
    )
    return len(objs)


def stored_versions(
    keys: Iterable[tuple[int, dt.date]],
) -> dict[tuple[int, dt.date], int]:
    """Return the version of each stored measurement among (metric id, date) keys.

    Read after the plans are locked, so no other write moves them meanwhile.
    """
    wanted: dict[int, set[dt.date]] = {}
    for metric_id, day in keys:
        wanted.setdefault(metric_id, set()).add(day)
    if not wanted:
        return {}
    condition = Q()
    for metric_id, days in wanted.items():
        condition |= Q(metric_id=metric_id, date__in=days)
    return {
        (metric_id, day): version
        for metric_id, day, version in Measurement.objects.filter(
            condition
        ).values_list("metric_id", "date", "version")
    }


def import_preview(*, product: Product, text: str) -> importer.Preview:
    """Label each row of text against the product's metrics and stored values.

    Two queries: the product's metrics, then the stored values on the dates
    the text mentions. Raises importer.ImportRejected for unreadable text.
    """
    rows = importer.parse(text)
    metrics = {
        metric.name.lower(): importer.MetricRef(metric.pk, metric.name, metric.unit)
        for metric in Metric.objects.for_product(product).only("name", "unit")
    }
    wanted: dict[int, set[dt.date]] = {}
    for row in rows:
        ref = metrics.get(row.metric.lower())
        day = importer.parse_date(row.date)
        if ref and day:
            wanted.setdefault(ref.id, set()).add(day)
    existing = {}
    if wanted:
        condition = Q()
        for metric_id, days in wanted.items():
            condition |= Q(metric_id=metric_id, date__in=days)
        existing = {
            (metric_id, day): (value, note)
            for metric_id, day, value, note in Measurement.objects.filter(
                condition
            ).values_list("metric_id", "date", "value", "note")
        }
    return importer.classify(rows, metrics, existing)


@transaction.atomic
def measurements_import(*, product: Product, text: str) -> importer.Preview:
    """Check the text again and, if every row is valid, store it in one transaction.

    Returns the preview; when it has errors nothing has been written.
    """
    preview = import_preview(product=product, text=text)
    if preview.has_errors:
        return preview
    measurements_upsert(
        rows=[_import_write(row) for row in preview.writes],
        source=Measurement.Source.IMPORT,
    )
    return preview


def _import_write(row: importer.PreviewRow) -> MeasurementData:
    """Return what a new or changed import row stores.

    classify() gives every such row its metric, date and value.
    """
    if row.metric is None or row.date is None or row.value is None:
        raise ValueError(f"Line {row.line} is invalid and cannot be stored.")
    return MeasurementData(row.metric.id, row.date, row.value, row.note)
