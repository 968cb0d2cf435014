"""Store security events, and turn sign-ins, lockouts and permission changes
made anywhere (the app, the admin, a shell) into them.

Connected in AccountsConfig.ready.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from accounts.models import SecurityEvent
from strategy.audit import SecurityKind, security_event
from strategy.models import Product

# The account flags whose change is a security event, with their words.
ACCOUNT_FLAGS = {
    "is_active": "active",
    "is_staff": "staff (may open /admin/)",
    "is_superuser": "installation admin",
}


def store(sender: Any, signal: Any = None, **event: Any) -> None:
    product = event.pop("product", None)
    SecurityEvent.objects.create(
        product_id=getattr(product, "pk", None),
        product_label=getattr(product, "name", ""),
        **event,
    )


def signed_in(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    security_event(SecurityKind.LOGIN, actor=user, user=user, request=request)


def sign_in_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    username = str(credentials.get("username", ""))[:150]
    security_event(
        SecurityKind.LOGIN_FAILED,
        user=get_user_model().objects.filter(username=username).first(),
        user_label=username,
        request=request,
    )


def locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    name = (username or "")[:150]
    security_event(
        SecurityKind.LOCKED_OUT,
        user=get_user_model().objects.filter(username=name).first(),
        user_label=name,
        detail="Too many wrong passwords for this name from this address.",
        request=request,
        ip_address=ip_address,
    )


def remember_account_flags(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Before a user is saved, note their flags as saved now."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not set(update_fields) & set(ACCOUNT_FLAGS):
        # A sign-in stamping last_login, say: no flag can change.
        instance._security_flags_before = False
        return
    if instance.pk is None:
        instance._security_flags_before = None
        return
    instance._security_flags_before = (
        type(instance)
        ._default_manager.filter(pk=instance.pk)
        .values(*ACCOUNT_FLAGS)
        .first()
    )


def account_flags_changed(
    sender: Any, instance: Any, created: bool, **kwargs: Any
) -> None:
    before = getattr(instance, "_security_flags_before", None)
    if before is False:
        return
    if created or before is None:
        granted = [
            words
            for flag, words in ACCOUNT_FLAGS.items()
            if flag != "is_active" and getattr(instance, flag)
        ]
        if granted:
            security_event(
                SecurityKind.ACCOUNT_FLAGS,
                user=instance,
                detail="New account: " + ", ".join(granted),
            )
        return
    changes = [
        f"{words}: {'yes' if before[flag] else 'no'} → "
        f"{'yes' if getattr(instance, flag) else 'no'}"
        for flag, words in ACCOUNT_FLAGS.items()
        if before[flag] != getattr(instance, flag)
    ]
    if changes:
        security_event(
            SecurityKind.ACCOUNT_FLAGS, user=instance, detail="; ".join(changes)
        )


def _people_changed(added: SecurityKind, removed: SecurityKind, role: str) -> Any:
    """A receiver of m2m_changed for one of Product's people relations."""

    def receiver(
        sender: Any,
        instance: Any,
        action: str,
        reverse: bool,
        pk_set: set[int] | None,
        **kwargs: Any,
    ) -> None:
        if action not in {"post_add", "post_remove", "pre_clear"}:
            return
        if action == "pre_clear":
            # clear() names no one: read who is there before they go.
            relation = sender.objects.filter(
                **({"user_id": instance.pk} if reverse else {"product_id": instance.pk})
            )
            pairs = list(relation.values_list("product_id", "user_id"))
            kind = removed
        else:
            ids = pk_set or set()
            pairs = [(pk, instance.pk) if reverse else (instance.pk, pk) for pk in ids]
            kind = added if action == "post_add" else removed
        if not pairs:
            return
        products = Product.objects.in_bulk({product_id for product_id, _ in pairs})
        users = get_user_model().objects.in_bulk({user_id for _, user_id in pairs})
        verb = "may now" if kind == added else "may no longer"
        for product_id, user_id in sorted(pairs):
            security_event(
                kind,
                user=users.get(user_id),
                product=products.get(product_id),
                detail=f"{verb} {role} this product",
            )

    return receiver


editors_changed = _people_changed(
    SecurityKind.EDITOR_ADDED, SecurityKind.EDITOR_REMOVED, "edit"
)
viewers_changed = _people_changed(
    SecurityKind.VIEWER_ADDED, SecurityKind.VIEWER_REMOVED, "read"
)
