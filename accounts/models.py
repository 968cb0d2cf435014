"""Invitations: how a new person gets an account, by a link sent to them.

Only a hash of the link's secret is stored (as for API tokens and share
links); the secret travels in the email and is shown once to the admin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

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
            .prefetch_related("products")
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
    # The products the person will edit (Product.editors). Every signed-in
    # person reads every product, so there is nothing to choose for reading.
    products = models.ManyToManyField(Product, blank=True, related_name="invitations")
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
