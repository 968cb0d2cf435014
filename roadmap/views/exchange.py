"""Export a product's plan (any reader) and import one (editors; admins for a new product).

An import is two posts: the upload is checked and previewed (what will be
created, changed and removed), and kept in a temporary file named by a random
token that only the uploader's session knows; the confirmation applies it in
one transaction, unless the plan changed since the preview.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_slug
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from config.types import HtmxHttpRequest
from roadmap.exchange import FORMATS, export_plan
from roadmap.importing import (
    MAX_IMPORT_BYTES,
    PlanChanges,
    PlanInvalid,
    PlanStale,
    plan_changes,
    plan_import,
    read_plan,
)
from strategy.models import Product
from strategy.permissions import (
    can_manage_products,
    product_for_editor,
    product_for_viewer,
)

TEMPLATE = "roadmap/import.html"
SESSION_KEY = "plan_imports"
# Uploads wait this long for their confirmation; older ones are swept away.
PENDING_SECONDS = 6 * 3600
SHOWN_NAMES = 30
# What a multipart body holds besides the file: the form's fields, boundaries.
FORM_OVERHEAD = 64 * 1024
VISION_LABELS = {
    "vision_statement": "vision",
    "target_group": "target group",
    "needs": "needs",
    "product_description": "product",
    "value": "business value",
}


def pending_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "northstar-plan-imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def sweep_pending() -> None:
    cutoff = time.time() - PENDING_SECONDS
    for path in pending_dir().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


class PlanImportForm(forms.Form):
    MODE_REPLACE = "replace"
    MODE_NEW = "new"

    file = forms.FileField(
        label="Plan document (JSON)",
        help_text=f"A JSON export of a Northstar plan, at most "
        f"{filesizeformat(MAX_IMPORT_BYTES)}.",
    )
    mode = forms.ChoiceField(
        label="Import",
        widget=forms.RadioSelect,
        choices=[(MODE_REPLACE, "Over this product, replacing its plan")],
        initial=MODE_REPLACE,
    )
    slug = forms.CharField(
        label="Slug of the new product", max_length=80, required=False
    )
    name = forms.CharField(
        label="Name of the new product",
        max_length=200,
        required=False,
        help_text="Leave empty to keep the document's name.",
    )

    def __init__(self, *args: Any, product: Product, may_create: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.product = product
        if may_create:
            mode = self.fields["mode"]
            assert isinstance(mode, forms.ChoiceField)
            mode.choices = [
                (self.MODE_REPLACE, f"Over {product.name}, replacing its plan"),
                (self.MODE_NEW, "As a new product"),
            ]
        else:
            del self.fields["slug"]
            del self.fields["name"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(too_large(upload.size))
        return upload

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("mode") == self.MODE_NEW:
            slug = self.cleaned_data.get("slug", "")
            if not slug:
                self.add_error("slug", "A new product needs a slug.")
            else:
                try:
                    validate_slug(slug)
                except forms.ValidationError:
                    self.add_error(
                        "slug", "Use letters, numbers, hyphens and underscores."
                    )
                else:
                    if Product.objects.filter(slug=slug).exists():
                        self.add_error("slug", f"A product “{slug}” exists already.")
        return self.cleaned_data


@require_safe
@login_required
def plan_export(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Download the plan as JSON, CSV (a zip) or Markdown."""
    product = product_for_viewer(request.user, slug)
    fmt = request.GET.get("format", "json")
    if fmt not in FORMATS:
        raise Http404("Unknown export format.")
    content, content_type, filename = export_plan(product, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@csrf_exempt
def plan_import_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Upload a plan document, see what it changes, then apply it.

    CSRF is checked below, after the size: the check reads the form, and
    with it the whole upload, which an oversized one must not get to.
    """
    product = product_for_editor(request.user, slug)
    may_create = can_manage_products(request.user)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if request.method == "POST" and length > MAX_IMPORT_BYTES + FORM_OVERHEAD:
        context = {
            "product": product,
            "form": PlanImportForm(product=product, may_create=may_create),
            "upload_error": too_large(length),
        }
        return render(request, TEMPLATE, context, status=413)
    return plan_import_checked(request, product, may_create)


def too_large(size: int) -> str:
    return (
        f"The file is {filesizeformat(size)}; the limit is "
        f"{filesizeformat(MAX_IMPORT_BYTES)}. Import larger plans with "
        "manage.py import_roadmap."
    )


@csrf_protect
def plan_import_checked(
    request: HtmxHttpRequest, product: Product, may_create: bool
) -> HttpResponse:
    context: dict[str, Any] = {"product": product, "max_bytes": MAX_IMPORT_BYTES}
    if request.method == "POST" and request.POST.get("action") == "apply":
        return apply_pending(request, product, may_create, context)

    form = PlanImportForm(
        request.POST or None,
        request.FILES or None,
        product=product,
        may_create=may_create,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        raw = data["file"].read()
        is_new = data["mode"] == PlanImportForm.MODE_NEW
        try:
            doc = read_plan(raw)
        except PlanInvalid as error:
            context["problems"] = error.problems
        else:
            changes = plan_changes(doc, None if is_new else product)
            token = secrets.token_urlsafe(16)
            sweep_pending()
            (pending_dir() / f"{token}.json").write_bytes(raw)
            pending = request.session.get(SESSION_KEY, {})
            pending[token] = {
                "sha256": hashlib.sha256(raw).hexdigest(),
                "product": product.pk,
                "new": is_new,
                "slug": data.get("slug", ""),
                "name": data.get("name", ""),
                "revision": changes.revision,
            }
            request.session[SESSION_KEY] = pending
            context.update(preview_context(changes, token, data.get("slug", "")))
    context["form"] = form
    return render(request, TEMPLATE, context)


def preview_context(changes: PlanChanges, token: str, slug: str) -> dict[str, Any]:
    kinds = [
        {
            "label": kind.label,
            "created": len(kind.created),
            "changed": len(kind.changed),
            "removed": len(kind.removed),
            "unchanged": kind.unchanged,
            "names": [
                ("created", kind.created[:SHOWN_NAMES], len(kind.created)),
                ("changed", kind.changed[:SHOWN_NAMES], len(kind.changed)),
                ("removed", kind.removed[:SHOWN_NAMES], len(kind.removed)),
            ],
        }
        for kind in changes.kinds
        if kind.has_changes or kind.unchanged
    ]
    return {
        "changes": changes,
        "vision_changed": [VISION_LABELS[name] for name in changes.vision_changed],
        "kinds": kinds,
        "token": token,
        "new_slug": slug,
        "shown_names": SHOWN_NAMES,
    }


def apply_pending(
    request: HtmxHttpRequest,
    product: Product,
    may_create: bool,
    context: dict[str, Any],
) -> HttpResponse:
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(token)
    # Only a token this session was given names a file.
    path = pending_dir() / f"{token if entry else 'none'}.json"
    if entry is None or entry["product"] != product.pk or not path.exists():
        messages.error(request, "That preview has expired: upload the document again.")
        return redirect("roadmap:plan_import", product.slug)
    if entry["new"] and not may_create:
        raise PermissionDenied
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
        messages.error(request, "That preview has expired: upload the document again.")
        return redirect("roadmap:plan_import", product.slug)

    def forget() -> None:
        path.unlink(missing_ok=True)
        pending.pop(token, None)
        request.session[SESSION_KEY] = pending

    try:
        doc = read_plan(raw)
        result = plan_import(
            doc=doc,
            product=None if entry["new"] else product,
            slug=entry["slug"],
            name=entry["name"],
            expected_revision=None if entry["new"] else entry["revision"],
            actor=request.user,
        )
    except PlanStale:
        # Someone changed the plan since the preview: show what it does now.
        changes = plan_changes(doc, product)
        entry["revision"] = changes.revision
        request.session[SESSION_KEY] = pending
        context["stale"] = True
        context.update(preview_context(changes, token, entry["slug"]))
        context["form"] = PlanImportForm(product=product, may_create=may_create)
        return render(request, TEMPLATE, context)
    except PlanInvalid as error:
        forget()
        context["problems"] = error.problems
        context["form"] = PlanImportForm(product=product, may_create=may_create)
        return render(request, TEMPLATE, context)
    forget()
    messages.success(
        request,
        f"Imported the plan into {result.product.name}: {result.created} created, "
        f"{result.changed} changed, {result.removed} removed.",
    )
    return redirect(result.product.get_absolute_url())
