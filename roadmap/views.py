from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.types import HtmxHttpRequest
from roadmap.models import Roadmap
from strategy.permissions import product_for_viewer


@require_GET
@login_required
def board(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    roadmap, _ = Roadmap.objects.get_or_create(product=product)
    return render(
        request, "roadmap/board.html", {"product": product, "roadmap": roadmap}
    )
