"""Sign-in backend that loads the user with their unread notification count."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from roadmap.models import Notification
from strategy.models import readable_by


class NotificationCountBackend(ModelBackend):
    """ModelBackend whose signed-in user carries `unread_notifications`.

    Every signed-in page shows the count in its header. Reading it as a
    subquery of the one query that loads the user per request costs no query
    of its own, so no page gets an extra query for it.
    """

    def get_user(self, user_id: Any) -> Any:
        unread = (
            Notification.objects.unread()
            .filter(recipient=OuterRef("pk"))
            .filter(readable_by("product", "recipient"))
            .order_by()
            .values("recipient")
            .annotate(count=Count("pk"))
            .values("count")
        )
        users = get_user_model()._default_manager.annotate(
            unread_notifications=Coalesce(Subquery(unread), 0)
        )
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
