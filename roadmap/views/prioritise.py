"""Prioritise with data: estimates, scores and ranks, and the portfolio balance.

One page (`prioritise`) with a tab for features and one for outcomes. Each
row's estimate is its own small form (inline, htmx; a plain post without
JavaScript); a save answers with the page's body, re-ranked.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from config.types import HtmxHttpRequest
from metrics.models import KeyResult
from roadmap import prioritisation, services
from roadmap.forms import (
    ESTIMATE_FORMS,
    SIZE_CHOICES,
    EstimateForm,
    PrioritisationSettingsForm,
)
from roadmap.models import Feature, Outcome, Roadmap
from roadmap.portfolio import load_portfolio
from roadmap.views.board import roadmap_for
from strategy.concurrency import Conflict, StaleVersion, render_conflict
from strategy.models import Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

TEMPLATE = "roadmap/prioritise.html"
TABS = {"feature": "Features", "outcome": "Outcomes"}
MODELS: dict[str, Any] = {"feature": Feature, "outcome": Outcome}


def _view(request: HtmxHttpRequest) -> tuple[str, str, bool]:
    """The tab, sort column and direction the page was asked for."""
    tab = request.GET.get("tab", "feature")
    sort = request.GET.get("sort", "rank")
    return (
        tab if tab in TABS else "feature",
        sort if sort in prioritisation.SORTS else "rank",
        request.GET.get("dir") == "desc",
    )


def _query(tab: str, sort: str, descending: bool) -> str:
    params = {"tab": tab}
    if sort != "rank":
        params["sort"] = sort
    if descending:
        params["dir"] = "desc"
    return urlencode(params)


def _items(roadmap: Roadmap, kind: str) -> Any:
    """The live items of a tab with what a row shows, in one query."""
    related = ["impact_key_result__metric"]
    if kind == "feature":
        related.append("outcome")
    return (
        MODELS[kind]
        .objects.alive()
        .filter(roadmap_id=roadmap.pk)
        .select_related(*related)
        .in_board_order()
    )


def page_context(
    request: HtmxHttpRequest,
    product: Product,
    *,
    bound: EstimateForm | None = None,
    bound_pk: int | None = None,
    settings_form: PrioritisationSettingsForm | None = None,
    message: str = "",
) -> dict[str, Any]:
    roadmap = roadmap_for(product)
    tab, sort, descending = _view(request)
    labels = {h: label for h, label, _ in roadmap.horizons}
    items = list(_items(roadmap, tab)) if roadmap.pk else []
    rows = prioritisation.rows_for(items, tab, labels)
    if bound is not None:
        for row in rows:
            if row.pk == bound_pk:
                row.errors = {k: [str(e) for e in v] for k, v in bound.errors.items()}
                row.typed = {name: bound.data.get(name, "") for name in bound.fields}
    board = prioritisation.arrange(rows, tab, roadmap.score_method, sort, descending)
    editable = can_edit(request.user, product)
    key_results = (
        list(KeyResult.objects.filter(metric__product=product).select_related("metric"))
        if editable
        else []
    )
    query = _query(tab, sort, descending)
    return {
        "product": product,
        "roadmap": roadmap,
        "board": board,
        "tab": tab,
        "tabs": TABS,
        "query": query,
        "sort_links": _sort_links(tab, sort, descending),
        "can_edit": editable,
        "key_results": key_results,
        "sizes": prioritisation_sizes(),
        "settings_form": settings_form
        or (PrioritisationSettingsForm(instance=roadmap) if editable else None),
        "portfolio": load_portfolio(roadmap),
        "message": message,
    }


def prioritisation_sizes() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in SIZE_CHOICES if value]


def _sort_links(tab: str, sort: str, descending: bool) -> dict[str, dict[str, str]]:
    """Each column's link (toggling its direction) and its aria-sort."""
    links = {}
    for column in prioritisation.SORTS:
        # Numbers read best highest first; titles A to Z; ranks 1 first.
        first_desc = column not in ("rank", "title")
        if column == sort:
            next_desc = not descending
            state = "descending" if descending else "ascending"
        else:
            next_desc = first_desc
            state = "none"
        links[column] = {
            "href": "?" + _query(tab, column, next_desc),
            "aria": state,
        }
    return links


def _render(
    request: HtmxHttpRequest, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    template = TEMPLATE + "#prioritise-body" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def prioritise(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Rank the product's features (or outcomes) by score, with the mix beside."""
    product = product_for_viewer(request.user, slug)
    return _render(request, page_context(request, product))


def _page_url(product: Product, request: HtmxHttpRequest) -> str:
    tab, sort, descending = _view(request)
    return (
        reverse("roadmap:prioritise", args=[product.slug])
        + "?"
        + _query(tab, sort, descending)
    )


@require_POST
@login_required
def estimate_save(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    """Save one item's estimate made at its version; answer with the body re-ranked."""
    product = product_for_editor(request.user, slug)
    if kind not in MODELS:
        raise Http404
    item = get_object_or_404(
        MODELS[kind]
        .objects.alive()
        .filter(roadmap__product=product)
        .select_related("roadmap"),
        pk=pk,
    )
    roadmap = item.roadmap
    # The form writes its values onto its instance; the service compares
    # them with the item as it was.
    before = copy.copy(item)
    form = ESTIMATE_FORMS[kind](request.POST, instance=item, product=product)
    if not form.is_valid():
        # The item as saved stays where it is; the typed values and their
        # errors are shown in its row.
        return _render(
            request,
            page_context(request, product, bound=form, bound_pk=item.pk),
        )
    try:
        services.card_update(
            roadmap=roadmap,
            card=before,
            version=form.cleaned_data.get("version", 0),
            values=form.model_values(),
            actor=request.user,
        )
    except StaleVersion as stale:
        page_url = _page_url(product, request)
        conflict = Conflict.from_form(
            form,
            stale,
            subject="estimate",
            keep_mine_url=request.get_full_path(),
            keep_theirs_url=page_url,
            target="prioritise-body",
            page_url=page_url,
        )
        return render_conflict(request, conflict, context={"product": product})
    if not request.htmx:
        return redirect(_page_url(product, request))
    context = page_context(request, product)
    board = context["board"]
    rank = next((r.rank for r in board.ranked if r.pk == item.pk), None)
    context["message"] = (
        f"Saved “{item.title}”: rank {rank} of {len(board.ranked)}."
        if rank
        else f"Saved “{item.title}”: not estimated yet."
    )
    return _render(request, context)


@require_POST
@login_required
def prioritise_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Choose the score method and set the portfolio's target mix."""
    product = product_for_editor(request.user, slug)
    roadmap = roadmap_for(product)
    form = PrioritisationSettingsForm(request.POST, instance=roadmap)
    if not form.is_valid():
        return _render(request, page_context(request, product, settings_form=form))
    try:
        services.prioritisation_settings_update(
            product=product,
            version=form.cleaned_data.get("version", roadmap.version),
            values=form.model_values(),
            actor=request.user,
        )
    except StaleVersion as stale:
        page_url = _page_url(product, request)
        conflict = Conflict.from_form(
            form,
            stale,
            subject="scoring and target mix",
            keep_mine_url=request.get_full_path(),
            keep_theirs_url=page_url,
            target="prioritise-body",
            page_url=page_url,
        )
        return render_conflict(request, conflict, context={"product": product})
    if not request.htmx:
        return redirect(_page_url(product, request))
    return _render(
        request, page_context(request, product, message="Saved the scoring and mix.")
    )
