"""Security events: the one way any app reports one.

A write that matters to security (a permission, a token, a share link, a
sign-in, a password) calls `security_event(...)` in the same transaction.
The events are stored by the accounts app (accounts.models.SecurityEvent),
which listens to the `recorded` signal; strategy and the apps above it only
name what happened, so models still depend downward only.

Who acted and from which address come from the current request
(`SecurityRequestMiddleware` keeps it) unless the caller says otherwise.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.db import models
from django.dispatch import Signal
from django.http import HttpRequest


class SecurityKind(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOCKED_OUT = "locked_out", "Locked out"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET_ASKED = "password_reset_asked", "Password reset asked"
    PASSWORD_RESET = "password_reset", "Password reset"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
    EDITOR_ADDED = "editor_added", "Editor added"
    EDITOR_REMOVED = "editor_removed", "Editor removed"
    VIEWER_ADDED = "viewer_added", "Viewer added"
    VIEWER_REMOVED = "viewer_removed", "Viewer removed"
    MADE_PRIVATE = "made_private", "Product made private"
    MADE_PUBLIC = "made_public", "Product opened to everyone"
    ACCOUNT_FLAGS = "account_flags", "Account rights changed"
    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    SHARE_LINK_CREATED = "share_link_created", "Share link created"
    SHARE_LINK_REVOKED = "share_link_revoked", "Share link revoked"


# Sent with: kind, detail, actor, actor_label, user, user_label, product,
# ip_address. accounts.receivers stores it.
recorded = Signal()

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "security_request", default=None
)


def set_current_request(request: HttpRequest | None) -> contextvars.Token[Any]:
    return _current_request.set(request)


def reset_current_request(token: contextvars.Token[Any]) -> None:
    _current_request.reset(token)


# The attribute the middleware puts the client's address in (as the rate
# limits see it, behind trusted proxies).
ADDRESS_ATTRIBUTE = "security_client_address"


def _label(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_username())


def security_event(
    kind: SecurityKind,
    *,
    detail: str = "",
    actor: Any = None,
    user: Any = None,
    user_label: str = "",
    product: Any = None,
    request: HttpRequest | None = None,
    ip_address: str | None = None,
) -> None:
    """Record one security event: what, who did it, to whom, on which product.

    `actor` defaults to the signed-in user of the current request; `user`
    is the account the event is about (a new editor, a locked-out name).
    """
    request = request if request is not None else _current_request.get()
    if actor is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            actor = request_user
    recorded.send(
        sender=SecurityKind,
        kind=kind,
        detail=detail[:300],
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_label(actor),
        user=user if user is not None and user.pk else None,
        user_label=user_label or _label(user),
        product=product,
        ip_address=ip_address or getattr(request, ADDRESS_ATTRIBUTE, None) or None,
    )
