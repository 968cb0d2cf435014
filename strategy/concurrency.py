"""Optimistic concurrency: one way to refuse a save over someone else's.

Every editable row has a `version` integer. An edit form carries the version
it was rendered with (`VersionedFormMixin`); the service saves with
`update_if_version`, one conditional UPDATE that also moves the version on.
Zero rows updated means someone else saved (or deleted) first: `StaleVersion`
carries the row as saved now, and the view answers 409 with the one conflict
partial, `includes/_conflict.html#conflict`, described by a `Conflict`.

Nothing here imports an app's models, so every app (strategy, metrics,
roadmap) uses it.

    @transaction.atomic
    def goal_update(*, goal: Goal, version: int, values: dict) -> Goal:
        plan_changed(goal.product_id)
        return update_if_version(goal, version=version, values=values)

    try:
        services.goal_update(goal=goal, version=form.cleaned_data["version"], ...)
    except StaleVersion as stale:
        conflict = Conflict.from_form(form, stale, subject="goal", ...)
        return render(request, CONFLICT_TEMPLATE + "#conflict", {"conflict": conflict},
                      status=409)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import dateformat, timezone

M = TypeVar("M", bound=models.Model)

# The page that shows a conflict on its own (a plain, non-htmx post); its
# `#conflict` partial is what every other page includes or swaps in.
CONFLICT_TEMPLATE = "includes/_conflict.html"

EMPTY = "—"

# PostgreSQL's integer range: a posted version outside it can match no row,
# and must not reach the database as an out-of-range parameter.
MAX_VERSION = 2**31 - 1


class StaleVersion(Exception):
    """Someone else saved (or deleted) the row after this edit started.

    `current` is the row as saved now, or None when it is gone (deleted, or
    no longer in the queryset the update was limited to).
    """

    def __init__(self, current: models.Model | None) -> None:
        what = "deleted" if current is None else f"{current} changed"
        super().__init__(f"The row was {what} since it was loaded.")
        # Any: every versioned model has `version`, which Model does not say.
        self.current: Any = current


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _require_transaction(model: type[models.Model]) -> None:
    # The check and the revision bump of the caller must commit together.
    if not transaction.get_connection(router.db_for_write(model)).in_atomic_block:
        raise RuntimeError(
            "Call update_if_version inside the caller's transaction "
            "(a @transaction.atomic service)."
        )


def update_if_version(
    instance: M,
    *,
    version: int,
    values: Mapping[str, Any] | None = None,
    queryset: QuerySet[M] | None = None,
) -> M:
    """Save values on instance only if its row still has the given version.

    One conditional UPDATE (on `queryset` when given, e.g. only rows not
    deleted; else the model's default manager) sets the values, moves the
    version on by one and stamps `updated_at` when the model has one. On
    success the instance gets the new values and is returned. When no row
    matched, raise StaleVersion with the row as saved now (None if gone):
    nothing is overwritten.

    Call it inside the caller's transaction. `values` are concrete fields
    only; many-to-many relations are set by the caller after it returns.
    """
    model = type(instance)
    _require_transaction(model)
    rows = queryset if queryset is not None else model._default_manager.all()
    changes = dict(values or {})
    changes["version"] = version + 1
    if _has_field(model, "updated_at"):
        changes["updated_at"] = timezone.now()
    updated = rows.filter(pk=instance.pk, version=version).update(**changes)
    if not updated:
        raise StaleVersion(rows.filter(pk=instance.pk).first())
    for name, value in changes.items():
        setattr(instance, name, value)
    return instance


def delete_if_version(
    instance: models.Model,
    *,
    version: int,
    queryset: QuerySet[Any] | None = None,
) -> None:
    """Delete instance's row only if it still has the given version.

    The companion of `update_if_version` for a hard delete: a row changed
    since it was shown is not deleted; StaleVersion carries it as saved now.
    """
    model = type(instance)
    _require_transaction(model)
    rows = queryset if queryset is not None else model._default_manager.all()
    deleted, _ = rows.filter(pk=instance.pk, version=version).delete()
    if not deleted:
        raise StaleVersion(rows.filter(pk=instance.pk).first())


# Forms ---------------------------------------------------------------------


class VersionField(forms.IntegerField):
    """The version a form was rendered with, posted back in a hidden input.

    A missing, garbled or impossible version cleans to 0, which matches no
    row (versions start at 1): the save is refused as a conflict and shows
    both versions, never overwriting and never a bare form error.
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int:
        try:
            number = super().to_python(value)
        except forms.ValidationError:
            return 0
        if number is None or not 1 <= number <= MAX_VERSION:
            return 0
        return number

    def validate(self, value: Any) -> None:
        """Accept anything: a bad version is a conflict, not an input error."""

    def run_validators(self, value: Any) -> None:
        """Skip min/max validators for the same reason."""


def posted_version(data: Mapping[str, Any], name: str = "version") -> int:
    """Return the version posted under name, or 0 (a conflict) if unusable.

    For posts without a form, e.g. a delete button carrying its version.
    """
    return VersionField().clean(data.get(name))


class VersionedFormMixin:
    """Give a model form a hidden `version`: the version it was rendered with.

    Mix it in before `forms.ModelForm`. On an edit form (the instance is
    saved) the field starts at the instance's version; a create form has no
    version field. Read `form.cleaned_data["version"]` and pass it to
    `update_if_version`; `model_values()` returns the edited model fields.

    Name the field differently (e.g. `kr_version` for a key result edited on
    a card) with `version_field_name`.
    """

    version_field_name = "version"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance  # type: ignore[attr-defined]
        if instance.pk is not None:
            self.fields[self.version_field_name] = VersionField(  # type: ignore[attr-defined]
                initial=instance.version
            )

    def model_values(self) -> dict[str, Any]:
        """Return the model fields this form edits, with their cleaned values."""
        cleaned = self.cleaned_data  # type: ignore[attr-defined]
        return {
            name: cleaned[name]
            for name in self._meta.fields  # type: ignore[attr-defined]
            if name in cleaned and name != self.version_field_name
        }


# The conflict partial ------------------------------------------------------


@dataclass(frozen=True)
class ConflictRow:
    """One field of a conflict: as saved now beside what was typed."""

    label: str
    theirs: str
    mine: str
    differs: bool


@dataclass
class Conflict:
    """Everything `includes/_conflict.html#conflict` shows.

    subject: what was edited, as the person calls it ("vision board", "card").
    rows: the fields, saved now beside yours (`conflict_rows`).
    keep_mine_url: where "Keep mine" re-posts what was typed, with the saved
        version(s), so saving again is a deliberate choice.
    keep_theirs_url: what "Keep theirs" fetches (htmx): the saved region.
    target: id of the page region that both answers replace (outerHTML); empty
        on a plain page, where the buttons are a plain form and a link.
    posted: the (name, value) pairs that were posted, versions left out.
    versions: the hidden version inputs for "Keep mine", e.g.
        {"version": 4} or, for a card with its key result,
        {"version": 7, "kr_version": 3}.
    is_deleted: the row is gone; there is nothing to keep but the page.
    page_url: where "Keep theirs" (or "Close") leads without htmx.
    in_place: the conflict stands in place of the target region and carries
        its id; False when it sits inside the region (e.g. above a table).
    verb: what the person was doing ("editing", "deleting").
    message: one more sentence, e.g. how to restore a deleted card.
    css_class, attrs: extra classes and attributes of the root element (the
        board marks its cards with data attributes).
    """

    subject: str
    keep_mine_url: str
    keep_theirs_url: str
    target: str = ""
    rows: list[ConflictRow] = field(default_factory=list)
    posted: list[tuple[str, str]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    is_deleted: bool = False
    page_url: str = ""
    in_place: bool = True
    verb: str = "editing"
    message: str = ""
    keep_mine_label: str = "Keep mine"
    keep_theirs_label: str = "Keep theirs"
    css_class: str = ""
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        if self.is_deleted:
            return f"Someone deleted this {self.subject} while you were {self.verb} it."
        return f"Someone else saved this {self.subject} while you were {self.verb} it."

    @property
    def theirs_href(self) -> str:
        """Where "Keep theirs" leads as a plain link."""
        return self.page_url or self.keep_theirs_url

    @classmethod
    def from_form(
        cls,
        form: forms.BaseForm,
        stale: StaleVersion,
        *,
        subject: str,
        keep_mine_url: str,
        keep_theirs_url: str,
        **options: Any,
    ) -> Conflict:
        """Describe the conflict of one versioned form with the row saved now."""
        current = stale.current
        name = getattr(form, "version_field_name", "version")
        versions = {} if current is None else {name: current.version}
        return cls(
            subject=subject,
            keep_mine_url=keep_mine_url,
            keep_theirs_url=keep_theirs_url,
            rows=[] if current is None else conflict_rows(form, current),
            posted=posted_values(form.data, exclude=[name]),
            versions=versions,
            is_deleted=current is None,
            **options,
        )

    @classmethod
    def from_delete(
        cls,
        current: Any,
        *,
        subject: str,
        labels: Mapping[str, str],
        keep_mine_url: str,
        keep_theirs_url: str,
        **options: Any,
    ) -> Conflict:
        """Describe a delete refused because the row changed since it was shown.

        `labels` maps the fields to show to their labels. "Delete anyway"
        re-posts the delete with the saved version.
        """
        options.setdefault("message", "It was not deleted.")
        return cls(
            subject=subject,
            verb="deleting",
            rows=[
                ConflictRow(
                    label=label,
                    theirs=display_value(_saved(current, name)),
                    mine="Deleted",
                    differs=True,
                )
                for name, label in labels.items()
            ],
            versions={"version": current.version},
            keep_mine_url=keep_mine_url,
            keep_mine_label="Delete anyway",
            keep_theirs_url=keep_theirs_url,
            keep_theirs_label="Keep it",
            **options,
        )


def render_conflict(
    request: HttpRequest,
    conflict: Conflict,
    *,
    context: Mapping[str, Any] | None = None,
    status: int = 409,
) -> HttpResponse:
    """Answer with the conflict alone: its partial for htmx, else as a page.

    `context` adds to the page (e.g. `product`, for the product's menu).
    """
    template_name = CONFLICT_TEMPLATE
    if request.headers.get("HX-Request") == "true":
        template_name += "#conflict"
    return render(
        request, template_name, {**(context or {}), "conflict": conflict}, status=status
    )


def display_value(value: Any, form_field: forms.Field | None = None) -> str:
    """Return a value as a person reads it in a conflict table.

    Choices by their label, rows by their name, lists joined, dates as
    "2 Nov 2026", decimals without trailing zeros, empty as "—".
    """
    if isinstance(value, models.Manager):
        value = list(value.all())
    if (
        value is None
        or value == ""
        or (isinstance(value, list | tuple | set | QuerySet) and not value)
    ):
        return EMPTY
    if isinstance(value, list | tuple | set | QuerySet):
        return ", ".join(display_value(item, form_field) for item in value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return dateformat.format(timezone.localtime(value), "j M Y, H:i")
    if isinstance(value, dt.date):
        return dateformat.format(value, "j M Y")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(form_field, forms.ChoiceField) and not isinstance(
        form_field, forms.ModelChoiceField
    ):
        labels = dict(_flat_choices(cast("Iterable[Any]", form_field.choices)))
        return str(labels.get(value, labels.get(str(value), value)))
    return str(value)


def _flat_choices(choices: Iterable[Any]) -> Iterable[tuple[Any, Any]]:
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from _flat_choices(label)
        else:
            yield key, label


def _saved(instance: models.Model, name: str) -> Any:
    """Return a field's value as saved on instance, choices by their label."""
    try:
        model_field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return getattr(instance, name, None)
    if model_field.many_to_many:
        return list(getattr(instance, name).all())
    value = getattr(instance, name)
    flatchoices = getattr(model_field, "flatchoices", None)
    if flatchoices and not model_field.is_relation:
        return str(dict(flatchoices).get(value, value))
    return value


def conflict_rows(
    form: forms.BaseForm,
    current: models.Model,
    *,
    exclude: Iterable[str] = (),
) -> list[ConflictRow]:
    """Compare each field of a validated form with the row saved now.

    Versions (and names in `exclude`) are left out. Rows whose displayed
    values differ are marked, so the table shows what the choice is about.
    """
    skipped = {getattr(form, "version_field_name", "version"), *exclude}
    cleaned = getattr(form, "cleaned_data", {})
    rows = []
    for name, form_field in form.fields.items():
        if name in skipped:
            continue
        theirs = display_value(_saved(current, name), form_field)
        mine = display_value(cleaned.get(name), form_field)
        rows.append(
            ConflictRow(
                label=str(form_field.label or name.replace("_", " ").capitalize()),
                theirs=theirs,
                mine=mine,
                differs=theirs != mine,
            )
        )
    return rows


def posted_values(
    data: Mapping[str, Any], *, exclude: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Return what was posted as (name, value) pairs, for "Keep mine" to re-post.

    The CSRF token and the versions are left out: the conflict supplies the
    saved versions, and the partial its own token.
    """
    skipped = {"csrfmiddlewaretoken", *exclude}
    lists = data.lists() if hasattr(data, "lists") else data.items()
    pairs = []
    for name, values in lists:
        if name in skipped:
            continue
        for value in values if isinstance(values, list | tuple) else [values]:
            pairs.append((name, str(value)))
    return pairs
