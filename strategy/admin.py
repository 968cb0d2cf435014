from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction
from django.db.models import F
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest

from strategy import history
from strategy.models import (
    ApiToken,
    Company,
    Goal,
    HistoryAction,
    HistoryEntry,
    Product,
    Theme,
)
from strategy.revision import every_plan_changed, plan_changed


class PlanRevisionAdmin(admin.ModelAdmin):
    """A model admin whose saves and deletes bump the plan's revision.

    The admin writes past the service layer, so it keeps the same promise
    itself: every save or delete bumps the revision of the product the row
    belongs to, in the admin's transaction (a row moved to another product
    bumps both). Saving an existing row, or an inline row, also moves its
    `version` on, so an edit form opened before gets a conflict instead of
    overwriting the admin's change; a row's own `revision` is left as the
    services keep it.

    Subclass it and say which product a row belongs to:

        @admin.register(Outcome)
        class OutcomeAdmin(PlanRevisionAdmin):
            def product_id_of(self, obj: Outcome) -> int | None:
                return obj.roadmap.product_id

    For rows every product shows (the company, teams), set
    `changes_every_plan = True` instead.

    Each save or delete of a row that belongs to a product is also recorded
    in that product's history, field by field, by the admin who made it.
    """

    changes_every_plan = False

    def product_id_of(self, obj: Any) -> int | None:
        """Return the id of the product whose plan shows obj."""
        raise NotImplementedError(
            f"{type(self).__name__} must define product_id_of(obj) "
            "or set changes_every_plan = True."
        )

    def _plans_changed(self, product_ids: Iterable[int | None]) -> None:
        if self.changes_every_plan:
            every_plan_changed()
            return
        # A fixed order, so two admins saving never wait on each other in a
        # circle.
        for pk in sorted({pk for pk in product_ids if pk is not None}):
            plan_changed(pk)

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm, change: bool
    ) -> None:
        stored = None
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
        before: set[int | None] = set()
        if stored is not None and not self.changes_every_plan:
            before.add(self.product_id_of(stored))
        # Bump (and so lock) before writing, like the services do.
        self._plans_changed(before)
        owned = []
        if stored is not None:
            owned = [name for name in ("version", "revision") if _has_field(obj, name)]
            if "version" in owned:
                obj.version = F("version") + 1
            if "revision" in owned:
                # Bumped by services only; the admin's copy may be stale.
                obj.revision = F("revision")
        super().save_model(request, obj, form, change)
        if owned:
            obj.refresh_from_db(fields=owned)
        if not self.changes_every_plan:
            self._plans_changed({self.product_id_of(obj)} - before)
            self._record_save(request, obj, stored, form)

    def _record_save(
        self, request: HttpRequest, obj: Any, stored: Any, form: ModelForm
    ) -> None:
        product_id = self.product_id_of(obj)
        kind = history.kind_of_model(obj)
        if product_id is None or kind is None:
            return
        if stored is None:
            history.record_created(product_id=product_id, actor=request.user, item=obj)
            return
        history.record_changes(
            product_id=product_id,
            actor=request.user,
            kind=kind,
            item=obj,
            changed=_form_changes(form, stored),
        )

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseFormSet, change: bool
    ) -> None:
        # Inline rows belong to the parent's product, whose revision
        # save_model has bumped; edited ones move their version on.
        edited = [
            each.instance
            for each in formset.initial_forms
            if each.has_changed()
            and not each.cleaned_data.get("DELETE")
            and _has_field(each.instance, "version")
        ]
        for instance in edited:
            instance.version = F("version") + 1
        changed = {
            id(each.instance): _form_changes(each, None)
            for each in formset.initial_forms
            if each.has_changed() and not each.cleaned_data.get("DELETE")
        }
        # A deleted row loses its id; keep it for the history.
        removed = [
            (each.instance.pk, each.instance)
            for each in formset.initial_forms
            if each.cleaned_data.get("DELETE")
        ]
        super().save_formset(request, form, formset, change)
        for instance in edited:
            instance.refresh_from_db(fields=["version"])
        product_id = (
            None if self.changes_every_plan else self.product_id_of(form.instance)
        )
        if product_id is None:
            return
        entries = []
        for obj in getattr(formset, "new_objects", []):
            entries.append(
                history.entry(
                    product_id=product_id,
                    actor=request.user,
                    action=HistoryAction.CREATED,
                    kind=history.kind_of_model(obj) or "",
                    item=obj,
                    after={"title": str(obj)},
                )
            )
        for obj, _ in getattr(formset, "changed_objects", []):
            entries += history.change_entries(
                product_id=product_id,
                actor=request.user,
                kind=history.kind_of_model(obj) or "",
                item=obj,
                changed=changed.get(id(obj), {}),
            )
        for pk, obj in removed:
            entries.append(
                history.entry(
                    product_id=product_id,
                    actor=request.user,
                    action=HistoryAction.DELETED,
                    kind=history.kind_of_model(obj) or "",
                    item=obj,
                    item_id=pk,
                    before={"title": str(obj)},
                )
            )
        history.record_all(e for e in entries if e.item_kind)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._plans_changed(
            [] if self.changes_every_plan else [self.product_id_of(obj)]
        )
        self._record_deletes(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            self._plans_changed(
                []
                if self.changes_every_plan
                else [self.product_id_of(obj) for obj in queryset]
            )
            self._record_deletes(request, list(queryset))
            super().delete_queryset(request, queryset)

    def _record_deletes(self, request: HttpRequest, objs: list[Any]) -> None:
        if self.changes_every_plan:
            return
        entries = []
        for obj in objs:
            product_id, kind = self.product_id_of(obj), history.kind_of_model(obj)
            # A deleted product takes its history with it.
            if product_id is None or kind is None or isinstance(obj, Product):
                continue
            entries.append(
                history.entry(
                    product_id=product_id,
                    actor=request.user,
                    action=HistoryAction.DELETED,
                    kind=kind,
                    item=obj,
                    before={"title": str(obj)},
                )
            )
        history.record_all(entries)


def _has_field(obj: models.Model, name: str) -> bool:
    return any(field.name == name for field in obj._meta.concrete_fields)


def _form_changes(form: ModelForm, stored: Any) -> dict[str, tuple[Any, Any]]:
    """Return {field: (before, after)} for the model fields the form changed.

    Before is read from the stored row when given, else from the form's
    initial values (an inline row's).
    """
    found = {}
    for name in form.changed_data:
        if name in history.QUIET_FIELDS or name not in form.cleaned_data:
            continue
        try:
            field = form.instance._meta.get_field(name)
        except FieldDoesNotExist:  # a form field that is no model field
            continue
        if not getattr(field, "concrete", False) and not field.many_to_many:
            continue
        if stored is None:
            before = form.initial.get(name)
        elif field.many_to_many:
            before = list(getattr(stored, name).all())
        else:
            before = getattr(stored, name)
        after = form.cleaned_data[name]
        if field.many_to_many:
            after = list(after)
        found[name] = (before, after)
    return found


@admin.register(HistoryEntry)
class HistoryEntryAdmin(admin.ModelAdmin):
    """The product history, read only: entries are never added, edited or deleted."""

    list_display = [
        "created_at",
        "product",
        "actor",
        "action",
        "item_kind",
        "item_title",
        "field",
        "reason",
    ]
    list_filter = ["product", "action", "item_kind"]
    list_select_related = ["product", "actor"]
    search_fields = ["item_title", "reason"]
    date_hierarchy = "created_at"
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Company)
class CompanyAdmin(PlanRevisionAdmin):
    list_display = ["name"]
    readonly_fields = ["version"]
    changes_every_plan = True


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0
    fields = ["title", "start_year", "end_year", "position"]


@admin.register(Product)
class ProductAdmin(PlanRevisionAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["editors"]
    search_fields = ["name"]
    readonly_fields = ["version", "revision"]
    inlines = [ThemeInline]

    def product_id_of(self, obj: Product) -> int | None:
        return obj.pk


@admin.register(Theme)
class ThemeAdmin(PlanRevisionAdmin):
    list_display = ["title", "product", "start_year", "end_year", "position"]
    list_filter = ["product"]
    readonly_fields = ["version"]

    def product_id_of(self, obj: Theme) -> int | None:
        return obj.product_id


@admin.register(Goal)
class GoalAdmin(PlanRevisionAdmin):
    list_display = ["title", "product", "theme", "status", "start_date", "end_date"]
    list_filter = ["product", "status"]
    search_fields = ["title"]
    readonly_fields = ["version"]

    def product_id_of(self, obj: Goal) -> int | None:
        return obj.product_id


@admin.register(ApiToken)
class ApiTokenAdmin(PlanRevisionAdmin):
    list_display = [
        "name",
        "product",
        "hint",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["product"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]

    def has_add_permission(self, request: object) -> bool:
        # Tokens are issued from the product's settings page, where the secret
        # can be shown once; the admin could only store an unusable hash.
        return False

    def product_id_of(self, obj: ApiToken) -> int | None:
        return obj.product_id
