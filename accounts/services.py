"""Writes that span models or have side effects: invitations."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from strategy.audit import SecurityKind, security_event
from strategy.models import Product

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


class InvitationUnavailable(Exception):
    """The invitation was accepted, revoked or expired in the meantime."""


def invitation_url(secret: str) -> str:
    """The absolute link an invitee opens, on the configured site address."""
    path = reverse("accounts:invitation_accept", args=[secret])
    return settings.NORTHSTAR_BASE_URL.rstrip("/") + path


@transaction.atomic
def invitation_create(
    *,
    email: str,
    products: Iterable[Product],
    created_by: User,
    read_products: Iterable[Product] = (),
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its secret, which is shown once."""
    secret = Invitation.new_secret()
    invitation = Invitation.objects.create(
        email=email,
        token_hash=Invitation.hash_secret(secret),
        created_by=created_by,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.products.set(products)
    invitation.read_products.set(read_products)
    named = ", ".join(product.name for product in invitation.products.all())
    readable = ", ".join(product.name for product in invitation.read_products.all())
    security_event(
        SecurityKind.INVITATION_SENT,
        actor=created_by,
        user_label=email[:150],
        detail=f"To {email}; edits: {named or 'none'}"
        + (f"; reads (private): {readable}" if readable else ""),
    )
    return invitation, secret


def invitation_send(*, invitation: Invitation, secret: str) -> bool:
    """Email the invitation link; return whether the mail server took it."""
    context = {
        "invitation": invitation,
        "url": invitation_url(secret),
        "products": [product.name for product in invitation.products.all()],
        "inviter": invitation.created_by,
        "valid_days": settings.INVITATION_VALID_DAYS,
    }
    try:
        send_mail(
            subject="You are invited to Northstar",
            message=render_to_string("accounts/invitation_email.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:  # the admin still has the link to pass on
        logger.exception("Could not send the invitation email")
        return False
    return True


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Any = None) -> None:
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        security_event(
            SecurityKind.INVITATION_REVOKED,
            actor=actor,
            user_label=invitation.email[:150],
            detail=f"To {invitation.email}",
        )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, username: str, password: str) -> User:
    """Create the invitee's account with the invited products; single use.

    The row is locked and checked again, so two submissions of one link
    cannot both create an account.
    """
    now = timezone.now()
    locked = (
        Invitation.objects.select_for_update().pending(now).filter(pk=invitation.pk)
    )
    current = locked.first()
    if current is None:
        raise InvitationUnavailable
    user = get_user_model().objects.create_user(
        username=username, email=current.email, password=password
    )
    security_event(
        SecurityKind.INVITATION_ACCEPTED,
        actor=user,
        user=user,
        detail=f"Invited as {current.email} by "
        + (current.created_by.get_username() if current.created_by else "someone"),
    )
    user.editable_products.add(*current.products.all())
    user.readable_products.add(*current.read_products.all())
    current.accepted_at = now
    current.accepted_by = user
    current.save(update_fields=["accepted_at", "accepted_by"])
    return user


def password_changed_notice(*, user: User) -> None:
    """Tell the account's owner their password changed, in case it was not them."""
    if not user.email:
        return
    context = {
        "user": user,
        "reset_url": settings.NORTHSTAR_BASE_URL.rstrip("/")
        + reverse("password_reset"),
    }
    try:
        send_mail(
            subject="Your Northstar password was changed",
            message=render_to_string("accounts/password_changed_email.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    except Exception:  # the change stands; the notice is a courtesy
        logger.exception("Could not send the password change notice")
