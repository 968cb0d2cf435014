"""The line of sight page: vision -> themes -> goals -> outcomes -> features."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.types import HtmxHttpRequest
from strategy.permissions import product_for_viewer


@require_GET
@login_required
def alignment(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    return render(request, "roadmap/alignment.html", {"product": product})
