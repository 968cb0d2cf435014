from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.types import HtmxHttpRequest
from strategy.permissions import product_for_viewer


@require_GET
@login_required
def metric_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    metrics = product.metrics.with_latest()
    return render(
        request, "metrics/metric_list.html", {"product": product, "metrics": metrics}
    )
