"""Closing outcomes (achieved, missed, dropped), reopening them, and the Done
archive where closed outcomes are read."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from config.types import HtmxHttpRequest
from roadmap import services
from roadmap.board import KINDS
from roadmap.done import load_done
from roadmap.forms import BoardFilterForm, OutcomeCloseForm
from roadmap.models import Horizon, Outcome, Roadmap
from roadmap.views.board import render_cells, requested_loaded, roadmap_for
from roadmap.views.cards import _missing_version, _version
from strategy.concurrency import Conflict, StaleVersion, render_conflict
from strategy.models import Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

CLOSE_TEMPLATE = "roadmap/outcome_close.html"


def _outcome(roadmap: Roadmap, pk: int) -> Outcome:
    return get_object_or_404(
        Outcome.objects.filter(roadmap_id=roadmap.pk).alive(), pk=pk
    )


def _close_context(
    product: Product, outcome: Outcome, form: OutcomeCloseForm
) -> dict[str, object]:
    return {"product": product, "outcome": outcome, "form": form}


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def outcome_close(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Close an outcome as achieved, missed or dropped, saying what was learned.

    Opened from the card's menu or the side panel (htmx puts the form in the
    panel); without JavaScript it is a page of its own.
    """
    product = product_for_editor(request.user, slug)
    roadmap = roadmap_for(product)
    outcome = _outcome(roadmap, pk)
    template_name = CLOSE_TEMPLATE + ("#outcome-close-form" if request.htmx else "")
    auto_id = f"id_close{outcome.pk}_%s"
    if request.method == "GET":
        if outcome.is_closed:
            raise Http404
        form = OutcomeCloseForm(instance=outcome, auto_id=auto_id)
        return render(request, template_name, _close_context(product, outcome, form))
    before = copy.copy(outcome)
    form = OutcomeCloseForm(request.POST, instance=outcome, auto_id=auto_id)
    if not form.is_valid():
        return render(request, template_name, _close_context(product, before, form))
    try:
        closed = services.outcome_close(
            roadmap=roadmap,
            outcome=before,
            version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
            learning=form.cleaned_data["learning"],
            actor=request.user,
        )
    except StaleVersion as stale:
        close_url = reverse("roadmap:outcome_close", args=[slug, pk])
        conflict = Conflict.from_form(
            form,
            stale,
            subject="outcome",
            keep_mine_url=close_url,
            keep_theirs_url=close_url,
            page_url=close_url,
            verb="closing",
        )
        return render_conflict(request, conflict, context={"product": product})
    label = before.get_status_display().lower()
    done_url = reverse("roadmap:done", args=[slug])
    if not request.htmx:
        messages.success(
            request, f"Closed “{before.title}” as {label}. It is in the Done archive."
        )
        return redirect("roadmap:board", slug=slug)
    panel = loader.render_to_string(
        f"{CLOSE_TEMPLATE}#outcome-closed",
        {"product": product, "outcome": before, "done_url": done_url},
        request,
    )
    # The outcome and the cards that served it leave every cell they were
    # in: the board's cells come along as out-of-band swaps.
    cells = render_cells(
        product,
        roadmap,
        [(kind, horizon) for kind in KINDS for horizon in Horizon.values],
        loaded=requested_loaded(request),
        filters=BoardFilterForm(request.GET).filters(),
        revision=closed.revision,
        is_current=request.POST.get("since") == str(closed.revision - 1),
    )
    return HttpResponse(panel + cells)


@require_POST
@login_required
def outcome_reopen(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Bring a closed outcome back to the board, as active."""
    product = product_for_editor(request.user, slug)
    roadmap = roadmap_for(product)
    outcome = _outcome(roadmap, pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    done_url = reverse("roadmap:done", args=[slug])
    try:
        services.outcome_reopen(
            roadmap=roadmap, outcome=outcome, version=version, actor=request.user
        )
    except (StaleVersion, ValueError):
        messages.warning(
            request,
            f"“{outcome.title}” changed since this page was shown; "
            "nothing was reopened. Here is the latest archive.",
        )
        if request.htmx:
            return HttpResponseClientRedirect(done_url)
        return redirect(done_url)
    messages.success(request, f"Reopened “{outcome.title}”: it is back on the board.")
    if request.htmx:
        return HttpResponseClientRedirect(done_url)
    return redirect(done_url)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def done(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Closed outcomes, newest first: achieved, missed or dropped, what was
    learned, and whether each key result hit its target."""
    product = product_for_viewer(request.user, slug)
    roadmap = roadmap_for(product)
    page = load_done(roadmap, request.GET.get("page"))
    template_name = "roadmap/done.html"
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#done-list"
    return render(
        request,
        template_name,
        {
            "product": product,
            "page": page,
            "can_edit": can_edit(request.user, product),
        },
    )
