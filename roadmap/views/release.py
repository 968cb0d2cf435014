"""Did it move the metric? A released feature's key results before and after."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from config.types import HtmxHttpRequest
from metrics.models import KeyResult, Measurement
from metrics.releases import WINDOW, Release, ReleaseComparison, compare_release
from roadmap import services
from roadmap.models import Feature
from strategy.concurrency import (
    Conflict,
    StaleVersion,
    VersionedFormMixin,
    render_conflict,
)
from strategy.models import Product
from strategy.permissions import can_edit, product_for_viewer

TEMPLATE = "roadmap/feature_release.html"


class ReleaseDateForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Feature
        fields = ["released_on"]
        labels = {"released_on": "Release date"}
        widgets = {
            "released_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
        }


@dataclass(frozen=True)
class KeyResultAround:
    """One key result around the release: the comparison and what to draw."""

    key_result: KeyResult
    comparison: ReleaseComparison | None
    measurements: list[Measurement]


def key_results_of(feature: Feature) -> list[KeyResult]:
    """The key result the feature's impact names, then its outcome's, once each."""
    found: dict[int, KeyResult] = {}
    if feature.impact_key_result is not None:
        found[feature.impact_key_result.pk] = feature.impact_key_result
    if feature.outcome_id and feature.outcome and not feature.outcome.is_deleted:
        for key_result in KeyResult.objects.filter(
            success_metric__outcome_id=feature.outcome_id,
            success_metric__deleted_at__isnull=True,
        ).select_related("metric"):
            found.setdefault(key_result.pk, key_result)
    return list(found.values())


def around(feature: Feature, today: Any) -> list[KeyResultAround]:
    result = []
    for key_result in key_results_of(feature):
        if feature.released_on is None:
            result.append(KeyResultAround(key_result, None, []))
            continue
        measurements = list(
            key_result.metric.measurements.filter(
                date__gte=feature.released_on - WINDOW,
                date__lt=feature.released_on + WINDOW,
            ).order_by("date")
        )
        comparison = compare_release(
            [(m.date, m.value) for m in measurements],
            feature.released_on,
            unit=key_result.metric.unit,
            today=today,
        )
        result.append(KeyResultAround(key_result, comparison, measurements))
    return result


def _context(
    request: HtmxHttpRequest, product: Product, feature: Feature, **extra: Any
) -> dict[str, Any]:
    editable = can_edit(request.user, product)
    release = (
        [Release(feature.released_on, feature.title)] if feature.released_on else []
    )
    return {
        "product": product,
        "feature": feature,
        "key_results": around(feature, timezone.localdate()),
        "releases": release,
        "can_edit": editable,
        "form": ReleaseDateForm(instance=feature) if editable else None,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
def feature_release(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A feature's release date and its key results 4 weeks before and after."""
    product = product_for_viewer(request.user, slug)
    feature = get_object_or_404(
        Feature.objects.alive()
        .filter(roadmap__product=product)
        .select_related("roadmap", "outcome", "impact_key_result__metric"),
        pk=pk,
    )
    if request.method == "GET":
        return render(request, TEMPLATE, _context(request, product, feature))
    if not can_edit(request.user, product):
        raise PermissionDenied
    before = copy.copy(feature)
    form = ReleaseDateForm(request.POST, instance=feature)
    if not form.is_valid():
        feature.released_on = before.released_on
        return render(request, TEMPLATE, _context(request, product, before, form=form))
    try:
        services.card_update(
            roadmap=before.roadmap,
            card=before,
            version=form.cleaned_data.get("version", 0),
            values=form.model_values(),
            actor=request.user,
        )
    except StaleVersion as stale:
        conflict = Conflict.from_form(
            form,
            stale,
            subject="release date",
            keep_mine_url=request.path,
            keep_theirs_url=request.path,
        )
        return render_conflict(request, conflict, context={"product": product})
    return redirect("roadmap:feature_release", product.slug, feature.pk)
