from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.types import HtmxHttpRequest
from strategy.models import Company, Product
from strategy.permissions import can_manage_products, product_for_viewer


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    """List the products, each with the way into its pages."""
    products = (
        Product.objects.with_editor_flag(request.user)
        .annotate(
            goal_count=Count(
                "goals", filter=~Q(goals__status="archived"), distinct=True
            ),
            theme_count=Count("themes", distinct=True),
        )
        .order_by("name")
    )
    return render(
        request,
        "strategy/product_list.html",
        {
            "company": Company.objects.filter(pk=1).first(),
            "products": products,
            "can_manage_products": can_manage_products(request.user),
        },
    )


@require_GET
@login_required
def company(request: HtmxHttpRequest) -> HttpResponse:
    return render(
        request,
        "strategy/company_detail.html",
        {"company": Company.objects.filter(pk=1).first()},
    )


@require_GET
@login_required
def product_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    themes = product.themes.prefetch_related("goals")
    return render(
        request, "strategy/product_detail.html", {"product": product, "themes": themes}
    )
