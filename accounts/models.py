"""Invitations: how a new person gets an account, by a link sent to them.

Only a hash of the link's secret is stored (as for API tokens and share
links); the secret travels in the email and is shown once to the admin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from strategy.audit import SecurityKind
from strategy.models import Product


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self, now: dt.datetime) -> Self:
        """Invitations that can still be accepted at `now`."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        )

    def for_list(self) -> Self:
        """Fetch everything the invitations page shows, in two queries."""
        return (
            self.select_related("created_by", "accepted_by")
            .prefetch_related("products", "read_products")
            .order_by("-created_at", "-id")
        )


class Invitation(models.Model):
    """An invitation by email to join Northstar, editing the chosen products."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    email = models.EmailField()
    # The products the person will edit (Product.editors).
    products = models.ManyToManyField(Product, blank=True, related_name="invitations")
    # The private products the person may read (Product.viewers); every
    # signed-in person reads the others.
    read_products = models.ManyToManyField(
        Product, blank=True, related_name="read_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_sent",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email__regex=r"\S"), name="invitation_email_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_both_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    def status(self, now: dt.datetime) -> Invitation.Status:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def current_status(self) -> Invitation.Status:
        return self.status(timezone.now())


class AppendOnly(Exception):
    """Security events are never changed or deleted once written."""


class SecurityEventQuerySet(models.QuerySet["SecurityEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnly("Security events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Security events cannot be deleted.")

    def for_list(self) -> Self:
        """Fetch what a row of the security log shows, newest first."""
        return self.select_related("actor", "user", "product").order_by(
            "-created_at", "-id"
        )


class SecurityEvent(models.Model):
    """One security event: who did what, when, from where, on which product.

    Append-only: strategy.audit.security_event writes rows; nothing updates
    or deletes them (the queryset and the model refuse, and so does a
    database trigger). The people and product are kept by id and by name
    without a database constraint, so deleting an account or a product
    leaves its events as they were.
    """

    Kind = SecurityKind

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30, choices=SecurityKind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who did it.",
    )
    actor_label = models.CharField("by", max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="The account it is about.",
    )
    user_label = models.CharField("account", max_length=150, blank=True)
    product = models.ForeignKey(
        Product,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    product_label = models.CharField("product name", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="security_kind_time"),
            models.Index(
                fields=["product", "-created_at"], name="security_product_time"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SecurityKind.values),
                name="security_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("Security events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnly("Security events cannot be deleted.")
