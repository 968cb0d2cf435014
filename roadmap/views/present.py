"""The stakeholder roadmap: a calm page to present, print or save as PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from config.types import HtmxHttpRequest
from roadmap.forms import BoardFilterForm
from roadmap.present import load_presentation
from strategy.permissions import can_edit, product_for_viewer

TEMPLATE = "roadmap/present.html"


@require_safe
@login_required
@vary_on_headers("HX-Request")
def present(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Show the vision, goals and horizons of a product to its stakeholders."""
    product = product_for_viewer(request.user, slug)
    form = BoardFilterForm(request.GET)
    presentation = load_presentation(product, form.filters())
    form.offer(presentation.options)
    template_name = TEMPLATE
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#present-content"
    return render(
        request,
        template_name,
        {
            "product": product,
            "presentation": presentation,
            "filter_form": form,
            "can_edit": can_edit(request.user, product),
        },
    )
