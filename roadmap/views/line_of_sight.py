"""The line of sight: the tree from vision to features, its gaps and score."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from config.types import HtmxHttpRequest
from roadmap.line_of_sight import gap_groups, load_line_of_sight
from strategy.permissions import can_edit, product_for_viewer


@require_safe
@login_required
def line_of_sight(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Show the line of sight, its gaps and the alignment score."""
    product = product_for_viewer(request.user, slug)
    line_of_sight = load_line_of_sight(product)
    return render(
        request,
        "roadmap/line_of_sight.html",
        {
            "product": product,
            "line_of_sight": line_of_sight,
            "gap_groups": gap_groups(line_of_sight, product),
            "is_editor": can_edit(request.user, product),
        },
    )


@require_safe
@login_required
def line_of_sight_redirect(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Send the page's former address on to the line of sight, for bookmarks."""
    product = product_for_viewer(request.user, slug)
    return redirect("roadmap:line_of_sight", slug=product.slug, permanent=True)
