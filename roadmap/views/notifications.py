"""The signed-in person's notifications about the customer requests they logged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from config.types import HtmxHttpRequest
from roadmap.models import Notification
from roadmap.notifications import item_url, phrase
from strategy.models import Product

TEMPLATE = "roadmap/notifications.html"
PER_PAGE = 25


@dataclass(frozen=True)
class NotificationRow:
    """One line of the list: “«Title» in Product: what happened”, and when."""

    pk: int
    item_title: str
    product_name: str
    what_happened: str
    url: str
    created_at: dt.datetime
    is_read: bool


def _row(notification: Notification) -> NotificationRow:
    return NotificationRow(
        pk=notification.pk,
        item_title=notification.item_title,
        product_name=notification.product.name,
        what_happened=phrase(notification.kind),
        url=item_url(notification.product.slug),
        created_at=notification.created_at,
        is_read=notification.is_read,
    )


@require_safe
@login_required
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the person's notifications, newest first, a page at a time."""
    notifications = (
        Notification.objects.filter(recipient_id=request.user.pk)
        .filter(product__in=Product.objects.visible_to(request.user))
        .select_related("product")
        .only(
            "kind",
            "item_title",
            "created_at",
            "read_at",
            "product__name",
            "product__slug",
        )
    )
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        TEMPLATE,
        {
            "page": page,
            "rows": [_row(notification) for notification in page],
            # Loaded with the user by the sign-in backend, not counted again.
            "unread": getattr(request.user, "unread_notifications", 0),
        },
    )


def _back_to_list(request: HtmxHttpRequest) -> HttpResponse:
    response = redirect("notifications:notification_list")
    page = request.POST.get("page", "")
    if page.isdigit() and page != "1":
        response["Location"] += f"?page={page}"
    return response


@require_POST
@login_required
def notification_read_all(request: HtmxHttpRequest) -> HttpResponse:
    """Mark every unread notification of the person as read."""
    Notification.objects.filter(recipient_id=request.user.pk).unread().update(
        read_at=timezone.now()
    )
    return _back_to_list(request)


@require_POST
@login_required
def notification_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark one of the person's notifications as read (nobody else's)."""
    Notification.objects.filter(recipient_id=request.user.pk, pk=pk).unread().update(
        read_at=timezone.now()
    )
    return _back_to_list(request)
