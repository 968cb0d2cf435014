"""Snapshots of a plan: the list (editors take one by hand), one snapshot read
as the present page showed it then, and the comparison of two moments with
its digest for an email.

Every signed-in user reads all of these; only editors take snapshots. Share
links reach none of them (they open the share page only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from config.types import HtmxHttpRequest
from roadmap.compare import (
    AUDIENCES,
    Moment,
    PlanComparison,
    compare,
    digest,
    now_moment,
    snapshot_moment,
)
from roadmap.forms import SnapshotForm
from roadmap.models import Snapshot, SnapshotKind
from roadmap.present import presentation_from_plan
from roadmap.snapshots import snapshot_plan, take_snapshot
from strategy.models import Product
from strategy.permissions import can_edit, product_for_viewer

LIST_TEMPLATE = "roadmap/snapshots.html"
COMPARE_TEMPLATE = "roadmap/compare.html"
DIGEST_TEMPLATE = "roadmap/digest.html"


def snapshot_rows(product: Product) -> list[Snapshot]:
    """The product's snapshots without their documents, newest first."""
    return list(Snapshot.objects.filter(product=product).for_list())


@require_http_methods(["GET", "POST"])
@login_required
def snapshot_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """List the snapshots; an editor takes a new one with a name."""
    product = product_for_viewer(request.user, slug)
    editable = can_edit(request.user, product)
    form = SnapshotForm()
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = SnapshotForm(request.POST)
        if form.is_valid():
            snapshot = take_snapshot(
                product,
                name=form.cleaned_data["name"],
                kind=SnapshotKind.MANUAL,
                user=request.user,
            )
            messages.success(
                request, f"Took the snapshot “{snapshot.name}” of the whole plan."
            )
            return redirect("roadmap:snapshots", product.slug)
    snapshots = snapshot_rows(product)
    return render(
        request,
        LIST_TEMPLATE,
        {
            "product": product,
            "snapshots": snapshots,
            "form": form,
            "can_edit": editable,
            "picker": picker(snapshots),
        },
        status=400 if form.errors else 200,
    )


@require_safe
@login_required
def snapshot_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """One snapshot, read-only, in the present page's layout as it was then."""
    product = product_for_viewer(request.user, slug)
    snapshot = get_object_or_404(
        Snapshot.objects.select_related("taken_by"), product=product, pk=pk
    )
    doc = snapshot_plan(snapshot)
    taken_on = timezone.localtime(snapshot.taken_at).date()
    return render(
        request,
        "roadmap/present.html",
        {
            "product": product,
            "presentation": presentation_from_plan(doc, taken_on),
            "snapshot": snapshot,
        },
    )


# --- Comparing two moments -----------------------------------------------------


@dataclass(frozen=True)
class Picker:
    """The choices of the compare form: each snapshot, and "now" for `to`."""

    snapshots: tuple[Snapshot, ...]
    selected_from: str = ""
    selected_to: str = "now"


def picker(
    snapshots: list[Snapshot], chosen_from: str = "", chosen_to: str = "now"
) -> Picker:
    if not chosen_from and snapshots:
        chosen_from = str(snapshots[0].pk)
    return Picker(tuple(snapshots), chosen_from, chosen_to or "now")


class BadMoment(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def moment_ids(request: HtmxHttpRequest) -> tuple[int, int | None]:
    """Read `from` (a snapshot) and `to` (a snapshot or "now") from the query."""
    raw_from = request.GET.get("from", "").strip()
    raw_to = request.GET.get("to", "now").strip() or "now"
    ids: list[int | None] = []
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if name == "to" and raw == "now":
            ids.append(None)
            continue
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            raise BadMoment(
                f"“{raw[:40]}” is not a snapshot of this product: choose one "
                "from the list.",
                400,
            )
        ids.append(int(raw))
    assert ids[0] is not None
    return ids[0], ids[1]


def load_moments(
    product: Product, snapshots: list[Snapshot], from_id: int, to_id: int | None
) -> tuple[Moment, Moment]:
    """Both moments; a snapshot of another product answers 404 like a missing one."""
    known = {s.pk for s in snapshots}
    for pk in (from_id, to_id):
        if pk is not None and pk not in known:
            raise BadMoment(
                f"There is no snapshot {pk} of {product.name}. It may have been "
                "taken of another product; choose one from the list.",
                404,
            )
    wanted = [pk for pk in (from_id, to_id) if pk is not None]
    loaded = {s.pk: s for s in Snapshot.objects.filter(product=product, pk__in=wanted)}
    before = snapshot_moment(loaded[from_id])
    after = now_moment(product) if to_id is None else snapshot_moment(loaded[to_id])
    return before, after


def comparison_for(
    request: HtmxHttpRequest, product: Product, snapshots: list[Snapshot]
) -> PlanComparison:
    from_id, to_id = moment_ids(request)
    before, after = load_moments(product, snapshots, from_id, to_id)
    return compare(product, before, after)


def compare_query(comparison: PlanComparison) -> str:
    before = comparison.before.snapshot
    after = comparison.after.snapshot
    return f"from={before.pk if before else ''}&to={after.pk if after else 'now'}"


@require_safe
@login_required
def compare_view(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """What changed between two snapshots, or a snapshot and now."""
    product = product_for_viewer(request.user, slug)
    snapshots = snapshot_rows(product)
    context: dict[str, Any] = {"product": product, "snapshots": snapshots}
    status = 200
    if "from" in request.GET:
        try:
            comparison = comparison_for(request, product, snapshots)
        except BadMoment as error:
            context["error"] = error.message
            status = error.status
        else:
            context["comparison"] = comparison
            context["query"] = compare_query(comparison)
    context["picker"] = picker(
        snapshots, request.GET.get("from", ""), request.GET.get("to", "now")
    )
    return render(request, COMPARE_TEMPLATE, context, status=status)


@require_safe
@login_required
def compare_latest(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Compare the latest snapshot with now (the overview's "Compare with now")."""
    product = product_for_viewer(request.user, slug)
    latest = (
        Snapshot.objects.filter(product=product)
        .order_by("-taken_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if latest is None:
        messages.info(
            request, "There is no snapshot to compare with yet: take one first."
        )
        return redirect("roadmap:snapshots", product.slug)
    url = reverse("roadmap:compare", args=[product.slug])
    return redirect(f"{url}?from={latest}&to=now")


@require_safe
@login_required
def compare_digest(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The comparison as an email for one audience: HTML and plain text.

    `?format=txt` or `?format=html` downloads it as a file.
    """
    product = product_for_viewer(request.user, slug)
    if "from" not in request.GET:
        return redirect("roadmap:compare", product.slug)
    audience = request.GET.get("audience", "internal")
    if audience not in AUDIENCES:
        audience = "internal"
    snapshots = snapshot_rows(product)
    context: dict[str, Any] = {
        "product": product,
        "audiences": AUDIENCES,
        "audience": audience,
    }
    try:
        comparison = comparison_for(request, product, snapshots)
    except BadMoment as error:
        context["error"] = error.message
        context["picker"] = picker(snapshots)
        return render(request, COMPARE_TEMPLATE, context, status=error.status)
    mail = digest(product.name, comparison, audience)
    html = render_to_string("roadmap/digest_email.html", {"digest": mail})
    fmt = request.GET.get("format", "")
    if fmt in ("txt", "html"):
        stamp = timezone.localdate().isoformat()
        name = f"{product.slug}-changes-{audience}-{stamp}.{fmt}"
        body = mail.as_text() if fmt == "txt" else html
        content_type = "text/plain" if fmt == "txt" else "text/html"
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context.update(
        {
            "comparison": comparison,
            "query": compare_query(comparison),
            "digest": mail,
            "digest_html": html,
            "digest_text": mail.as_text(),
        }
    )
    return render(request, DIGEST_TEMPLATE, context)
