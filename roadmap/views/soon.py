"""The Soon kit for sales, marketing and support, and the customer requests
they log from it."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers

from config.types import HtmxHttpRequest
from roadmap import services
from roadmap.forms import CustomerRequestForm, SoonFilterForm
from roadmap.models import Feature, InsightSource, Outcome
from roadmap.soon import load_soon_kit, mark_seen, soon_item
from strategy.models import Product
from strategy.permissions import can_edit, product_for_viewer

TEMPLATE = "roadmap/soon.html"


def _render_kit(
    request: HtmxHttpRequest, products: Sequence[Product], *, product: Product | None
) -> HttpResponse:
    form = SoonFilterForm(request.GET)
    if product is not None:
        del form.fields["product"]
    kit = load_soon_kit(products, form.filters(), user=request.user)
    form.offer(
        products=kit.product_options if product is None else (),
        themes=kit.theme_options,
        teams=kit.team_options,
    )
    template_name = TEMPLATE
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#soon-content"
    return render(
        request,
        template_name,
        {
            "product": product,
            "kit": kit,
            "filter_form": form,
            "seen_url": reverse("roadmap:soon_seen", args=[product.slug])
            if product
            else reverse("soon:seen"),
            "can_edit": product is not None and can_edit(request.user, product),
        },
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def product_soon(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """What is coming next in one product, in words customers may hear."""
    product = product_for_viewer(request.user, slug)
    return _render_kit(request, [product], product=product)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def all_soon(request: HtmxHttpRequest) -> HttpResponse:
    """What is coming next across every product the reader may see."""
    products = list(Product.objects.visible_to(request.user).order_by("name"))
    return _render_kit(request, products, product=None)


def _mark_seen(request: HtmxHttpRequest, products: Sequence[Product]) -> HttpResponse:
    try:
        mark_seen(request.user, request.POST.get("seen", ""), products)
    except signing.BadSignature:
        return HttpResponseBadRequest("This page is out of date; reload it.")
    if request.htmx:
        return HttpResponse(status=204)
    messages.success(request, "Marked as seen.")
    return redirect(_safe_next(request) or reverse("soon:all"))


@require_POST
@login_required
def product_soon_seen(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Remember what the kit showed, so the next visit lists what changed."""
    return _mark_seen(request, [product_for_viewer(request.user, slug)])


@require_POST
@login_required
def all_soon_seen(request: HtmxHttpRequest) -> HttpResponse:
    products = list(Product.objects.visible_to(request.user))
    return _mark_seen(request, products)


@require_http_methods(["GET", "POST"])
@login_required
def customer_request(
    request: HtmxHttpRequest, slug: str, kind: str, pk: int
) -> HttpResponse:
    """Log that a customer asked for an outcome or a feature."""
    product = product_for_viewer(request.user, slug)
    item = soon_item(product, kind, pk)
    if item is None:
        raise Http404("No such outcome or feature on this roadmap.")
    if request.method == "POST":
        form = CustomerRequestForm(request.POST)
        if form.is_valid():
            insight = form.save(commit=False)
            insight.author = request.user
            if kind == "outcome":
                insight.outcome = Outcome(pk=pk)
            else:
                insight.feature = Feature(pk=pk)
            services.insight_create(
                product=product, insight=insight, actor=request.user
            )
            message = f"Request from {insight.account} logged."
            if not request.htmx:
                messages.success(request, message)
                return redirect(_safe_next(request) or _kit_url(product))
            item = soon_item(product, kind, pk)
            return render(
                request,
                f"{TEMPLATE}#soon-item",
                {"product": product, "item": item, "message": message},
            )
    else:
        form = CustomerRequestForm(
            initial={"source": InsightSource.for_user(request.user)}
        )
    form.auto_id = f"id_request_{kind}{pk}_%s"
    context = {
        "product": product,
        "item": item,
        "form": form,
        "next": _safe_next(request),
    }
    if request.htmx:
        # A GET fills the item's empty slot; a refused POST redraws the item.
        partial = "request-form" if request.method == "GET" else "soon-item"
        return render(request, f"{TEMPLATE}#{partial}", context)
    return render(request, "roadmap/soon_request.html", context)


def _safe_next(request: HtmxHttpRequest) -> str:
    """Where to go back to: a path on this site only (never a URL name to look up)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _kit_url(product: Product) -> str:
    return reverse("roadmap:soon", args=[product.slug])
