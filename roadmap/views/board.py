"""The roadmap board: read it, and (for editors) change it card by card."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import astuple, dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseNotModified
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget, trigger_client_event

from config.types import HtmxHttpRequest
from metrics.forms import KeyResultForm
from metrics.models import KeyResult, Metric
from roadmap import services
from roadmap.forms import (
    CREATE_FORMS,
    EDIT_FORMS,
    BoardFilterForm,
    LinkForm,
    MoveForm,
    TeamDependencyForm,
    VersionForm,
)
from roadmap.models import (
    Horizon,
    Insight,
    Outcome,
    Roadmap,
    TeamDependency,
)
from roadmap.queries import (
    ROW_BY_KIND,
    Board,
    BoardFilters,
    Option,
    board_fingerprint,
    card_as_saved,
    load_board,
    load_card,
    roadmap_for_board,
)
from roadmap.services import CARD_MODELS, StaleVersion
from roadmap.templatetags.board import render_cards
from strategy.models import Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

TEMPLATE = "roadmap/board.html"
UNDO_MS = 12_000


@dataclass(frozen=True)
class Toast:
    message: str
    tone: str = "info"
    timeout: int = 8_000
    action_label: str = ""
    action_url: str = ""
    action_vals: str = ""


def _roadmap(product: Product) -> Roadmap:
    roadmap, _ = Roadmap.objects.get_or_create(product=product)
    return roadmap


def _card(roadmap: Roadmap, kind: str, pk: int) -> Any:
    """Return a card of this roadmap, deleted or not; 404 if it is not here."""
    queryset = CARD_MODELS[kind].objects.filter(roadmap=roadmap)
    if kind == "metric":
        queryset = queryset.select_related("key_result__metric")
    return get_object_or_404(queryset, pk=pk)


def _card_with_roadmap(product: Product, kind: str, pk: int) -> tuple[Any, Roadmap]:
    """Return a card of the product's roadmap and the roadmap, in one query."""
    queryset = CARD_MODELS[kind].objects.filter(roadmap__product=product)
    related = ["roadmap", "key_result__metric"] if kind == "metric" else ["roadmap"]
    card = get_object_or_404(queryset.select_related(*related), pk=pk)
    return card, card.roadmap


def _version(request: HtmxHttpRequest) -> int | None:
    form = VersionForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else None


def _key_result_version(request: HtmxHttpRequest) -> int | None:
    """Return the key result version a success-metric card form was rendered with."""
    try:
        return int(request.POST.get("kr_version", ""))
    except ValueError:
        return None


def _missing_version() -> HttpResponse:
    return HttpResponseBadRequest(
        "A change must say which version of the card it was made on."
    )


def _board_context(
    product: Product, roadmap: Roadmap, filters: BoardFilters, *, editable: bool
) -> dict[str, Any]:
    board = load_board(roadmap, filters)
    context = {
        "product": product,
        "roadmap": roadmap,
        "can_edit": editable,
        "board": board,
        "filters": filters,
        "columns": _columns(board),
    }
    for row in board.rows:
        for cell in row.cells:
            html, cell.digest = render_cards(cell.cards, context)
            cell.html = "".join(html)
    return context


@dataclass(frozen=True)
class Grid:
    """The rendered grid and the filter choices the page offers beside it."""

    html: str
    goals: list[Option]
    themes: list[Option]
    teams: list[Option]
    statuses: list[Option]


# Bump when the grid's markup changes, so a shared cache never serves old markup.
GRID_MARKUP_VERSION = 1
GRID_CACHE_SECONDS = 60 * 60


def _grid(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    *,
    editable: bool,
) -> tuple[Grid, BoardFilters]:
    """Return the grid, from the cache while nothing it shows has changed.

    The key holds the fingerprint of every row the grid reads (one query),
    the revision and horizon labels, the filters, the viewer's edit right and
    today's date (progress depends on it). Text searches are not stored: each
    one is rarely asked twice and a cached grid is big.
    """
    filters = BoardFilterForm(request.GET).filters()
    fingerprint = getattr(roadmap, "fingerprint", None) or board_fingerprint(roadmap)
    parts = (
        GRID_MARKUP_VERSION,
        product.pk,
        product.slug,
        roadmap.pk,
        roadmap.revision,
        tuple(roadmap.horizons),
        fingerprint,
        editable,
        astuple(filters),
        timezone.localdate().isoformat(),
    )
    key = "roadmap-grid:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    grid = caches["board"].get(key)
    if grid is None:
        context = _board_context(product, roadmap, filters, editable=editable)
        board = context["board"]
        grid = Grid(
            html=loader.get_template(f"{TEMPLATE}#board-grid").render(context),
            goals=board.goals,
            themes=board.themes,
            teams=board.teams,
            statuses=board.statuses,
        )
        if not filters.q:
            caches["board"].set(key, grid, GRID_CACHE_SECONDS)
    return grid, filters


def _columns(board: Board) -> list[dict[str, Any]]:
    rows = len(board.rows) + 1
    return [
        {"horizon": value, "label": label, "hint": hint, "order": index * rows}
        for index, (value, label, hint) in enumerate(board.roadmap.horizons)
    ]


def _grid_response(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    *,
    toast: Toast | None = None,
    status: int = 200,
) -> HttpResponse:
    """Answer a structural change with the refreshed grid (and maybe a toast)."""
    grid, _ = _grid(request, product, roadmap, editable=True)
    context = {"grid": grid, "toast": toast}
    response = render(request, f"{TEMPLATE}#grid-response", context, status=status)
    response = retarget(response, "#board-grid")
    response = reswap(response, "outerHTML")
    return trigger_client_event(
        response, "board-changed", {"revision": roadmap.revision, "grid": True}
    )


def _card_response(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    kind: str,
    pk: int,
    *,
    editable: bool,
    revision: int | None = None,
    card: Any = None,
) -> HttpResponse:
    """Answer with one card as the board shows it (read again unless given)."""
    if card is None:
        card = load_card(roadmap, kind, pk)
    response = render(
        request,
        f"{TEMPLATE}#card",
        {"card": card, "product": product, "roadmap": roadmap, "can_edit": editable},
    )
    if revision is not None:
        response = trigger_client_event(
            response, "board-changed", {"revision": revision, "grid": False}
        )
    return response


def _toast_url(name: str, product: Product, kind: str, pk: int) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, kind, pk])


# Reading ---------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def board(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    editable = can_edit(request.user, product)
    roadmap = roadmap_for_board(product)
    grid, filters = _grid(request, product, roadmap, editable=editable)
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponse(grid.html)
    context = {
        "product": product,
        "roadmap": roadmap,
        "can_edit": editable,
        "grid": grid,
        "filters": filters,
    }
    return render(request, TEMPLATE, context)


@require_GET
@login_required
def board_revision(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Say cheaply whether the board changed: 304 while the ETag still holds."""
    product = product_for_viewer(request.user, slug)
    revision = (
        Roadmap.objects.filter(product=product)
        .values_list("revision", flat=True)
        .first()
    ) or 0
    etag = f'"{revision}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(str(revision), content_type="text/plain")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@login_required
def card_detail(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    roadmap = _roadmap(product)
    try:
        return _card_response(
            request,
            product,
            roadmap,
            kind,
            pk,
            editable=can_edit(request.user, product),
        )
    except CARD_MODELS[kind].DoesNotExist:
        raise Http404 from None


@require_GET
@login_required
def outcome_panel(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The side panel: an outcome's full line of sight."""
    product = product_for_viewer(request.user, slug)
    roadmap = _roadmap(product)
    outcome = get_object_or_404(
        Outcome.objects.filter(roadmap=roadmap).alive().select_related("goal__theme"),
        pk=pk,
    )
    return _render_panel(request, product, roadmap, outcome)


def _render_panel(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    outcome: Outcome,
    *,
    dependency_form: TeamDependencyForm | None = None,
    status: int = 200,
    message: str = "",
) -> HttpResponse:
    key_results = list(
        KeyResult.objects.with_current()
        .filter(board_card__outcome=outcome, board_card__deleted_at__isnull=True)
        .select_related("board_card")
    )
    context = {
        "product": product,
        "roadmap": roadmap,
        "outcome": outcome,
        "can_edit": can_edit(request.user, product),
        "horizon_label": roadmap.horizon_label(outcome.horizon),
        "key_results": [
            (
                kr,
                kr.progress(),
                kr.metric.format(kr.current_value)
                if kr.current_value is not None
                else "",
            )
            for kr in key_results
        ],
        "features": list(
            outcome.features.alive().select_related("team").order_by("position")
        ),
        "challenges": list(outcome.challenges.alive().order_by("position")),
        "teams": list(outcome.teams.all()),
        "dependencies": list(outcome.dependencies.select_related("team")),
        "insights": list(
            Insight.objects.filter(outcome=outcome).select_related("author")[:20]
        ),
        "dependency_form": dependency_form
        or TeamDependencyForm(auto_id=f"id_dep{outcome.pk}_%s"),
        "message": message,
    }
    return render(request, f"{TEMPLATE}#outcome-panel", context, status=status)


@require_GET
@login_required
def deleted_cards(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The board's recently deleted cards, newest first, each restorable."""
    product = product_for_viewer(request.user, slug)
    roadmap = _roadmap(product)
    items = []
    for kind, model in CARD_MODELS.items():
        queryset = model.objects.filter(roadmap=roadmap).deleted()
        if kind == "metric":
            queryset = queryset.select_related("key_result__metric")
        for card in queryset[:30]:
            items.append({"kind": kind, "row": ROW_BY_KIND[kind], "card": card})
    items.sort(key=lambda item: item["card"].deleted_at, reverse=True)
    return render(
        request,
        f"{TEMPLATE}#deleted-list",
        {
            "product": product,
            "roadmap": roadmap,
            "items": items[:30],
            "can_edit": can_edit(request.user, product),
        },
    )


# Adding and editing ------------------------------------------------------------


def _form_kwargs(product: Product, roadmap: Roadmap, prefix: str) -> dict[str, Any]:
    return {"product": product, "roadmap": roadmap, "auto_id": f"id_{prefix}_%s"}


@require_http_methods(["GET", "POST"])
@login_required
def card_create(request: HtmxHttpRequest, slug: str, kind: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    data = request.POST if request.method == "POST" else None
    horizon = (data or request.GET).get("horizon", Horizon.CURRENT)
    if horizon not in Horizon.values:
        return HttpResponseBadRequest("Unknown horizon.")
    prefix = f"new{kind}{horizon}"
    initial = {}
    outcome_id = request.GET.get("outcome", "")
    if request.method == "GET" and outcome_id.isascii() and outcome_id.isdigit():
        initial["outcome"] = int(outcome_id)
    form = CREATE_FORMS[kind](
        data, initial=initial, **_form_kwargs(product, roadmap, prefix)
    )
    kr_form = (
        KeyResultForm(data, product=product, auto_id=f"id_{prefix}kr_%s")
        if kind == "metric"
        else None
    )
    if request.method == "POST":
        is_valid = form.is_valid() & (kr_form is None or kr_form.is_valid())
        if is_valid:
            card = form.save(commit=False)
            card.horizon = horizon
            services.card_create(
                roadmap=roadmap,
                card=card,
                actor=request.user,
                teams=form.cleaned_data.get("teams", ()),
                key_result=kr_form.save(commit=False) if kr_form else None,
            )
            return _grid_response(request, product, roadmap)
    return render(
        request,
        f"{TEMPLATE}#add-form",
        {
            "product": product,
            "roadmap": roadmap,
            "kind": kind,
            "row": ROW_BY_KIND[kind],
            "horizon": horizon,
            "form": form,
            "kr_form": kr_form,
            "has_metrics": kind != "metric"
            or Metric.objects.filter(product=product).exists(),
        },
    )


def _edit_forms(
    kind: str,
    card: Any,
    product: Product,
    roadmap: Roadmap,
    data: Any = None,
) -> tuple[forms.ModelForm, KeyResultForm | None]:
    prefix = f"{kind}{card.pk}"
    form = EDIT_FORMS[kind](
        data, instance=card, **_form_kwargs(product, roadmap, prefix)
    )
    kr_form = None
    if kind == "metric":
        kr_form = KeyResultForm(
            data,
            instance=card.key_result,
            product=product,
            auto_id=f"id_{prefix}kr_%s",
        )
    return form, kr_form


@require_http_methods(["GET", "POST"])
@login_required
def card_edit(request: HtmxHttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    card, roadmap = _card_with_roadmap(product, kind, pk)
    if request.method == "GET":
        if card.is_deleted:
            raise Http404
        form, kr_form = _edit_forms(kind, card, product, roadmap)
        return _render_edit_form(
            request, product, kind, card, form, kr_form, card.version
        )

    version = _version(request)
    if version is None:
        return _missing_version()
    before = copy.copy(card)
    if kind == "metric":
        before.key_result = copy.copy(card.key_result)
    form, kr_form = _edit_forms(kind, card, product, roadmap, request.POST)
    is_valid = form.is_valid() & (kr_form is None or kr_form.is_valid())
    if not is_valid:
        return _render_edit_form(request, product, kind, card, form, kr_form, version)
    if before.is_deleted or before.version != version:
        return _conflict(request, product, roadmap, kind, pk, form, kr_form)
    values = {
        name: value
        for name, value in form.cleaned_data.items()
        if name != "teams" and name in form.Meta.fields
    }
    try:
        revision = services.card_update(
            roadmap=roadmap,
            card=before,
            version=version,
            values=values,
            teams=form.cleaned_data.get("teams"),
            key_result_values=dict(kr_form.cleaned_data) if kr_form else None,
            key_result_version=_key_result_version(request),
            actor=request.user,
        )
    except StaleVersion:
        return _conflict(request, product, roadmap, kind, pk, form, kr_form)
    saved = None
    if kind in ("challenge", "feature"):
        # The form holds the new values and their related rows: no re-read.
        card.version, card.updated_at = before.version, before.updated_at
        saved = card_as_saved(card, kind)
    return _card_response(
        request,
        product,
        roadmap,
        kind,
        pk,
        editable=True,
        revision=revision,
        card=saved,
    )


def _render_edit_form(
    request: HtmxHttpRequest,
    product: Product,
    kind: str,
    card: Any,
    form: forms.ModelForm,
    kr_form: KeyResultForm | None,
    version: int,
) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATE}#card-form",
        {
            "product": product,
            "kind": kind,
            "card": card,
            "form": form,
            "kr_form": kr_form,
            "version": version,
            "row": ROW_BY_KIND[kind],
        },
    )


def _display(field: forms.Field, value: Any) -> str:
    if value in (None, "") or (isinstance(value, list | tuple) and not value):
        return "—"
    if isinstance(value, list | tuple | models.QuerySet):
        return ", ".join(str(v) for v in value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(field, forms.ChoiceField) and not isinstance(
        field, forms.ModelChoiceField
    ):
        return str(dict(field.choices).get(value, value))
    return str(value)


def _conflict(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    kind: str,
    pk: int,
    form: forms.ModelForm,
    kr_form: KeyResultForm | None,
) -> HttpResponse:
    """Answer 409 with their saved values beside the ones just typed."""
    theirs = _card(roadmap, kind, pk)
    rows = []
    for each_form, instance in (
        (form, theirs),
        (kr_form, theirs.key_result if kind == "metric" else None),
    ):
        if each_form is None:
            continue
        for name, field in each_form.fields.items():
            if name == "teams":
                saved: Any = list(theirs.teams.all())
            else:
                saved = getattr(instance, name)
            mine = each_form.cleaned_data.get(name)
            saved_text, mine_text = _display(field, saved), _display(field, mine)
            rows.append(
                {
                    "label": field.label,
                    "theirs": saved_text,
                    "mine": mine_text,
                    "differs": saved_text != mine_text,
                }
            )
    posted = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("version", "kr_version", "csrfmiddlewaretoken")
        for value in values
    ]
    response = render(
        request,
        f"{TEMPLATE}#conflict",
        {
            "product": product,
            "kind": kind,
            "pk": pk,
            "theirs": theirs,
            "rows": rows,
            "posted": posted,
        },
        status=409,
    )
    return reswap(retarget(response, f"#{kind}-{pk}"), "outerHTML")


# Moving, deleting, restoring, linking ----------------------------------------


@require_POST
@login_required
def card_move(request: HtmxHttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    """Move a card to another horizon or within its cell (drag and drop or menu)."""
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    card = _card(roadmap, kind, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        return HttpResponseBadRequest(f"The card was not moved: {errors}")
    try:
        result = services.card_move(
            roadmap=roadmap,
            card=card,
            version=form.cleaned_data["version"],
            horizon=form.cleaned_data["horizon"] or None,
            before_id=form.cleaned_data["before"],
            direction=form.cleaned_data["direction"] or None,
            actor=request.user,
        )
    except StaleVersion:
        return _stale_grid(request, product, roadmap)
    toast = None
    if result.linked_elsewhere:
        label = roadmap.horizon_label(card.horizon)
        count = result.linked_elsewhere
        toast = Toast(
            message=(
                f"Moved “{card.title}” to {label}. Move its {count} linked "
                f"card{'s' if count != 1 else ''} (challenges, key results, "
                f"features) to {label} too?"
            ),
            timeout=20_000,
            action_label=f"Move them to {label}",
            action_url=reverse(
                "roadmap:outcome_move_linked", args=[product.slug, card.pk]
            ),
            action_vals=json.dumps({"version": card.version}),
        )
    return _grid_response(request, product, roadmap, toast=toast)


def _stale_grid(
    request: HtmxHttpRequest, product: Product, roadmap: Roadmap
) -> HttpResponse:
    roadmap.refresh_from_db(fields=["revision"])
    return _grid_response(
        request,
        product,
        roadmap,
        status=409,
        toast=Toast(
            "Someone changed this card since your board was loaded, so nothing "
            "was done. The board now shows the latest version.",
            tone="warning",
        ),
    )


@require_POST
@login_required
def outcome_move_linked(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    outcome = _card(roadmap, "outcome", pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        moved = services.outcome_move_linked(
            roadmap=roadmap, outcome=outcome, version=version, actor=request.user
        )
    except StaleVersion:
        return _stale_grid(request, product, roadmap)
    label = roadmap.horizon_label(outcome.horizon)
    return _grid_response(
        request,
        product,
        roadmap,
        toast=Toast(
            f"Moved {moved} linked card{'s' if moved != 1 else ''} to {label}."
        ),
    )


@require_POST
@login_required
def card_delete(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    card = _card(roadmap, kind, pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        services.card_delete(
            roadmap=roadmap, card=card, version=version, actor=request.user
        )
    except StaleVersion:
        return _stale_grid(request, product, roadmap)
    toast = Toast(
        message=f"Deleted “{card}”.",
        timeout=UNDO_MS,
        action_label="Undo",
        action_url=_toast_url("card_restore", product, kind, pk),
        action_vals=json.dumps({"version": card.version}),
    )
    return _grid_response(request, product, roadmap, toast=toast)


@require_POST
@login_required
def card_restore(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    card = _card(roadmap, kind, pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        services.card_restore(
            roadmap=roadmap, card=card, version=version, actor=request.user
        )
    except StaleVersion:
        return _stale_grid(request, product, roadmap)
    return _grid_response(
        request, product, roadmap, toast=Toast(f"Restored “{card}”.", tone="success")
    )


@require_POST
@login_required
def card_link(request: HtmxHttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    """Link a challenge, key result or feature to an outcome, or unlink it.

    Answered with the side panel of the outcome it was linked to (or from).
    """
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    if kind == "outcome":
        raise Http404
    card = _card(roadmap, kind, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("A link needs the card's version.")
    outcome = None
    if form.cleaned_data["outcome"]:
        outcome = (
            Outcome.objects.filter(roadmap=roadmap, pk=form.cleaned_data["outcome"])
            .alive()
            .first()
        )
        if outcome is None:
            return HttpResponseBadRequest("That outcome is not on this roadmap.")
    panel_outcome = outcome or (
        Outcome.objects.filter(roadmap=roadmap, pk=card.outcome_id)
        .select_related("goal__theme")
        .first()
    )
    try:
        revision = services.card_update(
            roadmap=roadmap,
            card=card,
            version=form.cleaned_data["version"],
            values={"outcome": outcome},
            actor=request.user,
        )
    except StaleVersion:
        if panel_outcome is None:
            return _stale_grid(request, product, roadmap)
        return _render_panel(
            request,
            product,
            roadmap,
            panel_outcome,
            status=409,
            message="Someone changed that card since this panel was shown; "
            "nothing was changed. Here is the latest version.",
        )
    if panel_outcome is None:
        return _grid_response(request, product, roadmap)
    response = _render_panel(request, product, roadmap, panel_outcome)
    return trigger_client_event(
        response, "board-changed", {"revision": revision, "grid": False, "stale": True}
    )


@require_POST
@login_required
def dependency_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    outcome = get_object_or_404(
        Outcome.objects.filter(roadmap=roadmap).alive().select_related("goal__theme"),
        pk=pk,
    )
    version = _version(request)
    if version is None:
        return _missing_version()
    form = TeamDependencyForm(request.POST, auto_id=f"id_dep{outcome.pk}_%s")
    if not form.is_valid():
        return _render_panel(request, product, roadmap, outcome, dependency_form=form)
    try:
        services.dependency_add(
            roadmap=roadmap,
            outcome=outcome,
            version=version,
            dependency=form.save(commit=False),
            actor=request.user,
        )
    except StaleVersion:
        outcome.refresh_from_db()
        return _render_panel(
            request,
            product,
            roadmap,
            outcome,
            dependency_form=form,
            status=409,
            message="Someone changed this outcome since the panel was shown. "
            "Check the latest version, then add the dependency again.",
        )
    response = _render_panel(request, product, roadmap, outcome)
    return trigger_client_event(
        response, "board-changed", {"revision": roadmap.revision, "grid": False}
    )


@require_POST
@login_required
def dependency_delete(
    request: HtmxHttpRequest, slug: str, pk: int, dependency_pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    outcome = get_object_or_404(
        Outcome.objects.filter(roadmap=roadmap).alive().select_related("goal__theme"),
        pk=pk,
    )
    dependency = get_object_or_404(
        TeamDependency.objects.select_related("team"), pk=dependency_pk, outcome=outcome
    )
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        services.dependency_remove(
            roadmap=roadmap,
            outcome=outcome,
            version=version,
            dependency=dependency,
            actor=request.user,
        )
    except StaleVersion:
        outcome.refresh_from_db()
        return _render_panel(
            request,
            product,
            roadmap,
            outcome,
            status=409,
            message="Someone changed this outcome since the panel was shown; "
            "nothing was removed.",
        )
    response = _render_panel(request, product, roadmap, outcome)
    return trigger_client_event(
        response, "board-changed", {"revision": roadmap.revision, "grid": False}
    )
