"""Reading the board: the page, its refresh, a cell's further cards."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseNotModified
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from config.types import HtmxHttpRequest
from roadmap import board as engine
from roadmap import board_memory
from roadmap.board import (
    MORE_PAGE,
    ROW_BY_KIND,
    BoardFilters,
    FilterOptions,
    Page,
    Pieces,
)
from roadmap.board_data import board_data
from roadmap.forms import BoardFilterForm
from roadmap.models import Horizon, Roadmap
from strategy.models import Product
from strategy.permissions import can_edit, product_for_viewer

TEMPLATE = "roadmap/board.html"


def roadmap_for(product: Product) -> Roadmap:
    """The product's roadmap, or an unsaved default: reading never writes."""
    return Roadmap.objects.filter(product=product).first() or Roadmap(product=product)


def filter_query(filters: BoardFilters) -> str:
    """The active filters as a query string, for URLs inside the grid."""
    values = {
        "goal": filters.goal,
        "theme": filters.theme,
        "team": filters.team,
        "status": filters.status,
        "q": filters.q,
        "by_score": "on" if filters.by_score else "",
    }
    return urlencode({k: v for k, v in values.items() if v})


def requested_loaded(request: HtmxHttpRequest) -> dict[str, int]:
    """How many cards the client holds per cell (it sends one value a cell)."""
    source = request.POST if request.method == "POST" else request.GET
    return engine.parse_loaded(",".join(source.getlist("loaded")))


def grid_context(
    product: Product,
    roadmap: Roadmap,
    grid: engine.Grid,
    filters: BoardFilters,
    page: Page,
    revision: int,
    *,
    oob: bool = False,
) -> dict[str, Any]:
    pieces = Pieces(page)
    query = filter_query(filters)
    pieces.prefetch(
        (card for cell in grid.cells() for card in cell.cards),
        cells=grid.cells(),
        # What a cell's markup shows besides its cards: the same for the
        # whole board, and whether it is drawn as an out-of-band swap.
        around=(query, filters.is_active, oob),
    )
    return {
        "product": product,
        "roadmap": roadmap,
        "grid": grid,
        "filters": filters,
        "query": query,
        "page": page,
        "can_edit": page.can_edit,
        "pieces": pieces,
        "revision": revision,
        "oob": oob,
    }


def render_grid(
    product: Product,
    filters: BoardFilters,
    *,
    editable: bool,
    loaded: dict[str, int] | None = None,
    revision: int | None = None,
) -> tuple[str, str]:
    """The grid's HTML and the filter form's fields, cached while the plan holds.

    The filter form offers the goals, themes and teams the board refers to,
    so it is drawn with the grid. Text searches are not stored: each one is
    rarely asked twice.
    """
    loaded = loaded or {}
    revision = product.revision if revision is None else revision
    page = Page(product.slug, editable)
    key = engine.grid_cache_key(product.pk, revision, page, filters, loaded)
    cached = None if filters.q else engine.cache_get(key)
    if cached is not None:
        return cached
    roadmap = roadmap_for(product)
    data = board_data(roadmap, filters, loaded=loaded, revision=revision)
    context = grid_context(product, roadmap, data.grid, filters, page, revision)
    html = loader.render_to_string(f"{TEMPLATE}#board-grid", context)
    context["pieces"].save()
    result = (html, render_filter_fields(filters, data.options))
    if not filters.q:
        engine.cache_set(key, result)
    return result


def render_filter_fields(filters: BoardFilters, options: FilterOptions) -> str:
    """The filter form's fields, drawn once per set of choices and filters.

    Django's widget templates make this cost more than the whole grid's
    cached pieces, and the choices change far less often than the plan.
    """
    key = engine.piece_key("filters", (options, filters))
    cached = engine.cache_get(key)
    if cached is not None:
        return cached
    form = BoardFilterForm(
        {
            "goal": filters.goal or "",
            "theme": filters.theme or "",
            "team": filters.team or "",
            "status": filters.status,
            "q": filters.q,
            "by_score": "on" if filters.by_score else "",
        }
    )
    form.offer(options)
    html = loader.render_to_string(f"{TEMPLATE}#filter-fields", {"filter_form": form})
    engine.cache_set(key, html)
    return html


def render_cells(
    product: Product,
    roadmap: Roadmap,
    cells: list[tuple[str, str]],
    *,
    loaded: dict[str, int],
    filters: BoardFilters | None = None,
    revision: int,
    is_current: bool = False,
) -> str:
    """Cells of the board as out-of-band swaps, with the board's counters.

    `is_current`: the client's board had the revision just before this write,
    so it may take the new one without a refresh.
    """
    filters = filters or BoardFilters()
    page = Page(product.slug, True)
    data = board_data(roadmap, filters, loaded=loaded, revision=revision)
    grid = data.grid.only(cells)
    context = grid_context(product, roadmap, grid, filters, page, revision, oob=True)
    context["is_current"] = is_current
    html = loader.render_to_string(f"{TEMPLATE}#cells-update", context)
    context["pieces"].save()
    return html


# Reading ---------------------------------------------------------------------


@require_safe
@login_required
@vary_on_headers("HX-Request")
def board(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    editable = can_edit(request.user, product)
    form = BoardFilterForm(request.GET)
    filters = form.filters()
    html, filter_fields = render_grid(
        product, filters, editable=editable, loaded=requested_loaded(request)
    )
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponse(html)
    board_memory.may_keep(request, product.pk)
    return board_page(request, product, html=html, filter_fields=filter_fields)


def board_page(
    request: HtmxHttpRequest,
    product: Product,
    *,
    panel_html: str = "",
    status: int = 200,
    html: str | None = None,
    filter_fields: str | None = None,
) -> HttpResponse:
    """The whole board page; `panel_html` opens the side panel with it.

    A side panel's URL opened directly (no JavaScript, a new tab) answers
    with this page, the panel in place.
    """
    editable = can_edit(request.user, product)
    filters = BoardFilterForm(request.GET).filters()
    if html is None or filter_fields is None:
        html, filter_fields = render_grid(
            product, filters, editable=editable, loaded=requested_loaded(request)
        )
    context = {
        "product": product,
        "can_edit": editable,
        "grid_html": html,
        "filter_fields": filter_fields,
        "filters": filters,
        "poll_seconds": settings.BOARD_POLL_SECONDS,
        "panel_html": panel_html,
    }
    return render(request, TEMPLATE, context, status=status)


@require_safe
@login_required
def board_revision(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Say cheaply whether the board changed since the revision a client has.

    With `since` (the open board's poll): 204 while nothing changed, else the
    fresh grid, which htmx morphs into the page. With If-None-Match: 304 or
    the revision as text.
    """
    product = product_for_viewer(request.user, slug)
    since = request.GET.get("since", "")
    if since:
        if since == str(product.revision):
            return HttpResponse(status=204)
        filters = BoardFilterForm(request.GET).filters()
        html, _ = render_grid(
            product,
            filters,
            editable=can_edit(request.user, product),
            loaded=requested_loaded(request),
        )
        return HttpResponse(html)
    etag = f'"{product.revision}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(str(product.revision), content_type="text/plain")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
@login_required
def cell_cards(
    request: HtmxHttpRequest, slug: str, kind: str, horizon: str
) -> HttpResponse:
    """The next cards of one cell, for "Show more" or a cell scrolled into view."""
    product = product_for_viewer(request.user, slug)
    if horizon not in Horizon.values:
        raise Http404
    offset_text = request.GET.get("offset", "0")
    if not (offset_text.isascii() and offset_text.isdigit()):
        return HttpResponseBadRequest("Say from which card to go on.")
    offset = int(offset_text)
    filters = BoardFilterForm(request.GET).filters()
    roadmap = roadmap_for(product)
    cards = engine.cell_cards(
        roadmap, kind, horizon, filters, offset=offset, limit=MORE_PAGE
    )
    cell = (kind, horizon)
    shown, _ = engine.cell_counts(roadmap, filters, [cell])[cell]
    page = Page(product.slug, can_edit(request.user, product))
    pieces = Pieces(page)
    pieces.prefetch(cards)
    context = {
        "product": product,
        "cards": cards,
        "page": page,
        "pieces": pieces,
        "cell_key": f"{kind}-{horizon}",
        "kind": kind,
        "horizon": horizon,
        "row": ROW_BY_KIND[kind],
        "loaded": offset + len(cards),
        "more": max(0, shown - offset - len(cards)),
        "query": filter_query(filters),
    }
    if not request.htmx:
        # Without JavaScript, show the board with this cell's next cards too.
        query = urlencode(
            {
                **dict(parse_qsl(filter_query(filters))),
                "loaded": f"{kind}-{horizon}:{offset + MORE_PAGE}",
            }
        )
        return redirect(f"{reverse('roadmap:board', args=[slug])}?{query}")
    response = render(request, f"{TEMPLATE}#more-cards", context)
    pieces.save()
    return response
