"""The side panel: an outcome's full line of sight, its dependencies, and the
board's recently deleted cards."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Max, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from config.types import HtmxHttpRequest
from metrics.models import KeyResult
from roadmap import services
from roadmap.assumptions import Freshness, freshness
from roadmap.board import ROW_BY_KIND
from roadmap.forms import TeamDependencyForm
from roadmap.models import Insight, Outcome, Roadmap, TeamDependency
from roadmap.services import CARD_MODELS
from roadmap.views.board import TEMPLATE, board_page, roadmap_for
from roadmap.views.cards import _missing_version, _version
from strategy import timeline
from strategy.concurrency import StaleVersion
from strategy.models import ItemKind, Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer


def _outcome(roadmap: Roadmap, pk: int) -> Outcome:
    return get_object_or_404(
        Outcome.objects.filter(roadmap_id=roadmap.pk)
        .alive()
        .select_related("goal__theme"),
        pk=pk,
    )


# Customer requests and other insights the side panel shows at a time.
INSIGHTS_PER_PAGE = 10


def insights_page(outcome: Outcome, number: int) -> Page:
    """One page of what the field said about an outcome and its features."""
    insights = (
        Insight.objects.filter(Q(outcome=outcome) | Q(feature__outcome=outcome))
        .select_related("feature")
        .order_by("-created_at", "-id")
    )
    return Paginator(insights, INSIGHTS_PER_PAGE).get_page(number)


def assumption_freshness(challenge: Any, roadmap: Roadmap) -> Freshness | None:
    """How fresh a challenge's assumption is (it carries `latest_evidence`)."""
    if not challenge.is_assumption:
        return None
    return freshness(
        confidence=challenge.confidence,
        last_evidence_on=challenge.latest_evidence or challenge.assumed_on,
        today=timezone.localdate(),
        stale_days=roadmap.assumption_stale_days,
    )


def render_panel(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    outcome: Outcome,
    *,
    dependency_form: TeamDependencyForm | None = None,
    status: int = 200,
    message: str = "",
) -> HttpResponse:
    key_results = list(
        KeyResult.objects.with_current()
        .filter(
            success_metric__outcome=outcome, success_metric__deleted_at__isnull=True
        )
        .select_related("success_metric")
    )
    context = {
        "product": product,
        "roadmap": roadmap,
        "outcome": outcome,
        "can_edit": can_edit(request.user, product),
        "horizon_label": roadmap.horizon_label(outcome.horizon),
        "key_results": [
            (
                kr,
                kr.progress(),
                kr.metric.format(kr.current()) if kr.current() is not None else "",
            )
            for kr in key_results
        ],
        "features": list(
            outcome.features.alive().select_related("team").order_by("position")
        ),
        "challenges": [
            (challenge, assumption_freshness(challenge, roadmap))
            for challenge in outcome.challenges.alive()
            .annotate(latest_evidence=Max("evidence__observed_on"))
            .order_by("position")
        ],
        "teams": list(outcome.teams.all()),
        "dependencies": list(outcome.dependencies.select_related("team")),
        "insights": insights_page(outcome, 1),
        "dependency_form": dependency_form
        or TeamDependencyForm(auto_id=f"id_dep{outcome.pk}_%s"),
        "message": message,
        **timeline.item_context(
            product,
            ItemKind.OUTCOME,
            outcome.pk,
            "outcome",
            {value: label for value, label, _ in roadmap.horizons},
        ),
        "history_level": 3,
    }
    return _panel_response(request, product, "outcome-panel", context, status=status)


def _panel_response(
    request: HtmxHttpRequest,
    product: Product,
    partial: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """The side panel for htmx; opened directly, the board with the panel open."""
    if request.htmx:
        return render(request, f"{TEMPLATE}#{partial}", context, status=status)
    html = loader.render_to_string(f"{TEMPLATE}#{partial}", context, request)
    return board_page(request, product, panel_html=html, status=status)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def outcome_panel(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The side panel: an outcome's full line of sight."""
    product = product_for_viewer(request.user, slug)
    roadmap = roadmap_for(product)
    outcome = get_object_or_404(
        Outcome.objects.filter(roadmap_id=roadmap.pk).select_related("goal__theme"),
        pk=pk,
    )
    if outcome.is_deleted:
        # An open panel reloads after its outcome is deleted: say so.
        context = {"product": product, "outcome": outcome}
        return _panel_response(request, product, "outcome-panel-gone", context)
    return render_panel(request, product, roadmap, outcome)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def outcome_insights(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The next page of an outcome's insights, appended to the side panel's list."""
    product = product_for_viewer(request.user, slug)
    roadmap = roadmap_for(product)
    outcome = _outcome(roadmap, pk)
    context = {
        "product": product,
        "outcome": outcome,
        "insights": insights_page(outcome, _page_number(request)),
    }
    if not request.htmx:
        return render_panel(request, product, roadmap, outcome)
    return render(request, f"{TEMPLATE}#insight-items", context)


def _page_number(request: HtmxHttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_safe
@login_required
@vary_on_headers("HX-Request")
def deleted_cards(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The board's recently deleted cards, newest first, each restorable."""
    product = product_for_viewer(request.user, slug)
    roadmap = roadmap_for(product)
    items = []
    for kind, model in CARD_MODELS.items():
        queryset = model.objects.filter(roadmap_id=roadmap.pk).deleted()
        if kind == "success_metric":
            queryset = queryset.select_related("key_result__metric")
        for card in queryset[:30]:
            items.append({"kind": kind, "row": ROW_BY_KIND[kind], "card": card})
    items.sort(key=lambda item: item["card"].deleted_at, reverse=True)
    return _panel_response(
        request,
        product,
        "deleted-list",
        {
            "product": product,
            "roadmap": roadmap,
            "items": items[:30],
            "can_edit": can_edit(request.user, product),
        },
    )


def _dependency_stale(
    request: HtmxHttpRequest,
    product: Product,
    roadmap: Roadmap,
    outcome: Outcome,
    message: str,
    form: TeamDependencyForm | None = None,
) -> HttpResponse:
    outcome.refresh_from_db()
    return render_panel(
        request,
        product,
        roadmap,
        outcome,
        dependency_form=form,
        status=409,
        message=message,
    )


def _panel_changed(
    request: HtmxHttpRequest, product: Product, roadmap: Roadmap, outcome: Outcome
) -> HttpResponse:
    if not request.htmx:
        return redirect("roadmap:board", slug=product.slug)
    response = render_panel(request, product, roadmap, outcome)
    return trigger_client_event(response, "board-stale")


@require_POST
@login_required
def dependency_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = roadmap_for(product)
    outcome = _outcome(roadmap, pk)
    version = _version(request)
    if version is None:
        return _missing_version()
    form = TeamDependencyForm(request.POST, auto_id=f"id_dep{outcome.pk}_%s")
    if not form.is_valid():
        return render_panel(request, product, roadmap, outcome, dependency_form=form)
    try:
        services.dependency_add(
            roadmap=roadmap,
            outcome=outcome,
            version=version,
            dependency=form.save(commit=False),
            actor=request.user,
        )
    except StaleVersion:
        return _dependency_stale(
            request,
            product,
            roadmap,
            outcome,
            "Someone changed this outcome since the panel was shown. "
            "Check the latest version, then add the dependency again.",
            form,
        )
    return _panel_changed(request, product, roadmap, outcome)


@require_POST
@login_required
def dependency_delete(
    request: HtmxHttpRequest, slug: str, pk: int, dependency_pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = roadmap_for(product)
    outcome = _outcome(roadmap, pk)
    dependency = get_object_or_404(
        TeamDependency.objects.select_related("team"), pk=dependency_pk, outcome=outcome
    )
    version = _version(request)
    if version is None:
        return _missing_version()
    try:
        services.dependency_remove(
            roadmap=roadmap,
            outcome=outcome,
            version=version,
            dependency=dependency,
            actor=request.user,
        )
    except StaleVersion:
        return _dependency_stale(
            request,
            product,
            roadmap,
            outcome,
            "Someone changed this outcome since the panel was shown; "
            "nothing was removed.",
        )
    return _panel_changed(request, product, roadmap, outcome)
