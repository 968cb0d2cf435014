"""Share links: the editors' management page and the public read-only page.

The public page (`share_page`) is reached by its secret alone. It reads no
session and no user, so a share link opens nothing else: every other URL
still asks its visitor to sign in.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from config.types import HtmxHttpRequest
from roadmap import sharing
from roadmap.forms import ShareLinkForm
from roadmap.models import ShareLink
from roadmap.present import load_customer_presentation, load_presentation
from strategy.models import Product
from strategy.permissions import product_for_editor

LIST_TEMPLATE = "roadmap/sharelink_list.html"


def share_link_context(product: Product, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    links = list(ShareLink.objects.filter(product=product).for_list())
    context = {
        "product": product,
        "rows": [(link, link.status_label(today)) for link in links],
        "form": ShareLinkForm(),
    }
    context.update(extra)
    return context


@require_http_methods(["GET", "POST"])
@login_required
def share_links(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """List the product's share links and create new ones (the link shows once)."""
    product = product_for_editor(request.user, slug)
    if request.method == "GET":
        return render(request, LIST_TEMPLATE, share_link_context(product))
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        return render(request, LIST_TEMPLATE, share_link_context(product, form=form))
    # login_required and the editor check let only a signed-in user this far.
    assert request.user.is_authenticated
    link, secret = sharing.share_link_create(
        product=product,
        label=form.cleaned_data["label"],
        scope=form.cleaned_data["scope"],
        expires_on=form.cleaned_data["expires_on"],
        created_by=request.user,
    )
    response = render(
        request,
        LIST_TEMPLATE,
        share_link_context(
            product,
            new_link=link,
            share_url=request.build_absolute_uri(reverse("share_page", args=[secret])),
        ),
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def share_link_revoke(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    link = get_object_or_404(
        ShareLink.objects.filter(revoked_at__isnull=True), product=product, pk=pk
    )
    sharing.share_link_revoke(link=link, actor=request.user)
    messages.success(request, f"Revoked “{link.label}”. The link no longer opens.")
    return redirect("roadmap:share_links", product.slug)


def with_share_headers(response: HttpResponse, etag: str | None = None) -> HttpResponse:
    for header, value in sharing.SHARE_HEADERS.items():
        response[header] = value
    if etag:
        response["ETag"] = etag
    return response


def render_share_page(link: ShareLink) -> str:
    """Render the page for the link's scope, with no request in the context.

    Without the request, no context processor runs: the page carries no
    CSRF token, user or session, and nothing of it depends on the visitor.
    """
    product = link.product
    if link.is_customer_safe:
        return render_to_string(
            "roadmap/share_customer.html",
            {"presentation": load_customer_presentation(product)},
        )
    return render_to_string(
        "roadmap/present.html",
        {
            "product": product,
            "presentation": load_presentation(product),
            "base_template": "roadmap/share_base.html",
            "is_shared": True,
        },
    )


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the stakeholder page to anyone holding a valid share link."""
    today = timezone.localdate()
    # The early 304 middleware may have opened the link (and counted the view).
    opened = getattr(request, "opened_share_link", None) or sharing.open_share_link(
        token, today
    )
    if opened is None:
        if sharing.find_share_link(token) is None:
            raise Http404("No such share link.")
        gone = render_to_string("roadmap/share_gone.html")
        return with_share_headers(HttpResponse(gone, status=410))
    etag = opened.etag(today)
    if etag in request.headers.get("If-None-Match", ""):
        return with_share_headers(HttpResponseNotModified(), etag)
    cache = caches["board"]
    key = f"share-page:{opened.product_id}:{opened.scope}:{etag.strip(chr(34))}"
    html = cache.get(key)
    if html is None:
        html = render_share_page(
            ShareLink.objects.select_related("product").get(pk=opened.pk)
        )
        cache.set(key, html)
    return with_share_headers(HttpResponse(html), etag)
