"""A product's history: the timeline of every change, and a change's reason.

The page reads entries of every app's items (strategy.HistoryEntry) and the
board's horizon labels, so it lives here, in the app at the top. Entries
are written only by the services (strategy.history); the one write here is
the reason an entry's author adds shortly after the change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap

from config.types import HtmxHttpRequest
from roadmap.models import Horizon, Roadmap
from strategy import history
from strategy.models import HistoryEntry, HistoryEntryQuerySet, ItemKind, Product
from strategy.permissions import product_for_viewer
from strategy.timeline import rows

TEMPLATE = "roadmap/history.html"
PAGE_SIZE = 50


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of item",
        required=False,
        choices=[("", "Every kind"), *ItemKind.choices],
    )
    horizon = forms.ChoiceField(
        required=False, choices=[("", "Every horizon"), *Horizon.choices]
    )
    person = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "Everyone")]
    )
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    moves = forms.BooleanField(label="Moves only", required=False)
    item = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, forms.TypedChoiceField)
        person.choices = [("", "Everyone"), *people]

    def apply(self, entries: HistoryEntryQuerySet) -> HistoryEntryQuerySet:
        """Narrow the entries to the valid filters (invalid ones are ignored)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("kind") and data.get("item"):
            entries = entries.for_item(data["kind"], data["item"])
        elif data.get("kind"):
            entries = entries.filter(item_kind=data["kind"])
        if data.get("horizon"):
            entries = entries.in_horizon(data["horizon"])
        if data.get("person"):
            entries = entries.filter(actor_id=data["person"])
        if data.get("since"):
            entries = entries.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            entries = entries.filter(created_at__date__lte=data["until"])
        if data.get("moves"):
            entries = entries.moves()
        return entries


def _people(product: Product) -> list[tuple[int, str]]:
    """Everyone who has an entry in the product's history, in one query."""
    user_model = get_user_model()
    users = user_model.objects.filter(
        pk__in=HistoryEntry.objects.for_product(product)
        .filter(actor__isnull=False)
        .values("actor_id")
    ).order_by("username")
    return [(user.pk, user.get_full_name() or user.get_username()) for user in users]


def horizon_labels(product: Product) -> dict[str, str]:
    roadmap = Roadmap.objects.filter(product=product).first() or Roadmap()
    return {value: label for value, label, _ in roadmap.horizons}


@require_safe
@login_required
@vary_on_headers("HX-Request")
def product_history(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The product's timeline, newest first, grouped by day, filtered, paged."""
    product = product_for_viewer(request.user, slug)
    form = HistoryFilterForm(request.GET or None, people=_people(product))
    entries = form.apply(HistoryEntry.objects.for_product(product)).for_list()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "product": product,
        "form": form,
        "page": page,
        "rows": rows(product, page.object_list, horizon_labels(product)),
        "query": query.urlencode(),
        "is_filtered": any(v for k, v in request.GET.items() if k != "page"),
    }
    template_name = TEMPLATE
    if request.htmx:
        template_name += "#history-timeline"
    return render(request, template_name, context)


def _safe_next(request: HtmxHttpRequest, fallback: str) -> str:
    """Where to go back to: a path on this site (never a URL name to look up)."""
    url = request.POST.get("next", "")
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


@require_POST
@login_required
def history_reason(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Add the reason to a change just made: by its author, once, shortly after.

    The only write an entry ever gets. Refused (403) for anyone but its
    author; refused (409) once it has a reason or the time to add one passed.
    """
    product = product_for_viewer(request.user, slug)
    entry = get_object_or_404(HistoryEntry.objects.for_product(product), pk=pk)
    if entry.actor_id != request.user.pk:
        raise PermissionDenied
    reason = request.POST.get("reason", "").strip()
    board_url = reverse("roadmap:board", args=[product.slug])
    if not reason:
        message, tone, status = "No reason given; nothing was saved.", "warning", 200
    elif history.add_reason(entry=entry, user=request.user, reason=reason):
        message, tone, status = "Reason saved with the change.", "success", 200
    else:
        message = "This change already has its reason, or it is too late to add one."
        tone, status = "warning", 409
    if not request.htmx:
        if status == 409:
            return HttpResponse(message, status=409)
        messages.success(request, message)
        return redirect(_safe_next(request, board_url))
    html = loader.render_to_string(
        "roadmap/board.html#toast",
        {"toast": {"message": message, "tone": tone, "timeout": 5000}},
    )
    return reswap(HttpResponse(html, status=status), "none")
