"""The guided start of a new roadmap: its first outcome, metric and feature."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.types import HtmxHttpRequest
from roadmap.forms import GuidedStartForm
from roadmap.guided_start import start_roadmap
from strategy.permissions import product_for_editor


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def guided_start(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """One form for an outcome, how it will be measured and a first feature."""
    product = product_for_editor(request.user, slug)
    form = GuidedStartForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = start_roadmap(
            product=product,
            actor=request.user,
            outcome_title=data["outcome_title"],
            horizon=data["horizon"],
            goal=data["goal"],
            key_result=form.first_key_result(),
            feature_title=data["feature_title"],
        )
        messages.success(
            request,
            f"“{outcome.title}” is on the roadmap. Add what stands in its way next.",
        )
        return redirect("roadmap:board", product.slug)
    return render(
        request, "roadmap/guided_start.html", {"product": product, "form": form}
    )
