"""Share links: issue, revoke and count views of read-only stakeholder links.

Writes go through here, each in one transaction that also bumps the plan's
revision, so caches and ETags keyed on it see the change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from roadmap.models import ShareLink
from strategy import history
from strategy.audit import SecurityKind, security_event
from strategy.models import HistoryAction, ItemKind, Product
from strategy.revision import plan_changed

# What every answer of a share page carries, a 304 too.
SHARE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private",
}

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
    history.record_created(
        product_id=product.pk,
        actor=created_by,
        item=link,
        kind=ItemKind.SHARE_LINK,
        after={"label": link.label, "scope": link.scope, "expires_on": expires_on},
    )
    security_event(
        SecurityKind.SHARE_LINK_CREATED,
        actor=created_by,
        product=product,
        detail=f"“{link.label}”, {link.get_scope_display().lower()}"
        + (f", until {expires_on:%d %b %Y}" if expires_on else ", no end date"),
    )
    return link, secret


@transaction.atomic
def share_link_revoke(*, link: ShareLink, actor: Any = None) -> ShareLink:
    """Revoke the link; its page answers 410 Gone from now on."""
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    plan_changed(link.product_id)
    history.record(
        product_id=link.product_id,
        actor=actor,
        action=HistoryAction.UPDATED,
        kind=ItemKind.SHARE_LINK,
        item=link,
        field="revoked_at",
        after=link.revoked_at,
    )
    security_event(
        SecurityKind.SHARE_LINK_REVOKED,
        actor=actor,
        product=link.product,
        detail=f"“{link.label}”, {link.get_scope_display().lower()}",
    )
    return link


@dataclass(frozen=True)
class OpenedLink:
    """A valid share link that was just viewed, and what its page depends on."""

    pk: int
    product_id: int
    scope: str
    revision: int
    expires_on: dt.date | None = None

    @property
    def is_customer_safe(self) -> bool:
        return self.scope == ShareLink.Scope.CUSTOMER_SAFE

    def etag(self, today: dt.date) -> str:
        """Name one rendering: the plan's revision, the scope, the link and the day."""
        raw = f"{self.revision}:{self.scope}:{self.pk}:{today.isoformat()}"
        return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def open_share_link(secret: str, today: dt.date) -> OpenedLink | None:
    """Count a view of the valid link with this secret; None if there is none.

    One statement finds the link by its hash, checks it is neither revoked
    nor expired, counts the view with the time, and returns the plan's
    revision that names the page, so a share page's repeat visit (a 304)
    costs one query. The row lock orders concurrent views: no count is lost.

    Outside a transaction (as a share page request runs it) the UPDATE is its
    own transaction and commits without waiting for the disk: the statement
    turns synchronous_commit off for that one transaction, so a crash of the
    database server may forget only the last moments' views. Inside a
    caller's transaction it leaves the setting alone, so the caller's commit
    stays durable.
    """
    table = connection.ops.quote_name(ShareLink._meta.db_table)
    products = connection.ops.quote_name(Product._meta.db_table)
    async_commit = (
        ""
        if transaction.get_connection().in_atomic_block
        else ", (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS link "
            "SET view_count = link.view_count + 1, last_used_at = %s "
            f"FROM {products} AS product{async_commit} "
            "WHERE link.token_hash = %s AND product.id = link.product_id "
            "AND link.revoked_at IS NULL "
            "AND (link.expires_on IS NULL OR link.expires_on >= %s) "
            "RETURNING link.id, link.product_id, link.scope, product.revision, "
            "link.expires_on",
            [timezone.now(), ShareLink.hash_secret(secret), today],
        )
        row = cursor.fetchone()
    return OpenedLink(*row) if row else None


def find_share_link(secret: str) -> ShareLink | None:
    """Return the link whose secret this is, with its product, or None."""
    return (
        ShareLink.objects.select_related("product")
        .filter(token_hash=ShareLink.hash_secret(secret))
        .first()
    )
