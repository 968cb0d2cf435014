"""Changing the board card by card: add, edit, move, delete, restore, link.

A write answers with what it changed: the card, or the cells it touched and
the board's counters as out-of-band swaps. Other open boards catch up through
the revision poll (views.board.board_revision).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.http import reswap, retarget, trigger_client_event

from config.types import HtmxHttpRequest
from roadmap import board as engine
from roadmap import services
from roadmap.board import ROW_BY_KIND, Page, Pieces
from roadmap.forms import (
    CREATE_FORMS,
    EDIT_FORMS,
    BoardCardForm,
    BoardFilterForm,
    CardKeyResultForm,
    LinkForm,
    MoveForm,
    VersionForm,
)
from roadmap.models import Horizon, Outcome, Roadmap
from roadmap.services import CARD_MODELS
from roadmap.views.board import (
    TEMPLATE,
    render_cells,
    render_grid,
    requested_loaded,
    roadmap_for,
)
from strategy.concurrency import (
    Conflict,
    StaleVersion,
    conflict_rows,
    posted_values,
    render_conflict,
)
from strategy.models import Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

UNDO_MS = 12_000


@dataclass(frozen=True)
class Toast:
    message: str
    tone: str = "info"
    timeout: int = 8_000
    action_label: str = ""
    action_url: str = ""
    action_vals: str = ""
    # The card the page focuses once the action is done (Undo: the restored card).
    focus: str = ""
    # Where a one-line reason for the change just made is posted (its
    # history entry's reason form); empty when none is asked.
    reason_url: str = ""


def reason_url(product: Product, entry_id: int | None) -> str:
    if entry_id is None:
        return ""
    return reverse("roadmap:history_reason", args=[product.slug, entry_id])


# What a card is read with: its roadmap, and the links its edit form shows,
# so a save that keeps them needs no query to recognise them (CardLinkField).
CARD_RELATED = {
    "outcome": ["roadmap", "goal"],
    "challenge": ["roadmap", "outcome"],
    "success_metric": ["roadmap", "key_result__metric", "outcome"],
    "feature": ["roadmap", "team", "outcome"],
}


def _card(product: Product, kind: str, pk: int) -> tuple[Any, Roadmap]:
    """A card of the product's roadmap (deleted or not) and the roadmap; 404 else."""
    queryset = CARD_MODELS[kind].objects.filter(roadmap__product=product)
    card = get_object_or_404(queryset.select_related(*CARD_RELATED[kind]), pk=pk)
    return card, card.roadmap


def _version(request: HtmxHttpRequest) -> int | None:
    form = VersionForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else None


def _key_result_version(request: HtmxHttpRequest) -> int | None:
    """The key result version a success metric card's form was rendered with."""
    try:
        return int(request.POST.get("kr_version", ""))
    except ValueError:
        return None


def _missing_version() -> HttpResponse:
    return HttpResponseBadRequest(
        "A change must say which version of the card it was made on."
    )


def _cell(kind: str, horizon: str) -> tuple[str, str]:
    return (kind, horizon)


def _touched(kind: str, card: Any) -> list[tuple[str, str]]:
    """The card's cell, and its outcome's when the outcome card counts it.

    An outcome card shows its features' count and its key results' bars.
    """
    cells = [_cell(kind, card.horizon)]
    if kind in ("feature", "success_metric") and card.outcome_id:
        horizon = (
            Outcome.objects.filter(pk=card.outcome_id, deleted_at__isnull=True)
            .values_list("horizon", flat=True)
            .first()
        )
        if horizon:
            cells.append(_cell("outcome", horizon))
    return cells


def _stale_elsewhere(response: HttpResponse) -> HttpResponse:
    """Ask the page to refresh the rest of the board now (through its poll)."""
    return trigger_client_event(response, "board-stale")


def outcomes_changed(response: HttpResponse, *pks: int | None) -> HttpResponse:
    """Tell the page which outcomes' side panels show something that changed.

    An open side panel of one of them reloads itself (`outcome-changed`), so
    the panel and the grid agree after every write.
    """
    changed = sorted({pk for pk in pks if pk})
    if not changed:
        return response
    return trigger_client_event(response, "outcome-changed", {"outcomes": changed})


def _panel_outcomes(kind: str, card: Any) -> tuple[int | None, ...]:
    """The outcomes whose panel shows this card: itself, or the one it serves."""
    return (card.pk,) if kind == "outcome" else (card.outcome_id,)


def _changed(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    cells: list[tuple[str, str]],
    revision: int | None,
    *,
    toast: Toast | None = None,
    status: int = 200,
    grown: tuple[str, str] | None = None,
    refresh: bool = False,
) -> HttpResponse:
    """Answer a write with the cells it touched, the counters and a toast.

    `grown` is a cell that gained a card: it shows one more than the client
    had, so a card added at the end stays in sight. `refresh`: cards beyond
    these cells changed too (an outcome's title on its linked cards), so the
    page refreshes the rest of the board.
    """
    if not request.htmx:
        return redirect("roadmap:board", slug=product.slug)
    if revision is None:
        product.refresh_from_db(fields=["revision"])
        revision = product.revision
    loaded = requested_loaded(request)
    if grown is not None:
        key = f"{grown[0]}-{grown[1]}"
        loaded[key] = max(loaded.get(key, engine.FIRST_PAGE), engine.FIRST_PAGE) + 1
    html = render_cells(
        product,
        roadmap,
        list(dict.fromkeys(cells)),
        loaded=loaded,
        filters=BoardFilterForm(request.GET).filters(),
        revision=revision,
        is_current=not refresh and request.POST.get("since") == str(revision - 1),
    )
    if toast:
        html += loader.render_to_string(f"{TEMPLATE}#toast", {"toast": toast})
    response = reswap(HttpResponse(html, status=status), "none")
    return _stale_elsewhere(response) if refresh else response


def _whole_grid(
    request: HtmxHttpRequest,
    product: Product,
    *,
    toast: Toast | None = None,
    status: int = 200,
) -> HttpResponse:
    """Answer a change of many cells (or a refused one) with the whole grid."""
    if not request.htmx:
        return redirect("roadmap:board", slug=product.slug)
    product.refresh_from_db(fields=["revision"])
    html, _ = render_grid(
        product,
        BoardFilterForm(request.GET).filters(),
        editable=True,
        loaded=requested_loaded(request),
    )
    if toast:
        html += loader.render_to_string(f"{TEMPLATE}#toast", {"toast": toast})
    response = HttpResponse(html, status=status)
    return reswap(retarget(response, "#board-grid"), "outerHTML")


def _card_response(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    kind: str,
    pk: int,
    *,
    editable: bool,
    card: engine.AnyCard | None = None,
) -> HttpResponse:
    """Answer with one card as the board shows it (read again unless given)."""
    card = card or engine.load_card(roadmap, kind, pk)
    if card is None:
        raise Http404
    pieces = Pieces(Page(product.slug, editable))
    response = HttpResponse(pieces.html(card))
    pieces.save()
    return response


# Reading one card --------------------------------------------------------------


@require_safe
@login_required
def card_detail(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    if not request.htmx:
        # Only a card of this roadmap is sent on to its board.
        _card(product, kind, pk)
        return redirect("roadmap:board", slug=slug)
    return _card_response(
        request,
        product,
        roadmap_for(product),
        kind,
        pk,
        editable=can_edit(request.user, product),
    )


@require_safe
@login_required
def card_menu(request: HtmxHttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    """A card's actions, each a form that also works without JavaScript."""
    product = product_for_editor(request.user, slug)
    card, roadmap = _card(product, kind, pk)
    if card.is_deleted:
        raise Http404
    context = {
        "product": product,
        "roadmap": roadmap,
        "kind": kind,
        "card": card,
        "row": ROW_BY_KIND[kind],
        "other_horizons": [h for h in roadmap.horizons if h[0] != card.horizon],
    }
    return _fragment(request, "card-menu", context, heading=f"Move or delete “{card}”")


def _fragment(
    request: HtmxHttpRequest,
    partial: str,
    context: dict[str, Any],
    *,
    heading: str,
    status: int = 200,
) -> HttpResponse:
    """Render a partial of the board for htmx, else as a page of its own."""
    if request.htmx:
        response = render(request, f"{TEMPLATE}#{partial}", context, status=status)
    else:
        page = {**context, "fragment": f"{TEMPLATE}#{partial}", "heading": heading}
        response = render(request, "roadmap/card_page.html", page, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# Adding and editing ------------------------------------------------------------


def _form_kwargs(product: Product, roadmap: Roadmap, prefix: str) -> dict[str, Any]:
    return {"product": product, "roadmap": roadmap, "auto_id": f"id_{prefix}_%s"}


@require_http_methods(["GET", "POST"])
@login_required
def card_create(request: HtmxHttpRequest, slug: str, kind: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = roadmap_for(product)
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
    kr_form = None
    if kind == "success_metric":
        # A key result for an outcome measures the outcome's goal by default,
        # on one of the product's metrics or on a new one named here.
        kr_initial = {}
        if "outcome" in initial:
            goal_id = (
                Outcome.objects.filter(roadmap=roadmap, pk=initial["outcome"])
                .values_list("goal_id", flat=True)
                .first()
            )
            if goal_id:
                kr_initial["goal"] = goal_id
        kr_form = CardKeyResultForm(
            data,
            product=product,
            initial=kr_initial,
            offer_new_metric=True,
            auto_id=f"id_{prefix}kr_%s",
        )
    if request.method == "POST":
        is_valid = form.is_valid() & (kr_form is None or kr_form.is_valid())
        if is_valid:
            roadmap = services.roadmap_for_write(product)
            card = form.save(commit=False)
            card.horizon = horizon
            new_metric = (
                kr_form.new_metric.model_values()
                if kr_form and kr_form.wants_new_metric and kr_form.new_metric
                else None
            )
            services.card_create(
                roadmap=roadmap,
                card=card,
                actor=request.user,
                teams=form.cleaned_data.get("teams", ()),
                key_result=kr_form.save(commit=False) if kr_form else None,
                new_metric=new_metric,
            )
            cell = _cell(kind, horizon)
            response = _changed(
                request, product, roadmap, _touched(kind, card), None, grown=cell
            )
            return outcomes_changed(response, getattr(card, "outcome_id", None))
    context = {
        "product": product,
        "roadmap": roadmap,
        "kind": kind,
        "row": ROW_BY_KIND[kind],
        "horizon": horizon,
        "form": form,
        "kr_form": kr_form,
    }
    heading = f"{ROW_BY_KIND[kind].add_label} to {roadmap.horizon_label(horizon)}"
    return _fragment(request, "add-form", context, heading=heading)


def _edit_forms(
    kind: str, card: Any, product: Product, roadmap: Roadmap, data: Any = None
) -> tuple[BoardCardForm, CardKeyResultForm | None]:
    prefix = f"{kind}{card.pk}"
    form = EDIT_FORMS[kind](
        data, instance=card, **_form_kwargs(product, roadmap, prefix)
    )
    kr_form = None
    if kind == "success_metric":
        kr_form = CardKeyResultForm(
            data, instance=card.key_result, product=product, auto_id=f"id_{prefix}kr_%s"
        )
    return form, kr_form


@require_http_methods(["GET", "POST"])
@login_required
def card_edit(request: HtmxHttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    card, roadmap = _card(product, kind, pk)
    if request.method == "GET":
        if card.is_deleted:
            raise Http404
        form, kr_form = _edit_forms(kind, card, product, roadmap)
        return _render_edit_form(request, product, kind, card, form, kr_form)

    version = _version(request)
    if version is None:
        return _missing_version()
    before = copy.copy(card)
    panel_before = _panel_outcomes(kind, card)
    if kind == "success_metric":
        before.key_result = copy.copy(card.key_result)
    form, kr_form = _edit_forms(kind, card, product, roadmap, request.POST)
    is_valid = form.is_valid() & (kr_form is None or kr_form.is_valid())
    if not is_valid:
        return _render_edit_form(request, product, kind, card, form, kr_form)
    if before.is_deleted or before.version != version:
        return _conflict(request, product, roadmap, kind, pk, form, kr_form)
    values = {k: v for k, v in form.model_values().items() if k != "teams"}
    try:
        services.card_update(
            roadmap=roadmap,
            card=before,
            version=version,
            values=values,
            teams=form.cleaned_data.get("teams"),
            key_result_values=kr_form.model_values() if kr_form else None,
            key_result_version=_key_result_version(request),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except StaleVersion:
        return _conflict(request, product, roadmap, kind, pk, form, kr_form)
    if not request.htmx:
        return redirect("roadmap:board", slug=slug)
    saved = None
    if kind in ("challenge", "feature"):
        card.version, card.updated_at = before.version, before.updated_at
        saved = engine.saved_card(card, roadmap)
    response = _card_response(
        request, product, roadmap, kind, pk, editable=True, card=saved
    )
    # An outcome's title shows on its linked cards, a key result's progress
    # on its outcome, a feature on its outcome's count: refresh those now.
    outcomes_changed(response, *panel_before, *_panel_outcomes(kind, card))
    if kind == "challenge" or (
        kind == "feature" and before.outcome_id == card.outcome_id
    ):
        return response
    return _stale_elsewhere(response)


def _render_edit_form(
    request: HtmxHttpRequest,
    product: Product,
    kind: str,
    card: Any,
    form: BoardCardForm,
    kr_form: CardKeyResultForm | None,
) -> HttpResponse:
    """The card's edit form; it carries the versions it was drawn with."""
    context = {
        "product": product,
        "kind": kind,
        "card": card,
        "form": form,
        "kr_form": kr_form,
        "row": ROW_BY_KIND[kind],
    }
    return _fragment(request, "card-form", context, heading=f"Edit “{card}”")


def _conflict(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    kind: str,
    pk: int,
    form: BoardCardForm,
    kr_form: CardKeyResultForm | None,
) -> HttpResponse:
    """Answer 409 with their saved values beside the ones just typed."""
    theirs, _ = _card(product, kind, pk)
    is_deleted = theirs.is_deleted
    rows = [] if is_deleted else conflict_rows(form, theirs)
    versions = {"version": theirs.version}
    if kr_form is not None:
        rows += [] if is_deleted else conflict_rows(kr_form, theirs.key_result)
        versions["kr_version"] = theirs.key_result.version
    conflict = Conflict(
        subject="card",
        keep_mine_url=reverse("roadmap:card_edit", args=[product.slug, kind, pk]),
        keep_theirs_url=reverse("roadmap:card_detail", args=[product.slug, kind, pk]),
        page_url=reverse("roadmap:board", args=[product.slug]),
        target=f"{kind}-{pk}",
        rows=rows,
        posted=posted_values(
            request.POST,
            exclude=["version", "kr_version", "loaded", "since", "reason"],
        ),
        versions=versions,
        is_deleted=is_deleted,
        message="It can be restored from “Recently deleted”." if is_deleted else "",
        css_class="card-conflict",
        attrs={"data-card-form": "", "data-kind": kind},
    )
    response = render_conflict(request, conflict, context={"product": product})
    return reswap(retarget(response, f"#{kind}-{pk}"), "outerHTML")


# Moving, deleting, restoring, linking ----------------------------------------


def _stale(request: HtmxHttpRequest, product: Product) -> HttpResponse:
    return _whole_grid(
        request,
        product,
        status=409,
        toast=Toast(
            "Someone changed this card since your board was loaded, so nothing "
            "was done. The board now shows the latest version.",
            tone="warning",
        ),
    )


@require_POST
@login_required
def card_move(request: HtmxHttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    """Move a card to another horizon or within its cell (drag and drop or menu)."""
    product = product_for_editor(request.user, slug)
    card, roadmap = _card(product, kind, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponseBadRequest(f"The card was not moved: {errors}")
    old_horizon = card.horizon
    target = form.cleaned_data["horizon"] or old_horizon
    at_most = requested_loaded(request).get(f"{kind}-{target}")
    if at_most is not None and target == old_horizon:
        at_most -= 1
    try:
        result = services.card_move(
            roadmap=roadmap,
            card=card,
            version=form.cleaned_data["version"],
            horizon=form.cleaned_data["horizon"] or None,
            before_id=form.cleaned_data["before"],
            direction=form.cleaned_data["direction"] or None,
            at_most=at_most,
            actor=request.user,
        )
    except StaleVersion:
        return _stale(request, product)
    toast = None
    label = roadmap.horizon_label(card.horizon)
    if result.linked_elsewhere:
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
            reason_url=reason_url(product, result.entry_id),
        )
    elif result.horizon_changed:
        # Every move between horizons asks why (drag and drop, the menu and
        # the keyboard all end here).
        toast = Toast(
            message=f"Moved “{card}” to {label}.",
            timeout=UNDO_MS,
            reason_url=reason_url(product, result.entry_id),
        )
    cells = [_cell(kind, old_horizon), _cell(kind, card.horizon)]
    grown = _cell(kind, card.horizon) if card.horizon != old_horizon else None
    response = _changed(
        request, product, roadmap, cells, result.revision, toast=toast, grown=grown
    )
    return outcomes_changed(response, *_panel_outcomes(kind, card))


@require_POST
@login_required
def outcome_move_linked(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    outcome, roadmap = _card(product, "outcome", pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        moved = services.outcome_move_linked(
            roadmap=roadmap, outcome=outcome, version=version, actor=request.user
        )
    except StaleVersion:
        return _stale(request, product)
    label = roadmap.horizon_label(outcome.horizon)
    response = _whole_grid(
        request,
        product,
        toast=Toast(
            f"Moved {moved} linked card{'s' if moved != 1 else ''} to {label}."
        ),
    )
    return outcomes_changed(response, outcome.pk)


@require_POST
@login_required
def card_delete(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    card, roadmap = _card(product, kind, pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        deleted = services.card_delete(
            roadmap=roadmap, card=card, version=version, actor=request.user
        )
    except StaleVersion:
        return _stale(request, product)
    toast = Toast(
        message=f"Deleted “{card}”.",
        timeout=UNDO_MS,
        action_label="Undo",
        action_url=reverse("roadmap:card_restore", args=[product.slug, kind, pk]),
        action_vals=json.dumps({"version": card.version}),
        focus=f"{kind}-{pk}",
        reason_url=reason_url(product, deleted.entry_id),
    )
    response = _changed(
        request,
        product,
        roadmap,
        _touched(kind, card),
        deleted.revision,
        toast=toast,
        refresh=kind == "outcome",
    )
    return outcomes_changed(response, *_panel_outcomes(kind, card))


@require_POST
@login_required
def card_restore(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    card, roadmap = _card(product, kind, pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        revision = services.card_restore(
            roadmap=roadmap, card=card, version=version, actor=request.user
        )
    except StaleVersion:
        return _stale(request, product)
    response = _changed(
        request,
        product,
        roadmap,
        _touched(kind, card),
        revision,
        toast=Toast(f"Restored “{card}”.", tone="success"),
        grown=_cell(kind, card.horizon),
        refresh=kind == "outcome",
    )
    return outcomes_changed(response, *_panel_outcomes(kind, card))


def _live_outcome(roadmap: Roadmap, pk: int | None) -> Outcome | None:
    if pk is None:
        return None
    return (
        Outcome.objects.filter(roadmap=roadmap, pk=pk)
        .alive()
        .select_related("goal__theme")
        .first()
    )


@require_POST
@login_required
def card_link(request: HtmxHttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    """Link a challenge, key result or feature to an outcome, or unlink it.

    Answered with the side panel of the outcome it was linked to (or from).
    """
    from roadmap.views.panel import render_panel

    product = product_for_editor(request.user, slug)
    if kind == "outcome":
        raise Http404
    card, roadmap = _card(product, kind, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("A link needs the card's version.")
    outcome = None
    if form.cleaned_data["outcome"]:
        outcome = _live_outcome(roadmap, form.cleaned_data["outcome"])
        if outcome is None:
            return HttpResponseBadRequest("That outcome is not on this roadmap.")
    panel_outcome = outcome or (
        Outcome.objects.filter(roadmap=roadmap, pk=card.outcome_id)
        .select_related("goal__theme")
        .first()
    )
    linked_before = card.outcome_id
    try:
        services.card_update(
            roadmap=roadmap,
            card=card,
            version=form.cleaned_data["version"],
            values={"outcome": outcome},
            actor=request.user,
        )
    except StaleVersion:
        if panel_outcome is None:
            return _stale(request, product)
        return render_panel(
            request,
            product,
            roadmap,
            panel_outcome,
            status=409,
            message="Someone changed that card since this panel was shown; "
            "nothing was changed. Here is the latest version.",
        )
    if panel_outcome is None:
        return outcomes_changed(_whole_grid(request, product), linked_before)
    # The answer is this outcome's panel; another open panel reloads itself.
    response = render_panel(request, product, roadmap, panel_outcome)
    others = {linked_before, card.outcome_id} - {panel_outcome.pk}
    return _stale_elsewhere(outcomes_changed(response, *others))
