"""The one writer of a product's history: every change, who made it and why.

Services of every app (strategy, metrics, roadmap) and the admin call
`record` or `record_changes` in the same transaction as their write, so an
entry exists exactly when the change does. Entries are never edited or
deleted: the one later update is `add_reason`, by the entry's author, once,
within REASON_WINDOW.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from strategy.concurrency import update_if_version
from strategy.models import HistoryAction, HistoryEntry, ItemKind
from strategy.revision import plan_changed

REASON_WINDOW = dt.timedelta(minutes=10)
REASON_MAX = 300

# Fields whose change links or unlinks an item rather than editing its text.
LINK_FIELDS = frozenset({"goal", "outcome", "team", "teams", "theme", "metric"})

# Fields never worth an entry: bookkeeping the services move themselves.
QUIET_FIELDS = frozenset(
    {"version", "revision", "updated_at", "created_at", "position", "last_used_at"}
)

# The kind of item each model is, by its model name.
KIND_BY_MODEL = {
    "product": ItemKind.PRODUCT,
    "theme": ItemKind.THEME,
    "goal": ItemKind.GOAL,
    "apitoken": ItemKind.API_TOKEN,
    "metric": ItemKind.METRIC,
    "measurement": ItemKind.MEASUREMENT,
    "keyresult": ItemKind.KEY_RESULT,
    "checkin": ItemKind.CHECK_IN,
    "roadmap": ItemKind.ROADMAP,
    "outcome": ItemKind.OUTCOME,
    "challenge": ItemKind.CHALLENGE,
    "successmetric": ItemKind.SUCCESS_METRIC,
    "feature": ItemKind.FEATURE,
    "teamdependency": ItemKind.DEPENDENCY,
    "insight": ItemKind.INSIGHT,
    "sharelink": ItemKind.SHARE_LINK,
}


def kind_of_model(obj: models.Model | type[models.Model]) -> str | None:
    return KIND_BY_MODEL.get(obj._meta.model_name or "")


def as_json(value: Any) -> Any:
    """Describe a field value for an entry (related rows as id and label)."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # normalize() alone would write 1000 as "1E+3".
        return (
            str(int(value)) if value == value.to_integral() else str(value.normalize())
        )
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [as_json(v) for v in value]
    if isinstance(value, models.QuerySet):
        return [as_json(v) for v in value]
    return value


def comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return ("pk", value.pk)
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return sorted((comparable(v) for v in value), key=repr)
    return value


def stored(obj: models.Model, name: str) -> Any:
    """The comparable value of a field as stored, without fetching a relation."""
    field = obj._meta.get_field(name)
    if isinstance(field, models.Field) and field.many_to_one:
        pk = getattr(obj, field.attname)
        return None if pk is None else ("pk", pk)
    if isinstance(field, models.Field) and field.many_to_many:
        return comparable(list(getattr(obj, name).all())) if obj.pk else []
    return comparable(getattr(obj, name))


def saved(obj: models.Model) -> models.Model:
    """Return obj's row as stored now (a bound form has already changed obj).

    Call it after the plan is locked, so the row cannot move meanwhile.
    """
    return type(obj)._default_manager.filter(pk=obj.pk).first() or obj


def changes(obj: models.Model, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Return {field: (before, after)} for each value that differs from obj's."""
    found = {}
    for name, new in values.items():
        if name in QUIET_FIELDS or stored(obj, name) == comparable(new):
            continue
        field = obj._meta.get_field(name)
        old = getattr(obj, name)
        if isinstance(field, models.Field) and field.many_to_many:
            old = list(old.all()) if obj.pk else []
        found[name] = (old, new)
    return found


def action_for(name: str, new: Any) -> str:
    if name in LINK_FIELDS:
        is_empty = new is None or (isinstance(new, list | tuple) and not new)
        return HistoryAction.UNLINKED if is_empty else HistoryAction.LINKED
    return HistoryAction.UPDATED


def _actor(actor: Any) -> tuple[Any, str]:
    """The user to store and a label for who acted (an API token's name)."""
    if getattr(actor, "is_authenticated", False):
        return actor, ""
    if actor is None or not getattr(actor, "name", ""):
        return None, ""
    return None, f"API token “{actor.name}”"[:150]


def entry(
    *,
    product_id: int,
    actor: Any,
    action: str,
    kind: str,
    item: models.Model | None = None,
    item_id: int | None = None,
    title: str | None = None,
    field: str = "",
    before: Any = None,
    after: Any = None,
    horizon: str = "",
    reason: str = "",
    parent: tuple[str, int | None] = ("", None),
) -> HistoryEntry:
    """Build (not save) one entry; `record` and `record_all` save them.

    `actor` is the user who acted, an ApiToken for an API write, or None.
    """
    user, label = _actor(actor)
    if item is not None:
        item_id = item.pk if item_id is None else item_id
        title = str(item) if title is None else title
        horizon = horizon or getattr(item, "horizon", "") or ""
    return HistoryEntry(
        product_id=product_id,
        actor=user,
        actor_label=label,
        action=action,
        item_kind=kind,
        item_id=item_id,
        item_title=(title or "")[:300],
        parent_kind=parent[0],
        parent_id=parent[1],
        horizon=horizon,
        field=field,
        before=as_json(before),
        after=as_json(after),
        reason=reason.strip()[:REASON_MAX],
    )


def record(**kwargs: Any) -> HistoryEntry:
    """Save one entry (see `entry` for the arguments) and return it."""
    new = entry(**kwargs)
    new.save()
    return new


def record_all(entries: Iterable[HistoryEntry]) -> list[HistoryEntry]:
    return HistoryEntry.objects.bulk_create(list(entries), batch_size=1000)


def change_entries(
    *,
    product_id: int,
    actor: Any,
    kind: str,
    item: models.Model,
    changed: Mapping[str, tuple[Any, Any]],
    reasons: Mapping[str, str] | None = None,
) -> list[HistoryEntry]:
    """Build one entry per changed field; `reasons` by field name."""
    reasons = reasons or {}
    return [
        entry(
            product_id=product_id,
            actor=actor,
            action=action_for(name, new),
            kind=kind,
            item=item,
            field=name,
            before=old,
            after=new,
            reason=reasons.get(name, ""),
        )
        for name, (old, new) in changed.items()
        if name not in QUIET_FIELDS
    ]


def record_changes(**kwargs: Any) -> list[HistoryEntry]:
    """Save one entry per changed field (see `change_entries`)."""
    return record_all(change_entries(**kwargs))


def record_created(
    *,
    product_id: int,
    actor: Any,
    item: models.Model,
    kind: str | None = None,
    after: Any = None,
    title: str | None = None,
    parent: tuple[str, int | None] = ("", None),
) -> HistoryEntry:
    return record(
        product_id=product_id,
        actor=actor,
        action=HistoryAction.CREATED,
        kind=kind or kind_of_model(item) or "",
        item=item,
        title=title,
        after={"title": str(item)} if after is None else after,
        parent=parent,
    )


def record_deleted(
    *,
    product_id: int,
    actor: Any,
    item: models.Model,
    kind: str | None = None,
    before: Any = None,
    reason: str = "",
) -> HistoryEntry:
    return record(
        product_id=product_id,
        actor=actor,
        action=HistoryAction.DELETED,
        kind=kind or kind_of_model(item) or "",
        item=item,
        before={"title": str(item)} if before is None else before,
        reason=reason,
    )


def can_add_reason(
    entry: HistoryEntry, user: Any, now: dt.datetime | None = None
) -> bool:
    now = now or timezone.now()
    return (
        getattr(user, "is_authenticated", False)
        and entry.actor_id == user.pk
        and not entry.reason
        and now - entry.created_at <= REASON_WINDOW
    )


def add_reason(*, entry: HistoryEntry, user: Any, reason: str) -> bool:
    """Give the entry its reason: by its author, once, within REASON_WINDOW.

    One conditional UPDATE, so two tabs cannot both set it. Return whether
    the reason was stored.
    """
    reason = reason.strip()[:REASON_MAX]
    if not reason or not getattr(user, "is_authenticated", False):
        return False
    stored_rows = HistoryEntry.objects.filter(
        pk=entry.pk,
        actor_id=user.pk,
        reason="",
        created_at__gte=timezone.now() - REASON_WINDOW,
    ).update(reason=reason)
    if stored_rows:
        entry.reason = reason
    return bool(stored_rows)


def update_recorded(
    *,
    product_id: int,
    kind: str,
    item: models.Model,
    version: int,
    values: Mapping[str, Any],
    actor: Any,
    reasons: Mapping[str, str] | None = None,
) -> int:
    """Save an edit made at `version` and record each changed field.

    The plan is marked changed first, which locks it, so the values read as
    "before" cannot move meanwhile. Return the plan's new revision.
    """
    revision = plan_changed(product_id)
    changed = changes(saved(item), values)
    update_if_version(item, version=version, values=values)
    record_changes(
        product_id=product_id,
        actor=actor,
        kind=kind,
        item=item,
        changed=changed,
        reasons=reasons,
    )
    return revision
