"""Every write to metrics, measurements, key results and check-ins.

Each write records what it changed in the product's history
(`strategy.history`), in the same transaction: a measurement replaced by a
resend or an import keeps its old value there. Each write runs in one transaction and bumps the plan's revision first
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
from strategy import history
from strategy.concurrency import delete_if_version, update_if_version
from strategy.models import HistoryAction, ItemKind, Product
from strategy.revision import plan_changed


def measurement_title(metric_name: str, day: dt.date) -> str:
    """Name a measurement in the history: its metric and its date."""
    return f"{metric_name} on {day.isoformat()}"


@transaction.atomic
def metric_create(
    *, product: Product, values: Mapping[str, Any], actor: Any = None
) -> Metric:
    plan_changed(product.pk)
    metric = Metric.objects.create(product=product, **values)
    history.record_created(
        product_id=product.pk, actor=actor, item=metric, after={"name": metric.name}
    )
    return metric


@transaction.atomic
def metric_update(
    *, metric: Metric, version: int, values: Mapping[str, Any], actor: Any = None
) -> Metric:
    history.update_recorded(
        product_id=metric.product_id,
        kind=ItemKind.METRIC,
        item=metric,
        version=version,
        values=values,
        actor=actor,
    )
    return metric


@transaction.atomic
def measurement_create(
    *, metric: Metric, values: Mapping[str, Any], actor: Any = None
) -> Measurement:
    """Store a value entered by hand."""
    plan_changed(metric.product_id)
    measurement = Measurement.objects.create(
        metric=metric, source=Measurement.Source.MANUAL, **values
    )
    history.record_created(
        product_id=metric.product_id,
        actor=actor,
        item=measurement,
        kind=ItemKind.MEASUREMENT,
        title=measurement_title(metric.name, measurement.date),
        after={"value": measurement.value, "note": measurement.note},
        parent=(ItemKind.METRIC, metric.pk),
    )
    return measurement


@transaction.atomic
def measurement_update(
    *,
    measurement: Measurement,
    version: int,
    values: Mapping[str, Any],
    actor: Any = None,
) -> Measurement:
    """Correct a value by hand; it counts as entered by hand from now on."""
    metric = measurement.metric
    plan_changed(metric.product_id)
    changed = history.changes(history.saved(measurement), values)
    update_if_version(
        measurement,
        version=version,
        values={**values, "source": Measurement.Source.MANUAL},
    )
    history.record_all(
        history.entry(
            product_id=metric.product_id,
            actor=actor,
            action=HistoryAction.UPDATED,
            kind=ItemKind.MEASUREMENT,
            item=measurement,
            title=measurement_title(metric.name, measurement.date),
            field=name,
            before=old,
            after=new,
            parent=(ItemKind.METRIC, metric.pk),
        )
        for name, (old, new) in changed.items()
    )
    return measurement


@transaction.atomic
def measurement_delete(
    *, measurement: Measurement, version: int, actor: Any = None
) -> None:
    """Delete a value, unless it changed since the person saw it."""
    metric = measurement.metric
    plan_changed(metric.product_id)
    pk = measurement.pk
    delete_if_version(measurement, version=version)
    history.record(
        product_id=metric.product_id,
        actor=actor,
        action=HistoryAction.DELETED,
        kind=ItemKind.MEASUREMENT,
        item_id=pk,
        title=measurement_title(metric.name, measurement.date),
        before={"value": measurement.value, "note": measurement.note},
        parent=(ItemKind.METRIC, metric.pk),
    )


@transaction.atomic
def key_result_create(*, values: Mapping[str, Any], actor: Any = None) -> KeyResult:
    """Add a key result on one of a product's metrics."""
    metric = values["metric"]
    plan_changed(metric.product_id)
    key_result = KeyResult.objects.create(**values)
    history.record_created(product_id=metric.product_id, actor=actor, item=key_result)
    return key_result


@transaction.atomic
def key_result_update(
    *,
    key_result: KeyResult,
    version: int,
    values: Mapping[str, Any],
    actor: Any = None,
) -> KeyResult:
    # The form offers the product's metrics only, so the product stays.
    history.update_recorded(
        product_id=key_result.metric.product_id,
        kind=ItemKind.KEY_RESULT,
        item=key_result,
        version=version,
        values=values,
        actor=actor,
    )
    return key_result


@transaction.atomic
def check_in_create(
    *, key_result: KeyResult, author: Any, values: Mapping[str, Any]
) -> CheckIn:
    product_id = key_result.metric.product_id
    plan_changed(product_id)
    check_in = CheckIn.objects.create(key_result=key_result, author=author, **values)
    history.record_created(
        product_id=product_id,
        actor=author,
        item=check_in,
        parent=(ItemKind.KEY_RESULT, key_result.pk),
        after={
            "key_result": {"id": key_result.pk, "label": str(key_result)},
            **{name: history.as_json(value) for name, value in values.items()},
        },
    )
    return check_in


@dataclass(frozen=True)
class MeasurementData:
    metric_id: int
    date: dt.date
    value: Decimal
    note: str = ""


@transaction.atomic
def measurements_upsert(
    *, rows: Iterable[MeasurementData], source: str, actor: Any = None
) -> int:
    """Store each value, replacing any value of the same metric on the same date.

    Sending the same measurement twice leaves one row: the upsert is keyed on
    (metric, date), so clients can retry safely. Returns the number of rows.
    A replaced value moves its version on, so an edit form opened before it
    answers with a conflict instead of overwriting it, and the history keeps
    the value it replaced (a value sent again unchanged adds no entry).
    `actor`: the person, or the API token, that sent the values.
    """
    rows = list(rows)
    metrics = {
        pk: (product_id, name)
        for pk, product_id, name in Metric.objects.filter(
            pk__in={row.metric_id for row in rows}
        ).values_list("pk", "product_id", "name")
    }
    # Locked in a fixed order: two imports into the same products never
    # wait on each other in a circle.
    for product_id in sorted({product_id for product_id, _ in metrics.values()}):
        plan_changed(product_id)
    existing = stored_values((row.metric_id, row.date) for row in rows)
    objs = [
        Measurement(
            metric_id=row.metric_id,
            date=row.date,
            value=row.value,
            note=row.note,
            source=source,
            version=existing[(row.metric_id, row.date)][0] + 1
            if (row.metric_id, row.date) in existing
            else 1,
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
    history.record_all(_upsert_entries(rows, objs, existing, metrics, actor, source))
    return len(objs)


def _upsert_entries(
    rows: list[MeasurementData],
    objs: list[Measurement],
    existing: dict[tuple[int, dt.date], tuple[int, Decimal, str]],
    metrics: dict[int, tuple[int, str]],
    actor: Any,
    source: str,
) -> Iterable[Any]:
    """One history entry per value stored new or replaced with another value."""
    for row, obj in zip(rows, objs, strict=True):
        product_id, name = metrics[row.metric_id]
        stored = existing.get((row.metric_id, row.date))
        after = {"value": row.value, "note": row.note, "source": source}
        if stored is not None and (stored[1], stored[2]) == (row.value, row.note):
            continue
        yield history.entry(
            product_id=product_id,
            actor=actor,
            action=HistoryAction.CREATED if stored is None else HistoryAction.UPDATED,
            kind=ItemKind.MEASUREMENT,
            item_id=obj.pk,
            title=measurement_title(name, row.date),
            field="" if stored is None else "value",
            before=None if stored is None else {"value": stored[1], "note": stored[2]},
            after=after,
            parent=(ItemKind.METRIC, row.metric_id),
        )


def stored_values(
    keys: Iterable[tuple[int, dt.date]],
) -> dict[tuple[int, dt.date], tuple[int, Decimal, str]]:
    """Return (version, value, note) of each stored measurement among the keys.

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
        (metric_id, day): (version, value, note)
        for metric_id, day, version, value, note in Measurement.objects.filter(
            condition
        ).values_list("metric_id", "date", "version", "value", "note")
    }


def stored_versions(
    keys: Iterable[tuple[int, dt.date]],
) -> dict[tuple[int, dt.date], int]:
    """Return the version of each stored measurement among (metric id, date) keys."""
    return {key: stored[0] for key, stored in stored_values(keys).items()}


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
def measurements_import(
    *, product: Product, text: str, actor: Any = None
) -> importer.Preview:
    """Check the text again and, if every row is valid, store it in one transaction.

    Returns the preview; when it has errors nothing has been written.
    """
    preview = import_preview(product=product, text=text)
    if preview.has_errors:
        return preview
    measurements_upsert(
        rows=[_import_write(row) for row in preview.writes],
        source=Measurement.Source.IMPORT,
        actor=actor,
    )
    return preview


def _import_write(row: importer.PreviewRow) -> MeasurementData:
    """Return what a new or changed import row stores.

    classify() gives every such row its metric, date and value.
    """
    if row.metric is None or row.date is None or row.value is None:
        raise ValueError(f"Line {row.line} is invalid and cannot be stored.")
    return MeasurementData(row.metric.id, row.date, row.value, row.note)
