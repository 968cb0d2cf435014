"""A key challenge as an assumption to test: its confidence and its evidence."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from config.types import HtmxHttpRequest
from metrics.models import Measurement
from roadmap import services
from roadmap.assumptions import freshness, rule_text
from roadmap.forms import AssumptionForm, EvidenceForm, StaleDaysForm
from roadmap.models import Challenge, Evidence, Roadmap
from strategy.concurrency import Conflict, StaleVersion, render_conflict
from strategy.models import Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

TEMPLATE = "roadmap/assumption.html"


def _challenge(product: Product, pk: int) -> Challenge:
    return get_object_or_404(
        Challenge.objects.alive()
        .filter(roadmap__product=product)
        .select_related("roadmap", "outcome")
        .annotate(latest_evidence=Max("evidence__observed_on")),
        pk=pk,
    )


def _measurements(product: Product) -> Any:
    return (
        Measurement.objects.filter(metric__product=product)
        .select_related("metric")
        .order_by("-date", "-id")
    )


def _context(
    request: HtmxHttpRequest,
    product: Product,
    challenge: Challenge,
    *,
    assumption_form: AssumptionForm | None = None,
    evidence_form: EvidenceForm | None = None,
    stale_form: StaleDaysForm | None = None,
) -> dict[str, Any]:
    roadmap: Roadmap = challenge.roadmap
    editable = can_edit(request.user, product)
    latest = getattr(challenge, "latest_evidence", None)
    fresh = freshness(
        confidence=challenge.confidence,
        last_evidence_on=latest or challenge.assumed_on,
        today=timezone.localdate(),
        stale_days=roadmap.assumption_stale_days,
    )
    evidence = list(
        Evidence.objects.filter(challenge=challenge).select_related(
            "measurement__metric", "insight", "author"
        )
    )
    context: dict[str, Any] = {
        "product": product,
        "roadmap": roadmap,
        "challenge": challenge,
        "fresh": fresh,
        "latest_evidence": latest,
        "rule": rule_text(roadmap.assumption_stale_days),
        "evidence": evidence,
        "can_edit": editable,
    }
    if editable:
        context["assumption_form"] = assumption_form or AssumptionForm(
            instance=challenge
        )
        context["evidence_form"] = evidence_form or EvidenceForm(
            product=product, measurements=_measurements(product)
        )
        context["stale_form"] = stale_form or StaleDaysForm(instance=roadmap)
    return context


@require_safe
@login_required
def assumption(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A challenge's assumption: confidence, freshness and evidence."""
    product = product_for_viewer(request.user, slug)
    challenge = _challenge(product, pk)
    return render(request, TEMPLATE, _context(request, product, challenge))


def _page(product: Product, pk: int) -> str:
    return reverse("roadmap:assumption", args=[product.slug, pk])


def _conflict(
    request: HtmxHttpRequest, product: Product, form: Any, stale: StaleVersion, pk: int
) -> HttpResponse:
    conflict = Conflict.from_form(
        form,
        stale,
        subject="assumption",
        keep_mine_url=request.path,
        keep_theirs_url="",
        page_url=_page(product, pk),
        in_place=False,
    )
    return render_conflict(request, conflict, context={"product": product})


@require_POST
@login_required
def assumption_update(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Mark the challenge as an assumption to test (or not) and set a confidence."""
    product = product_for_editor(request.user, slug)
    challenge = _challenge(product, pk)
    form = AssumptionForm(request.POST, instance=challenge)
    if not form.is_valid():
        context = _context(request, product, challenge, assumption_form=form)
        return render(request, TEMPLATE, context)
    before = Challenge.objects.get(pk=pk)
    try:
        services.assumption_update(
            product=product,
            challenge=before,
            version=form.cleaned_data["version"],
            values=form.model_values(),
            actor=request.user,
            today=timezone.localdate(),
        )
    except StaleVersion as stale:
        return _conflict(request, product, form, stale, pk)
    messages.success(request, "Saved.")
    return redirect(_page(product, pk))


@require_POST
@login_required
def evidence_add(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Add evidence that supports or weakens the assumption."""
    product = product_for_editor(request.user, slug)
    challenge = _challenge(product, pk)
    form = EvidenceForm(
        request.POST, product=product, measurements=_measurements(product)
    )
    if not form.is_valid():
        context = _context(request, product, challenge, evidence_form=form)
        return render(request, TEMPLATE, context)
    services.evidence_add(
        product=product,
        challenge=challenge,
        evidence=form.save(commit=False),
        actor=request.user,
    )
    messages.success(request, "Evidence added.")
    return redirect(f"{_page(product, pk)}#evidence")


@require_POST
@login_required
def assumption_settings(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Set after how many days without evidence this product's assumptions go stale."""
    product = product_for_editor(request.user, slug)
    challenge = _challenge(product, pk)
    roadmap = challenge.roadmap
    form = StaleDaysForm(request.POST, instance=roadmap)
    if not form.is_valid():
        context = _context(request, product, challenge, stale_form=form)
        return render(request, TEMPLATE, context)
    before = Roadmap.objects.get(pk=roadmap.pk)
    try:
        services.stale_days_update(
            roadmap=before,
            version=form.cleaned_data["version"],
            days=form.cleaned_data["assumption_stale_days"],
            actor=request.user,
        )
    except StaleVersion as stale:
        return _conflict(request, product, form, stale, pk)
    messages.success(request, "Saved.")
    return redirect(_page(product, pk))
