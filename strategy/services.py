"""Every write to the company, products, themes, goals and API tokens.

Each write records what it changed in the product's history
(`strategy.history`), in the same transaction. Each write bumps the plan's
revision first
(`strategy.revision`), which also locks the product row, so writes to one
plan are serialised. Edits carry the version they were rendered with and
save through `update_if_version`: a stale version raises StaleVersion and
rolls back, revision bump included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from strategy import history
from strategy.audit import SecurityKind, security_event
from strategy.concurrency import update_if_version
from strategy.models import (
    ApiToken,
    Company,
    Goal,
    HistoryAction,
    ItemKind,
    Product,
    Theme,
)
from strategy.revision import every_plan_changed, plan_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def company_update(
    *, company: Company, version: int, values: Mapping[str, Any]
) -> Company:
    """Save the company's name, mission and vision.

    Every product's pages show the company, so every plan changes.
    """
    every_plan_changed()
    return update_if_version(company, version=version, values=values)


@transaction.atomic
def product_create(
    *,
    name: str,
    slug: str,
    vision_statement: str = "",
    editors: Iterable[Any] = (),
    actor: Any = None,
) -> Product:
    """Create a product and choose who edits it."""
    product = Product.objects.create(
        name=name, slug=slug, vision_statement=vision_statement
    )
    product.editors.set(editors)
    product.revision = plan_changed(product.pk)
    history.record_created(
        product_id=product.pk,
        actor=actor,
        item=product,
        kind=ItemKind.PRODUCT,
        after={"name": name, "slug": slug},
    )
    return product


@transaction.atomic
def product_update_settings(
    *,
    product: Product,
    name: str,
    slug: str,
    editors: Iterable[Any],
    actor: Any = None,
) -> Product:
    """Rename a product and change its editors.

    Only these fields are written: the vision board's text and the revision
    keep what others saved since the product was loaded.
    """
    product.revision = plan_changed(product.pk)
    editors = list(editors)
    changed = history.changes(
        history.saved(product), {"name": name, "slug": slug, "editors": editors}
    )
    product.name, product.slug = name, slug
    product.save(update_fields=["name", "slug"])
    product.editors.set(editors)
    history.record_changes(
        product_id=product.pk,
        actor=actor,
        kind=ItemKind.PRODUCT,
        item=product,
        changed=changed,
    )
    return product


@transaction.atomic
def product_access_update(
    *,
    product: Product,
    version: int,
    is_private: bool,
    viewers: Iterable[Any],
    actor: Any = None,
) -> Product:
    """Make a product private or open, and choose who may read it when private.

    The product's version guards the change (two people choosing at once
    never overwrite each other). Privacy and each viewer added or removed
    are security events (viewers by accounts' m2m receiver); nothing a board
    shows changes, so the plan's revision stays.
    """
    was_private = (
        Product.objects.filter(pk=product.pk)
        .values_list("is_private", flat=True)
        .first()
    )
    update_if_version(product, version=version, values={"is_private": is_private})
    product.viewers.set(list(viewers))
    product.__dict__.pop("_viewer_ids", None)
    if was_private != is_private:
        security_event(
            SecurityKind.MADE_PRIVATE if is_private else SecurityKind.MADE_PUBLIC,
            actor=actor,
            product=product,
            detail="Only its editors and named viewers can see it."
            if is_private
            else "Every signed-in person can read it.",
        )
    return product


@transaction.atomic
def vision_board_update(
    *, product: Product, version: int, values: Mapping[str, Any], actor: Any = None
) -> Product:
    """Save the product's vision and the four boxes beneath it."""
    product.revision = history.update_recorded(
        product_id=product.pk,
        kind=ItemKind.VISION_BOARD,
        item=product,
        version=version,
        values=values,
        actor=actor,
    )
    return product


@transaction.atomic
def theme_create(
    *, product: Product, values: Mapping[str, Any], actor: Any = None
) -> Theme:
    """Add a theme at the end of the product's strategy."""
    plan_changed(product.pk)
    last = product.themes.aggregate(last=models.Max("position"))["last"]
    theme = Theme.objects.create(
        product=product, position=0 if last is None else last + 1, **values
    )
    history.record_created(product_id=product.pk, actor=actor, item=theme)
    return theme


@transaction.atomic
def theme_update(
    *, theme: Theme, version: int, values: Mapping[str, Any], actor: Any = None
) -> Theme:
    history.update_recorded(
        product_id=theme.product_id,
        kind=ItemKind.THEME,
        item=theme,
        version=version,
        values=values,
        actor=actor,
    )
    return theme


@transaction.atomic
def goal_create(
    *, product: Product, values: Mapping[str, Any], actor: Any = None
) -> Goal:
    plan_changed(product.pk)
    goal = Goal.objects.create(product=product, **values)
    history.record_created(product_id=product.pk, actor=actor, item=goal)
    return goal


@transaction.atomic
def goal_update(
    *,
    goal: Goal,
    version: int,
    values: Mapping[str, Any],
    actor: Any = None,
    reason: str = "",
) -> Goal:
    history.update_recorded(
        product_id=goal.product_id,
        kind=ItemKind.GOAL,
        item=goal,
        version=version,
        values=values,
        actor=actor,
        reasons={"status": reason},
    )
    return goal


@transaction.atomic
def goal_set_archived(*, goal: Goal, is_archived: bool, actor: Any = None) -> Goal:
    """Archive a goal, or bring it back as an active goal.

    The version moves on, so an edit form opened before the archive cannot
    silently undo it.
    """
    plan_changed(goal.product_id)
    before = goal.status
    status = Goal.Status.ARCHIVED if is_archived else Goal.Status.ACTIVE
    Goal.objects.filter(pk=goal.pk).update(status=status, version=F("version") + 1)
    goal.refresh_from_db(fields=["status", "version"])
    if before != goal.status:
        history.record(
            product_id=goal.product_id,
            actor=actor,
            action=HistoryAction.UPDATED,
            kind=ItemKind.GOAL,
            item=goal,
            field="status",
            before=before,
            after=goal.status,
        )
    return goal


@transaction.atomic
def api_token_create(
    *, product: Product, name: str, created_by: User | None = None
) -> tuple[ApiToken, str]:
    """Issue a token; return it with its secret, which is shown only once."""
    plan_changed(product.pk)
    token, secret = ApiToken.issue(product=product, name=name, created_by=created_by)
    history.record_created(
        product_id=product.pk,
        actor=created_by,
        item=token,
        after={"name": token.name, "hint": token.hint},
    )
    security_event(
        SecurityKind.TOKEN_CREATED,
        actor=created_by,
        product=product,
        detail=f"“{token.name}” ({token.hint}…)",
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any = None) -> ApiToken:
    """Revoke a token: requests with it fail from now on."""
    plan_changed(token.product_id)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    history.record(
        product_id=token.product_id,
        actor=actor,
        action=HistoryAction.UPDATED,
        kind=ItemKind.API_TOKEN,
        item=token,
        field="revoked_at",
        before=None,
        after=token.revoked_at,
    )
    security_event(
        SecurityKind.TOKEN_REVOKED,
        actor=actor,
        product=token.product,
        detail=f"“{token.name}” ({token.hint}…)",
    )
    return token
