"""Snapshots: a product's whole plan frozen as one plan document.

`take_snapshot` is the one writer of `Snapshot` rows: by hand (an editor names
it), at a review, and once a month. The monthly one is taken on the first
change of each calendar month, before that change is written: services call
`strategy.revision.plan_changed` before they write, and its `plan_changing`
signal arrives here with the plan still as it was at the end of the previous
month, which is what "the start of the month" means to a reader.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from roadmap.exchange import plan_document
from roadmap.models import Snapshot, SnapshotKind
from roadmap.schemas import PlanDoc
from strategy.models import Product
from strategy.revision import current_revision

NAME_MAX = Snapshot._meta.get_field("name").max_length or 120


class SnapshotError(ValueError):
    """A snapshot cannot be taken as asked (blank name, unknown kind)."""


@transaction.atomic
def take_snapshot(product: Product, *, name: str, kind: str, user: Any) -> Snapshot:
    """Freeze the product's whole plan now and store it under `name`.

    `kind` is one of `SnapshotKind` (manual, review, monthly); `user` is who
    took it, or None for one the product takes itself.
    """
    name = " ".join(name.split())[:NAME_MAX]
    if not name:
        raise SnapshotError("A snapshot needs a name.")
    if kind not in SnapshotKind.values:
        raise SnapshotError(f"Unknown kind of snapshot: {kind!r}.")
    doc = plan_document(product)
    text = doc.model_dump_json()
    return Snapshot.objects.create(
        product=product,
        name=name,
        kind=kind,
        schema_version=doc.schema_version,
        document=json.loads(text),
        size=len(text.encode()),
        revision=current_revision(product.pk),
        taken_at=doc.exported_at or timezone.now(),
        taken_by=user if getattr(user, "is_authenticated", False) else None,
    )


def snapshot_plan(snapshot: Snapshot) -> PlanDoc:
    """The snapshot's document, validated by the plan schema."""
    return PlanDoc.model_validate(snapshot.document)


def month_start(moment: dt.datetime) -> dt.datetime:
    """Midnight of the first day of moment's month, in the site's time zone."""
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def monthly_name(moment: dt.datetime) -> str:
    return f"Start of {timezone.localtime(moment):%B %Y}"


def take_monthly_snapshot_if_due(
    product_id: int, created_at: dt.datetime, now: dt.datetime | None = None
) -> Snapshot | None:
    """Freeze the plan as the month found it, on the month's first change.

    A product created this month had no plan at its start: nothing to keep,
    and no query spent. Called with the plan locked (by `plan_changed`), so two
    first changes at once take one snapshot.
    """
    now = now or timezone.now()
    start = month_start(now)
    if created_at >= start:
        return None
    taken = Snapshot.objects.filter(
        product_id=product_id, kind=SnapshotKind.MONTHLY, taken_at__gte=start
    ).exists()
    if taken:
        return None
    product = Product.objects.get(pk=product_id)
    return take_snapshot(
        product, name=monthly_name(now), kind=SnapshotKind.MONTHLY, user=None
    )


def on_plan_changing(
    sender: Any, *, product_id: int, created_at: dt.datetime, **kwargs: Any
) -> None:
    take_monthly_snapshot_if_due(product_id, created_at)
