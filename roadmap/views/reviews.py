"""Reviews: the list with the cadence, starting, keeping and closing one.

Every signed-in user reads reviews; only the product's editors start, edit
and close them. Each edit of an open review carries its version: two people
editing one review never overwrite each other (the conflict view).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers

from config.types import HtmxHttpRequest
from roadmap import reviews as reading
from roadmap import services
from roadmap.forms import ReviewCadenceForm, ReviewCloseForm, ReviewForm
from roadmap.models import Review, VerdictChoice
from roadmap.views.board import roadmap_for
from strategy.concurrency import (
    Conflict,
    ConflictRow,
    StaleVersion,
    conflict_rows,
    display_value,
    posted_values,
    posted_version,
    render_conflict,
)
from strategy.models import Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

LIST_TEMPLATE = "roadmap/review_list.html"
DETAIL_TEMPLATE = "roadmap/review_detail.html"


def _review(product: Product, pk: int) -> Review:
    return get_object_or_404(
        Review.objects.filter(roadmap__product=product).select_related(
            "roadmap", "created_by", "closed_by"
        ),
        pk=pk,
    )


def _list_page(
    request: HtmxHttpRequest,
    product: Product,
    *,
    cadence_form: ReviewCadenceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    roadmap = roadmap_for(product)
    is_editor = can_edit(request.user, product)
    return render(
        request,
        LIST_TEMPLATE,
        {
            "product": product,
            "can_edit": is_editor,
            "schedule": roadmap.review_schedule(),
            "reviews": list(reading.reviews_for_list(roadmap)),
            "cadence_form": cadence_form
            or (ReviewCadenceForm(instance=roadmap) if is_editor else None),
        },
        status=status,
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def review_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The product's reviews, newest first, and when the next one is due."""
    product = product_for_viewer(request.user, slug)
    return _list_page(request, product)


@require_POST
@login_required
def review_start(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Open a review (or go to the one already open)."""
    product = product_for_editor(request.user, slug)
    roadmap = services.roadmap_for_write(product)
    review, is_new = reading.review_start(roadmap=roadmap, actor=request.user)
    if not is_new:
        messages.info(request, "A review is already open: here it is.")
    return redirect("roadmap:review_detail", slug=slug, pk=review.pk)


@require_POST
@login_required
def review_cadence(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Set how often the product's reviews are held."""
    product = product_for_editor(request.user, slug)
    roadmap = services.roadmap_for_write(product)
    form = ReviewCadenceForm(request.POST, instance=roadmap)
    if not form.is_valid():
        return _list_page(request, product, cadence_form=form)
    try:
        reading.cadence_update(
            roadmap=roadmap,
            version=form.cleaned_data["version"],
            cadence=form.cleaned_data["review_cadence"],
            actor=request.user,
        )
    except StaleVersion as stale:
        url = reverse("roadmap:review_cadence", args=[slug])
        conflict = Conflict.from_form(
            form,
            stale,
            subject="review cadence",
            keep_mine_url=url,
            keep_theirs_url=reverse("roadmap:review_list", args=[slug]),
            page_url=reverse("roadmap:review_list", args=[slug]),
        )
        return render_conflict(request, conflict, context={"product": product})
    messages.success(request, "Review cadence saved.")
    return redirect("roadmap:review_list", slug=slug)


def _detail_page(
    request: HtmxHttpRequest,
    product: Product,
    review: Review,
    *,
    form: ReviewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_editor = can_edit(request.user, product)
    rows = reading.verdict_rows(review)
    editing = review.is_open and is_editor
    if editing and form is None:
        form = ReviewForm(instance=review, rows=rows, auto_id="id_review_%s")
    previous = None if review.is_open else reading.previous_review(review)
    context: dict[str, Any] = {
        "product": product,
        "review": review,
        "rows": rows,
        "form": form if editing else None,
        "can_edit": is_editor,
        "previous": previous,
        "comparison_url": comparison_url(product, previous, review),
        "counts": {
            choice.value: sum(row.verdict == choice for row in rows)
            for choice in VerdictChoice
        },
    }
    return render(request, DETAIL_TEMPLATE, context, status=status)


def comparison_url(product: Product, previous: Review | None, review: Review) -> str:
    """The comparison between the previous review's snapshot and this one's.

    Empty for the first review, or when either has no snapshot.
    """
    if previous is None or not previous.snapshot_id or not review.snapshot_id:
        return ""
    query = urlencode({"from": previous.snapshot_id, "to": review.snapshot_id})
    return f"{reverse('roadmap:compare', args=[product.slug])}?{query}"


@require_safe
@login_required
@vary_on_headers("HX-Request")
def review_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A review: editors keep an open one here; everyone else reads it."""
    product = product_for_viewer(request.user, slug)
    return _detail_page(request, product, _review(product, pk))


@require_http_methods(["GET", "POST"])
@login_required
def review_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Save an open review's notes and verdicts, if no one saved it meanwhile."""
    product = product_for_editor(request.user, slug)
    review = _review(product, pk)
    if request.method == "GET" or not review.is_open:
        return redirect("roadmap:review_detail", slug=slug, pk=pk)
    rows = reading.verdict_rows(review)
    form = ReviewForm(request.POST, instance=review, rows=rows, auto_id="id_review_%s")
    if not form.is_valid():
        return _detail_page(request, product, review, form=form)
    try:
        reading.review_update(
            review=review,
            version=form.cleaned_data["version"],
            values=form.model_values(),
            verdicts=form.verdicts(),
        )
    except StaleVersion as stale:
        return _review_conflict(request, product, form, stale, rows)
    messages.success(request, "Review saved.")
    return redirect("roadmap:review_detail", slug=slug, pk=pk)


def _review_conflict(
    request: HtmxHttpRequest,
    product: Product,
    form: ReviewForm,
    stale: StaleVersion,
    rows: list[reading.VerdictRow],
) -> HttpResponse:
    """Their saved review beside what was typed: fields, then each verdict."""
    current = stale.current
    url = reverse("roadmap:review_edit", args=[product.slug, form.instance.pk])
    page_url = reverse("roadmap:review_detail", args=[product.slug, form.instance.pk])
    verdict_names = {n for n in form.fields if n.startswith(("verdict_", "note_"))}
    table = []
    if current is not None and current.is_open:
        table = conflict_rows(form, current, exclude=verdict_names)
        saved = {row.outcome_pk: row for row in reading.verdict_rows(current)}
        for row in rows:
            theirs = saved.get(row.outcome_pk)
            mine_verdict, mine_note = form.verdicts()[row.outcome_pk]
            pairs = [
                (
                    f"Verdict on “{row.title}”",
                    theirs.verdict_label if theirs else "—",
                    VerdictChoice(mine_verdict).label if mine_verdict else "No verdict",
                ),
                (
                    f"Why (“{row.title}”)",
                    display_value(theirs.note if theirs else ""),
                    display_value(mine_note),
                ),
            ]
            table += [ConflictRow(label, t, m, differs=t != m) for label, t, m in pairs]
    conflict = Conflict(
        subject="review",
        keep_mine_url=url,
        keep_theirs_url=page_url,
        page_url=page_url,
        rows=table,
        posted=posted_values(form.data, exclude=["version"]),
        versions={} if current is None else {"version": current.version},
        is_deleted=current is None or not current.is_open,
        message="It was closed meanwhile; a closed review is not changed."
        if current is not None and not current.is_open
        else "",
    )
    return render_conflict(request, conflict, context={"product": product})


@require_http_methods(["GET", "POST"])
@login_required
def review_close(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Close an open review: snapshot, comparison, and the outcomes it dropped."""
    product = product_for_editor(request.user, slug)
    review = _review(product, pk)
    if not review.is_open:
        return redirect("roadmap:review_detail", slug=slug, pk=pk)
    rows = reading.verdict_rows(review)
    dropped = [row for row in rows if row.verdict == VerdictChoice.DROP]
    form = ReviewCloseForm(request.POST or None, dropped=dropped)
    if request.method == "POST" and form.is_valid():
        try:
            reading.review_close(
                review=review,
                version=posted_version(request.POST),
                actor=request.user,
                drop=form.cleaned_data["drop"],
            )
        except StaleVersion:
            messages.warning(
                request,
                "Someone changed this review since the page was shown; it was "
                "not closed. Check the latest version, then close it.",
            )
            return redirect("roadmap:review_detail", slug=slug, pk=pk)
        messages.success(request, f"Closed the {review.in_sentence}.")
        return redirect("roadmap:review_detail", slug=slug, pk=pk)
    return render(
        request,
        "roadmap/review_close.html",
        {
            "product": product,
            "review": review,
            "rows": rows,
            "dropped": dropped,
            "form": form,
            "undecided": sum(not row.verdict for row in rows),
        },
    )
