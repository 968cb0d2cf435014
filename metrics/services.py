"""Writes that span many rows: upserting measurements and confirmed imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from metrics import importer
from metrics.models import Measurement, Metric
from strategy.models import Product


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
    """
    objs = [
        Measurement(
            metric_id=row.metric_id,
            date=row.date,
            value=row.value,
            note=row.note,
            source=source,
        )
        for row in rows
    ]
    Measurement.objects.bulk_create(
        objs,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["metric", "date"],
        update_fields=["value", "note", "source", "updated_at"],
    )
    return len(objs)


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
        rows=[
            MeasurementData(row.metric.id, row.date, row.value, row.note)
            for row in preview.writes
        ],
        source=Measurement.Source.IMPORT,
    )
    return preview
