"""Tell the people who logged customer requests what happened to their items.

Sales and support log requests as insights on an outcome or a feature. When
that item enters Current, is released, goes back from Soon to Future or is
deleted, every distinct author of a request on it (who still has an active
account) gets one notification per event, however many requests they
logged. Whoever made the change is told too when they logged a request
themselves: the notification list is the record of every request's fate,
so it stays complete whoever moved the item.

The board's services call `notify_requesters` inside their transaction, so
the notifications are saved or rolled back with the change. Emails go out
only after the commit (never for a change that rolled back), and only when
the site has email set up (`NORTHSTAR_EMAIL_NOTIFICATIONS`); a requester
without an email address gets the in-app notification alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from roadmap.models import (
    Feature,
    Horizon,
    Insight,
    Notification,
    NotificationKind,
    Outcome,
    Roadmap,
)
from strategy.models import readable_by

# What happened, as the end of "«Title» in Product: …".
PHRASES = {
    NotificationKind.ENTERED_CURRENT: "now in progress",
    NotificationKind.RELEASED: "released",
    NotificationKind.BACK_TO_FUTURE: "moved back to Future",
    NotificationKind.DELETED: "removed from the roadmap",
}

# A card's changed fields: name -> (before, after).
Changes = Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True)
class _Event:
    item: Outcome | Feature
    kind: NotificationKind
    title: str


def phrase(kind: str) -> str:
    """Return what a kind of notification says happened, in lower case."""
    return PHRASES[NotificationKind(kind)]


def item_url(product_slug: str) -> str:
    """Return the page where a requester sees where their items stand."""
    return reverse("roadmap:soon", args=[product_slug])


def _kinds(item: Outcome | Feature, changes: Changes) -> list[NotificationKind]:
    kinds = []
    if "horizon" in changes:
        before, after = changes["horizon"]
        if after == Horizon.CURRENT and before != Horizon.CURRENT:
            kinds.append(NotificationKind.ENTERED_CURRENT)
        elif before == Horizon.SOON and after == Horizon.FUTURE:
            kinds.append(NotificationKind.BACK_TO_FUTURE)
    if isinstance(item, Feature) and "stage" in changes:
        before, after = changes["stage"]
        if after == Feature.Stage.RELEASED and before != Feature.Stage.RELEASED:
            kinds.append(NotificationKind.RELEASED)
    if "deleted_at" in changes:
        before, after = changes["deleted_at"]
        if before is None and after is not None:
            kinds.append(NotificationKind.DELETED)
    return kinds


def _events(changed: Iterable[tuple[Any, Changes]]) -> list[_Event]:
    events: list[_Event] = []
    for card, changes in changed:
        # Only outcomes and features carry customer requests.
        if not isinstance(card, Outcome | Feature):
            continue
        # An edit that renames the item as it moves is told by the new name.
        title = str(changes["title"][1]) if "title" in changes else str(card)
        events.extend(_Event(card, kind, title) for kind in _kinds(card, changes))
    return events


def notify_requesters(
    *, roadmap: Roadmap, changed: Iterable[tuple[Any, Changes]]
) -> list[Notification]:
    """Record the notifications that changed cards owe their requesters.

    `changed` pairs each card, as it was before the change, with its changed
    fields (name -> (before, after)); a soft delete is a change of
    `deleted_at` from None. Costs no query when nothing notable happened, and
    one read and one insert when something did, however many cards moved.
    Call it inside the transaction of the change.
    """
    events = _events(changed)
    if not events:
        return []
    outcome_ids = {e.item.pk for e in events if isinstance(e.item, Outcome)}
    feature_ids = {e.item.pk for e in events if isinstance(e.item, Feature)}
    requests = (
        Insight.objects.filter(
            Q(outcome_id__in=outcome_ids) | Q(feature_id__in=feature_ids),
            # Someone who may no longer read the product hears nothing of it.
            readable_by("product", "author"),
            author__is_active=True,
        )
        .order_by()
        .values_list("outcome_id", "feature_id", "author_id", "author__email")
        .distinct()
    )
    requesters: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)
    for outcome_id, feature_id, author_id, email in requests:
        if outcome_id in outcome_ids:
            requesters["outcome", outcome_id][author_id] = email
        if feature_id in feature_ids:
            requesters["feature", feature_id][author_id] = email
    notifications = []
    emails: list[tuple[str, str, str]] = []
    for event in events:
        item = event.item
        outcome = item if isinstance(item, Outcome) else None
        feature = item if isinstance(item, Feature) else None
        key = ("outcome" if outcome else "feature", item.pk)
        for recipient_id, email in requesters.get(key, {}).items():
            notifications.append(
                Notification(
                    recipient_id=recipient_id,
                    product_id=roadmap.product_id,
                    kind=event.kind,
                    outcome=outcome,
                    feature=feature,
                    item_title=event.title[:200],
                )
            )
            if email:
                emails.append((email, event.title, event.kind))
    Notification.objects.bulk_create(notifications)
    if emails and settings.NORTHSTAR_EMAIL_NOTIFICATIONS:
        product = roadmap.product
        link = settings.NORTHSTAR_BASE_URL.rstrip("/") + item_url(product.slug)
        messages = [
            (
                # A header never holds a line break.
                " ".join(f"“{title}” in {product.name}: {phrase(kind)}".split()),
                _email_body(title, product.name, kind, link),
                None,  # DEFAULT_FROM_EMAIL
                [address],
            )
            for address, title, kind in emails
        ]
        # robust: the change is already committed when mail fails to go out;
        # the error is logged and the person still has the in-app notice.
        transaction.on_commit(partial(send_mass_mail, messages), robust=True)
    return notifications


def _email_body(title: str, product_name: str, kind: str, link: str) -> str:
    return (
        f"“{title}” in {product_name}: {phrase(kind)}.\n\n"
        f"See where it stands: {link}\n\n"
        "You receive this because you logged a customer request on this item.\n"
    )
