"""The plan's one change marker: a revision per product.

Every write to something a board, present page or share page shows calls
`plan_changed` in the same transaction as the write. Caches, ETags and live
refresh key on the revision, so nothing has to guess what changed.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F

from strategy.models import Product


def plan_changed(product_id: int) -> int:
    """Bump the product's revision and return it.

    The UPDATE locks the product row until the transaction ends, so writes to
    one plan are serialised (card positions stay consistent).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Product._meta.db_table} SET revision = revision + 1 "
            "WHERE id = %s RETURNING revision",
            [product_id],
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def every_plan_changed() -> None:
    """Bump every product's revision (for rows shared by all, such as teams)."""
    Product.objects.update(revision=F("revision") + 1)


def current_revision(product_id: int) -> int:
    return (
        Product.objects.filter(pk=product_id).values_list("revision", flat=True).first()
        or 0
    )
