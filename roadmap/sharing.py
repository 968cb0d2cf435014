"""Share links: issue, revoke and count views of read-only stakeholder links.

Writes go through here, each in one transaction that also bumps the plan's
revision, so caches and ETags keyed on it see the change.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from roadmap.models import ShareLink
from strategy.models import Product
from strategy.revision import plan_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def share_link_create(
    *,
    product: Product,
    label: str,
    scope: str,
    expires_on: dt.date | None,
    created_by: User | None,
) -> tuple[ShareLink, str]:
    """Create a share link and return it with its secret, shown only once."""
    link, secret = ShareLink.issue(
        product=product,
        label=label,
        scope=scope,
        expires_on=expires_on,
        created_by=created_by,
    )
    plan_changed(product.pk)
    return link, secret


@transaction.atomic
def share_link_revoke(*, link: ShareLink) -> ShareLink:
    """Revoke the link; its page answers 410 Gone from now on."""
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    plan_changed(link.product_id)
    return link


def share_link_viewed(*, link: ShareLink) -> None:
    """Count one view and note when, in a single UPDATE (no lost counts).

    Every answer of the share page, a 304 too, runs this. Outside a
    transaction (as a share page request runs it) the UPDATE is its own
    transaction, and it commits without waiting for the disk: the statement
    turns synchronous_commit off for that one transaction. The row lock
    still orders concurrent views, so no count is lost; a crash of the
    database server may forget only the last moments' views. Inside a
    caller's transaction it is a plain UPDATE, so the caller's commit stays
    durable.
    """
    now = timezone.now()
    if transaction.get_connection().in_atomic_block:
        ShareLink.objects.filter(pk=link.pk).update(
            view_count=F("view_count") + 1, last_used_at=now
        )
        return
    table = connection.ops.quote_name(ShareLink._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET view_count = view_count + 1, last_used_at = %s "
            "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit "
            "WHERE id = %s",
            [now, link.pk],
        )


def find_share_link(secret: str) -> ShareLink | None:
    """Return the link whose secret this is, with its product, or None."""
    return (
        ShareLink.objects.select_related("product")
        .filter(token_hash=ShareLink.hash_secret(secret))
        .first()
    )
