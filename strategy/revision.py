"""The plan's one change marker: a revision per product.

Every write to something a board, present page or share page shows calls
`plan_changed` in the same transaction as the write. Caches, ETags and live
refresh key on the revision, so nothing has to guess what changed.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.dispatch import Signal

from strategy.models import Product

# Sent by `plan_changed` once the plan is locked and before the caller writes,
# with `product_id` and the product's `created_at`: a receiver still reads the
# plan as it was (the roadmap freezes it on the first change of a month).
plan_changing = Signal()


def plan_changed(product_id: int) -> int:
    """Bump the product's revision and return it.

    The UPDATE locks the product row until the transaction ends, so writes to
    one plan are serialised (card positions stay consistent). Services call it
    before they write, so `plan_changing`'s receivers see the plan unchanged.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Product._meta.db_table} SET revision = revision + 1 "
            "WHERE id = %s RETURNING revision, created_at",
            [product_id],
        )
        row = cursor.fetchone()
    if not row:
        return 0
    plan_changing.send(sender=Product, product_id=product_id, created_at=row[1])
    return int(row[0])


def every_plan_changed() -> None:
    """Bump every product's revision (for rows shared by all, such as teams)."""
    Product.objects.update(revision=F("revision") + 1)


def current_revision(product_id: int) -> int:
    return (
        Product.objects.filter(pk=product_id).values_list("revision", flat=True).first()
        or 0
    )
