"""Share links: issue, revoke and count views of read-only stakeholder links.

Writes go through here, each in one transaction that also bumps the plan's
revision, so caches and ETags keyed on it see the change.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
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
    """Count one view and note when, in a single UPDATE (no lost counts)."""
    ShareLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1, last_used_at=timezone.now()
    )


def find_share_link(secret: str) -> ShareLink | None:
    """Return the link whose secret this is, with its product, or None."""
    return (
        ShareLink.objects.select_related("product")
        .filter(token_hash=ShareLink.hash_secret(secret))
        .first()
    )
