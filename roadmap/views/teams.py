"""Teams and dependencies: who the plan counts on, their load, what waits on them.

Teams are shared by every product; what a product counts on from a team (its
capacity per horizon) is the product's own (roadmap.models.TeamCapacity).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from config.types import HtmxHttpRequest
from roadmap import services
from roadmap.forms import (
    DependencyCreateForm,
    DependencyFilterForm,
    DependencyStatusForm,
    TeamAddForm,
    TeamCapacityForm,
    TeamRenameForm,
)
from roadmap.models import Roadmap, Team, TeamCapacity, TeamDependency
from roadmap.teams import LOAD_RULE, TeamLoad, load_teams, product_teams
from strategy.concurrency import Conflict, StaleVersion, render_conflict
from strategy.models import Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

TEAMS_TEMPLATE = "roadmap/team_list.html"
DEPENDENCIES_TEMPLATE = "roadmap/dependency_list.html"
DEPENDENCIES_PER_PAGE = 100


def _roadmap(product: Product) -> Roadmap | None:
    return Roadmap.objects.filter(product=product).first()


def _labels(roadmap: Roadmap | None) -> dict[str, str]:
    shown = roadmap or Roadmap()
    return {value: label for value, label, _ in shown.horizons}


def _team_forms(
    load: TeamLoad, labels: dict[str, str], bound: tuple[str, Any] | None = None
) -> tuple[TeamRenameForm, TeamCapacityForm]:
    """The team's rename and capacity forms; `bound`: (which, form) just posted."""
    pk = load.team.pk
    which = bound[0] if bound else ""
    posted: Any = bound[1] if bound else None
    rename = (
        posted
        if which == "rename"
        else TeamRenameForm(instance=load.team, auto_id=f"id_team{pk}_%s")
    )
    capacity = (
        posted
        if which == "capacity"
        else TeamCapacityForm(
            instance=load.capacity,
            horizon_labels=labels,
            auto_id=f"id_capacity{pk}_%s",
        )
    )
    return rename, capacity


def _teams_context(
    request: HtmxHttpRequest,
    product: Product,
    *,
    add_form: TeamAddForm | None = None,
    bound: tuple[int, str, Any] | None = None,
) -> dict[str, Any]:
    roadmap = _roadmap(product)
    labels = _labels(roadmap)
    editable = can_edit(request.user, product)
    rows = []
    for load in load_teams(product, roadmap, labels):
        forms = None
        if editable:
            posted = bound[1:] if bound and bound[0] == load.team.pk else None
            forms = _team_forms(load, labels, posted)
        rows.append((load, forms))
    return {
        "product": product,
        "rows": rows,
        "can_edit": editable,
        "add_form": add_form or TeamAddForm(),
        "load_rule": LOAD_RULE,
        "over_count": sum(1 for load, _ in rows if load.over_committed),
    }


@require_safe
@login_required
@vary_on_headers("HX-Request")
def teams(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """A product's teams: what each owns or is needed by, and its load."""
    product = product_for_viewer(request.user, slug)
    return render(request, TEAMS_TEMPLATE, _teams_context(request, product))


@require_POST
@login_required
def team_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    form = TeamAddForm(request.POST)
    if not form.is_valid():
        context = _teams_context(request, product, add_form=form)
        return render(request, TEAMS_TEMPLATE, context)
    team, added = services.team_add(
        product=product, name=form.cleaned_data["name"], actor=request.user
    )
    if added:
        messages.success(request, f"“{team.name}” is on this product's plan now.")
    else:
        messages.info(request, f"“{team.name}” was on this product's plan already.")
    return redirect(f"{reverse('roadmap:teams', args=[slug])}#team-{team.pk}")


def _team_of(product: Product, pk: int) -> Team:
    roadmap = _roadmap(product)
    return get_object_or_404(
        product_teams(product, roadmap.pk if roadmap else None), pk=pk
    )


def _team_answer(
    request: HtmxHttpRequest,
    product: Product,
    team: Team,
    *,
    bound: tuple[int, str, Any] | None = None,
) -> HttpResponse:
    """The team's section for htmx; else back to the page (or it, with errors)."""
    if not request.htmx and bound is None:
        return redirect(
            f"{reverse('roadmap:teams', args=[product.slug])}#team-{team.pk}"
        )
    context = _teams_context(request, product, bound=bound)
    if not request.htmx:
        return render(request, TEAMS_TEMPLATE, context)
    row = next(row for row in context["rows"] if row[0].team.pk == team.pk)
    return render(request, f"{TEAMS_TEMPLATE}#team-section", {**context, "row": row})


@require_POST
@login_required
def team_rename(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    team = _team_of(product, pk)
    form = TeamRenameForm(request.POST, instance=team, auto_id=f"id_team{pk}_%s")
    if not form.is_valid():
        return _team_answer(request, product, team, bound=(pk, "rename", form))
    user = request.user
    editable = (
        None
        if getattr(user, "is_superuser", False)
        else set(Product.objects.editable_by(user).values_list("pk", flat=True))
    )
    try:
        services.team_rename(
            team=team,
            version=form.cleaned_data["version"],
            name=form.cleaned_data["name"],
            actor=user,
            editable=editable,
        )
    except services.TeamShared:
        form.add_error(
            "name",
            "Another product you do not edit counts on this team too; its "
            "editors or an admin can rename it.",
        )
        return _team_answer(request, product, team, bound=(pk, "rename", form))
    except StaleVersion as stale:
        return _conflict(request, product, form, stale, pk, "team")
    return _team_answer(request, product, team)


@require_POST
@login_required
def team_capacity(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    team = _team_of(product, pk)
    capacity = TeamCapacity.objects.filter(product=product, team=team).first()
    is_new = capacity is None
    capacity = capacity or TeamCapacity(product=product, team=team)
    form = TeamCapacityForm(
        request.POST,
        instance=capacity,
        horizon_labels=_labels(_roadmap(product)),
        auto_id=f"id_capacity{pk}_%s",
    )
    if not form.is_valid():
        return _team_answer(request, product, team, bound=(pk, "capacity", form))
    try:
        services.team_capacity_update(
            product=product,
            capacity=capacity,
            version=None if is_new else form.cleaned_data["version"],
            values=form.model_values(),
            actor=request.user,
        )
    except StaleVersion as stale:
        return _conflict(request, product, form, stale, pk, "team's capacity")
    return _team_answer(request, product, team)


def _conflict(
    request: HtmxHttpRequest,
    product: Product,
    form: Any,
    stale: StaleVersion,
    pk: int,
    subject: str,
) -> HttpResponse:
    page = reverse("roadmap:teams", args=[product.slug])
    conflict = Conflict.from_form(
        form,
        stale,
        subject=subject,
        keep_mine_url=request.path,
        keep_theirs_url="",
        page_url=f"{page}#team-{pk}",
        in_place=False,
    )
    return render_conflict(request, conflict, context={"product": product})


# Dependencies ------------------------------------------------------------------


def _filtered(roadmap: Roadmap, values: dict[str, Any], today: Any) -> Any:
    queryset = TeamDependency.objects.for_roadmap(roadmap.pk).for_list()
    if values.get("team"):
        queryset = queryset.filter(team_id=values["team"])
    status = values.get("status")
    if status == "open":
        queryset = queryset.open()
    elif status:
        queryset = queryset.filter(status=status)
    if values.get("overdue"):
        queryset = queryset.open().filter(due_date__lt=today)
    return queryset


def _dependencies_context(
    request: HtmxHttpRequest,
    product: Product,
    *,
    create_form: DependencyCreateForm | None = None,
    bound: tuple[int, Any] | None = None,
) -> dict[str, Any]:
    roadmap = _roadmap(product)
    today = timezone.localdate()
    filter_form = DependencyFilterForm(request.GET)
    teams = list(
        product_teams(product, roadmap.pk if roadmap else None).values_list(
            "pk", "name"
        )
    )
    filter_form.offer_teams(teams)
    values = filter_form.valid()
    editable = can_edit(request.user, product)
    page = None
    rows = []
    if roadmap is not None:
        page = Paginator(
            _filtered(roadmap, values, today), DEPENDENCIES_PER_PAGE
        ).get_page(request.GET.get("page"))
        for dependency in page:
            form = None
            if editable:
                data = bound[1] if bound and bound[0] == dependency.pk else None
                form = DependencyStatusForm(
                    data, instance=dependency, auto_id=f"id_dep{dependency.pk}_%s"
                )
            rows.append((dependency, dependency.is_overdue(today), form))
    query = urlencode(
        {k: v for k, v in request.GET.items() if k in ("team", "status", "overdue")}
    )
    return {
        "product": product,
        "roadmap": roadmap,
        "filter_form": filter_form,
        "rows": rows,
        "page": page,
        "query": query,
        "can_edit": editable,
        "create_form": create_form
        or (DependencyCreateForm(roadmap=roadmap) if editable else None),
        "today": today,
        "here": request.get_full_path(),
    }


@require_safe
@login_required
@vary_on_headers("HX-Request")
def dependencies(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every dependency of the plan, filterable by team and status."""
    product = product_for_viewer(request.user, slug)
    template = DEPENDENCIES_TEMPLATE
    if request.htmx:
        template += "#dependency-table"
    return render(request, template, _dependencies_context(request, product))


@require_POST
@login_required
def dependency_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    form = DependencyCreateForm(request.POST, roadmap=roadmap)
    if not form.is_valid():
        context = _dependencies_context(request, product, create_form=form)
        return render(request, DEPENDENCIES_TEMPLATE, context)
    dependency = services.dependency_create(
        product=product, dependency=form.save(commit=False), actor=request.user
    )
    messages.success(request, f"Added: {dependency}.")
    return redirect("roadmap:dependencies", slug=slug)


def _back(request: HtmxHttpRequest, slug: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ) and target.startswith(reverse("roadmap:dependencies", args=[slug])):
        return target
    return reverse("roadmap:dependencies", args=[slug])


@require_POST
@login_required
def dependency_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Save a dependency's status, note and due date (inline, or a plain post)."""
    product = product_for_editor(request.user, slug)
    roadmap = _roadmap(product)
    if roadmap is None:
        raise Http404
    dependency = get_object_or_404(
        TeamDependency.objects.for_roadmap(roadmap.pk).for_list(), pk=pk
    )
    form = DependencyStatusForm(
        request.POST, instance=dependency, auto_id=f"id_dep{pk}_%s"
    )
    if form.is_valid():
        before = TeamDependency.objects.get(pk=pk)
        try:
            services.dependency_update(
                product=product,
                dependency=before,
                version=form.cleaned_data["version"],
                values=form.model_values(),
                actor=request.user,
            )
        except StaleVersion as stale:
            conflict = Conflict.from_form(
                form,
                stale,
                subject="dependency",
                keep_mine_url=request.path,
                keep_theirs_url="",
                page_url=_back(request, slug),
                in_place=False,
            )
            return render_conflict(request, conflict, context={"product": product})
        if not request.htmx:
            messages.success(request, f"Saved: {before}.")
            return redirect(_back(request, slug))
        dependency = get_object_or_404(TeamDependency.objects.for_list(), pk=pk)
        form = DependencyStatusForm(instance=dependency, auto_id=f"id_dep{pk}_%s")
    elif not request.htmx:
        context = _dependencies_context(request, product, bound=(pk, request.POST))
        if not any(row[0].pk == pk for row in context["rows"]):
            context["rows"].insert(
                0, (dependency, dependency.is_overdue(timezone.localdate()), form)
            )
        return render(request, DEPENDENCIES_TEMPLATE, context)
    today = timezone.localdate()
    context = {
        "product": product,
        "row": (dependency, dependency.is_overdue(today), form),
        "can_edit": True,
        "here": _back(request, slug),
        "saved": form.is_bound is False,
    }
    return render(request, f"{DEPENDENCIES_TEMPLATE}#dependency-row", context)
