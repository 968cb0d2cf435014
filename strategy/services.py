"""Writes on strategy rows that need more than a plain `form.save()`."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import F

from strategy.models import Goal, Theme


class StaleVersionError(Exception):
    """Someone else saved the row after this edit started."""

    def __init__(self, current: models.Model) -> None:
        super().__init__(f"{current} changed since it was loaded")
        self.current = current


@transaction.atomic
def versioned_update(
    *, instance: models.Model, version: int, values: dict[str, Any]
) -> models.Model:
    """Save values on instance only if its row still has the given version.

    Return the row as saved. Raise StaleVersionError, carrying the row as it is
    now, when another edit got there first: nothing is overwritten.
    """
    model = type(instance)
    updated = model.objects.filter(pk=instance.pk, version=version).update(
        **values, version=version + 1
    )
    if not updated:
        raise StaleVersionError(model.objects.get(pk=instance.pk))
    for name, value in values.items():
        setattr(instance, name, value)
    instance.version = version + 1
    return instance


def theme_create(*, product: Any, values: dict[str, Any]) -> Theme:
    """Add a theme at the end of the product's strategy."""
    last = product.themes.aggregate(last=models.Max("position"))["last"]
    return Theme.objects.create(
        product=product, position=0 if last is None else last + 1, **values
    )


def goal_set_archived(*, goal: Goal, is_archived: bool) -> Goal:
    """Archive a goal, or bring it back as an active goal.

    The version moves on, so an edit form opened before the archive cannot
    silently undo it.
    """
    status = Goal.Status.ARCHIVED if is_archived else Goal.Status.ACTIVE
    Goal.objects.filter(pk=goal.pk).update(status=status, version=F("version") + 1)
    goal.refresh_from_db(fields=["status", "version"])
    return goal
