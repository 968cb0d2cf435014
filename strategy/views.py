"""Company, product overview, themes and goals: read by all, edited inline.

Every editable block has a read partial and an edit partial in its page's
template. An edit posts the version it was rendered with; a stale version
answers 409 with the conflict partial, so no one's text is overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from config.types import HtmxHttpRequest
from strategy import services, timeline
from strategy.concurrency import Conflict, StaleVersion, render_conflict
from strategy.forms import (
    CompanyForm,
    GoalForm,
    InlineEditForm,
    ProductAccessForm,
    ProductForm,
    ProductSettingsForm,
    ThemeForm,
    VisionBoardForm,
)
from strategy.models import Company, Goal, ItemKind, Product, Theme
from strategy.overview import outcomes_by_horizon, review_schedule, roadmap_summary
from strategy.permissions import (
    can_edit,
    can_manage_products,
    product_for_editor,
    product_for_viewer,
)

if TYPE_CHECKING:
    from metrics.models import KeyResult

COMPANY_TEMPLATE = "strategy/company_detail.html"
PRODUCT_TEMPLATE = "strategy/product_detail.html"
GOAL_TEMPLATE = "strategy/goal_detail.html"


def _save_inline(
    request: HtmxHttpRequest,
    form: InlineEditForm,
    *,
    save: Callable[..., object],
    subject: str,
    target: str,
    read_url: str,
    page_url: str,
    template_name: str,
    context: dict[str, Any],
    read_partial: str,
    form_partial: str,
    page: Callable[[dict[str, Any]], HttpResponse] | None = None,
) -> HttpResponse | None:
    """Validate and save an inline edit; return the response for htmx.

    `save(version=..., values=...)` is the service that writes. A stale
    version answers 409 with the conflict in place of the form (`target` is
    the id of the edited region). Return None after a successful save from a
    plain (non-htmx) form, so the caller can redirect. `page(context)` draws
    the whole page with the form in place, for a plain form with errors.
    """
    if not form.is_valid():
        if page is not None and not request.htmx:
            return page({**context, "form": form})
        return render(
            request, f"{template_name}#{form_partial}", {**context, "form": form}
        )
    try:
        save(version=form.cleaned_data["version"], values=form.model_values())
    except StaleVersion as stale:
        conflict = Conflict.from_form(
            form,
            stale,
            subject=subject,
            keep_mine_url=request.path,
            keep_theirs_url=read_url,
            target=target,
            page_url=page_url,
        )
        return render_conflict(request, conflict, context=context)
    if not request.htmx:
        return None
    return render(request, f"{template_name}#{read_partial}", context)


# Products ---------------------------------------------------------------


@require_safe
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    """List the products, each with the way into its pages."""
    products = (
        Product.objects.visible_to(request.user)
        .with_editor_flag(request.user)
        .annotate(
            goal_count=Count(
                "goals", filter=~Q(goals__status=Goal.Status.ARCHIVED), distinct=True
            ),
            theme_count=Count("themes", distinct=True),
        )
        .order_by("name")
    )
    return render(
        request,
        "strategy/product_list.html",
        {
            "company": Company.objects.filter(pk=1).first(),
            "products": products,
            "can_manage_products": can_manage_products(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def product_create(request: HtmxHttpRequest) -> HttpResponse:
    """Let an admin create a product and choose its editors."""
    if not can_manage_products(request.user):
        raise PermissionDenied
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        product = services.product_create(
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            vision_statement=form.cleaned_data["vision_statement"],
            editors=form.cleaned_data["editors"],
            actor=request.user,
        )
        return redirect(product)
    return render(request, "strategy/product_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def product_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Let an admin rename a product and change who edits it."""
    if not can_manage_products(request.user):
        raise PermissionDenied
    product = get_object_or_404(Product, slug=slug)
    form = ProductSettingsForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        product = services.product_update_settings(
            product=product,
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            editors=form.cleaned_data["editors"],
            actor=request.user,
        )
        return redirect(product)
    return render(
        request, "strategy/product_form.html", {"form": form, "product": product}
    )


ACCESS_TEMPLATE = "strategy/product_access.html"


@require_http_methods(["GET", "POST"])
@login_required
def product_access(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Let the product's editors make it private and name who may read it."""
    product = product_for_editor(request.user, slug)
    form = ProductAccessForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_access_update(
                product=product,
                version=form.cleaned_data["version"],
                is_private=form.cleaned_data["is_private"],
                viewers=form.cleaned_data["viewers"],
                actor=request.user,
            )
        except StaleVersion as stale:
            conflict = Conflict.from_form(
                form,
                stale,
                subject="product's access",
                keep_mine_url=request.path,
                keep_theirs_url=request.path,
                page_url=request.path,
                in_place=False,
            )
            return render_conflict(request, conflict, context={"product": product})
        messages.success(
            request,
            f"Saved. {product.name} is now "
            + (
                "private to its editors and named viewers."
                if product.is_private
                else "read by everyone who signs in."
            ),
        )
        return redirect("strategy:product_access", product.slug)
    return render(
        request,
        ACCESS_TEMPLATE,
        {
            "product": product,
            "form": form,
            "editors": product.editors.filter(is_active=True).order_by(
                "first_name", "username"
            ),
            "viewer_count": product.viewers.filter(is_active=True).count(),
        },
    )


def _strategy_context(
    request: HtmxHttpRequest, product: Product, *, is_editor: bool
) -> dict[str, Any]:
    """Gather themes with their goals and key results, in a fixed set of queries.

    `themes` pairs each theme with its goals.
    """
    show_archived = request.GET.get("archived") == "1"
    themes = list(product.themes.all())
    goals = list(product.goals.for_overview(include_archived=show_archived))
    by_theme: dict[int | None, list[Goal]] = {}
    for goal in goals:
        by_theme.setdefault(goal.theme_id, []).append(goal)
    return {
        "product": product,
        "is_editor": is_editor,
        "themes": [(theme, by_theme.get(theme.pk, [])) for theme in themes],
        "unthemed_goals": by_theme.get(None, []),
        "show_archived": show_archived,
        "archived_count": product.goals.filter(status=Goal.Status.ARCHIVED).count()
        if not show_archived
        else None,
    }


def _product_page(
    request: HtmxHttpRequest, product: Product, **extra: Any
) -> HttpResponse:
    """The whole overview page; `extra` puts a form in place (`editing`, `form`)."""
    context = _strategy_context(
        request, product, is_editor=can_edit(request.user, product)
    )
    context["roadmap_summary"] = roadmap_summary(product)
    context["review_schedule"] = review_schedule(product)
    context["editors"] = product.editors.order_by("first_name", "username")
    return render(request, PRODUCT_TEMPLATE, {**context, **extra})


def _product_fragment(
    request: HtmxHttpRequest,
    product: Product,
    partial_name: str,
    context: dict[str, Any],
    *,
    editing: str = "",
    editing_pk: int | None = None,
) -> HttpResponse:
    """One block of the overview for htmx; opened directly, the page with it in place."""
    if request.htmx:
        return render(request, f"{PRODUCT_TEMPLATE}#{partial_name}", context)
    extra = {"form": context["form"]} if "form" in context else {}
    return _product_page(
        request, product, editing=editing, editing_pk=editing_pk, **extra
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def product_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Show the vision board, the strategy with its goals and the roadmap summary."""
    product = product_for_viewer(request.user, slug)
    if request.htmx:
        is_editor = can_edit(request.user, product)
        context = _strategy_context(request, product, is_editor=is_editor)
        return render(request, f"{PRODUCT_TEMPLATE}#strategy", context)
    return _product_page(request, product)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def vision_board(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Return the vision board as read, e.g. when an edit is cancelled."""
    product = product_for_viewer(request.user, slug)
    context = {"product": product, "is_editor": can_edit(request.user, product)}
    return _product_fragment(request, product, "vision-board", context)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def vision_board_edit(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    context = {"product": product, "is_editor": True}
    if request.method == "GET":
        return _product_fragment(
            request,
            product,
            "vision-board-form",
            {**context, "form": VisionBoardForm(instance=product)},
            editing="vision-board",
        )
    form = VisionBoardForm(request.POST, instance=product)
    response = _save_inline(
        request,
        form,
        save=partial(services.vision_board_update, product=product, actor=request.user),
        subject="vision board",
        target="vision-board",
        read_url=reverse("strategy:vision_board", args=[product.slug]),
        page_url=product.get_absolute_url(),
        template_name=PRODUCT_TEMPLATE,
        context=context,
        read_partial="vision-board",
        form_partial="vision-board-form",
        page=lambda page_context: _product_page(
            request, product, editing="vision-board", form=page_context["form"]
        ),
    )
    return response or redirect(product)


# Themes -----------------------------------------------------------------


def _theme(product: Product, pk: int) -> Theme:
    return get_object_or_404(Theme, pk=pk, product=product)


def _strategy_section(request: HtmxHttpRequest, product: Product) -> HttpResponse:
    """Re-render the whole strategy section in place of the form that changed it."""
    context = _strategy_context(request, product, is_editor=True)
    response = render(request, f"{PRODUCT_TEMPLATE}#strategy", context)
    return reswap(retarget(response, "#strategy"), "outerHTML")


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def theme_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    form = ThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.theme_create(
            product=product, values=form.model_values(), actor=request.user
        )
        if not request.htmx:
            return redirect(product)
        return _strategy_section(request, product)
    return _product_fragment(
        request,
        product,
        "theme-new-form",
        {"product": product, "form": form},
        editing="theme-new",
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def theme_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Return a theme's heading as read, e.g. when an edit is cancelled."""
    product = product_for_viewer(request.user, slug)
    context = {
        "product": product,
        "theme": _theme(product, pk),
        "is_editor": can_edit(request.user, product),
    }
    return _product_fragment(request, product, "theme-header", context)


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def theme_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    theme = _theme(product, pk)
    context = {"product": product, "theme": theme, "is_editor": True}
    if request.method == "GET":
        return _product_fragment(
            request,
            product,
            "theme-form",
            {**context, "form": ThemeForm(instance=theme)},
            editing="theme",
            editing_pk=theme.pk,
        )
    form = ThemeForm(request.POST, instance=theme)
    response = _save_inline(
        request,
        form,
        save=partial(services.theme_update, theme=theme, actor=request.user),
        subject="theme",
        target=f"theme-{theme.pk}-header",
        read_url=reverse("strategy:theme_detail", args=[product.slug, theme.pk]),
        page_url=f"{product.get_absolute_url()}#theme-{theme.pk}",
        template_name=PRODUCT_TEMPLATE,
        context=context,
        read_partial="theme-header",
        form_partial="theme-form",
        page=lambda page_context: _product_page(
            request,
            product,
            editing="theme",
            editing_pk=theme.pk,
            form=page_context["form"],
        ),
    )
    return response or redirect(product)


# Goals ------------------------------------------------------------------


def _goal(product: Product, pk: int) -> Goal:
    return get_object_or_404(
        Goal.objects.select_related("theme", "product"), pk=pk, product=product
    )


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def goal_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Add a goal: inline under a theme (htmx) or on its own page."""
    product = product_for_editor(request.user, slug)
    initial = {}
    theme_id = request.GET.get("theme", "")
    if theme_id.isascii() and theme_id.isdigit():
        initial["theme"] = product.themes.filter(pk=theme_id).first()
    form = GoalForm(request.POST or None, product=product, initial=initial)
    if request.method == "POST" and form.is_valid():
        goal = services.goal_create(
            product=product, values=form.model_values(), actor=request.user
        )
        if not request.htmx:
            return redirect("strategy:goal_detail", product.slug, goal.pk)
        return _strategy_section(request, product)
    template_name = "strategy/goal_form.html"
    if request.htmx:
        template_name += "#goal-new-form"
    return render(
        request,
        template_name,
        {"product": product, "form": form, "theme_id": theme_id},
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def goal_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Show a goal with its key results and the outcomes that serve it."""
    product = product_for_viewer(request.user, slug)
    goal = _goal(product, pk)
    context = {
        "product": product,
        "goal": goal,
        "is_editor": can_edit(request.user, product),
    }
    if request.htmx:
        return render(request, f"{GOAL_TEMPLATE}#goal-summary", context)
    return _goal_page(request, product, goal)


def _goal_page(
    request: HtmxHttpRequest, product: Product, goal: Goal, **extra: Any
) -> HttpResponse:
    """The whole goal page; `extra` puts the edit form in place (`editing`, `form`)."""
    key_result_model = cast("type[KeyResult]", Goal.key_results.rel.related_model)
    context = {
        "product": product,
        "goal": goal,
        "is_editor": can_edit(request.user, product),
        "key_results": key_result_model.objects.with_current().filter(goal=goal),
        "outcome_groups": outcomes_by_horizon(goal),
        **timeline.item_context(product, ItemKind.GOAL, goal.pk, "goal"),
    }
    return render(request, GOAL_TEMPLATE, {**context, **extra})


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def goal_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    goal = _goal(product, pk)
    context = {"product": product, "goal": goal, "is_editor": True}
    if request.method == "GET":
        form = GoalForm(instance=goal, product=product)
        if not request.htmx:
            return _goal_page(request, product, goal, editing=True, form=form)
        return render(request, f"{GOAL_TEMPLATE}#goal-form", {**context, "form": form})
    form = GoalForm(request.POST, instance=goal, product=product)
    goal_url = reverse("strategy:goal_detail", args=[product.slug, goal.pk])
    response = _save_inline(
        request,
        form,
        save=partial(services.goal_update, goal=goal, actor=request.user),
        subject="goal",
        target="goal-summary",
        read_url=goal_url,
        page_url=goal_url,
        template_name=GOAL_TEMPLATE,
        context=context,
        read_partial="goal-summary",
        form_partial="goal-form",
        page=lambda page_context: _goal_page(
            request, product, goal, editing=True, form=page_context["form"]
        ),
    )
    return response or redirect("strategy:goal_detail", product.slug, goal.pk)


@require_POST
@login_required
def goal_archive(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Archive a goal (hidden from the overview), or restore it."""
    product = product_for_editor(request.user, slug)
    goal = _goal(product, pk)
    services.goal_set_archived(
        goal=goal,
        is_archived=request.POST.get("archived") != "0",
        actor=request.user,
    )
    return redirect("strategy:goal_detail", product.slug, goal.pk)


# Company ----------------------------------------------------------------


@require_safe
@login_required
@vary_on_headers("HX-Request")
def company(request: HtmxHttpRequest) -> HttpResponse:
    """Show the company's mission and vision; admins edit them inline."""
    context = {
        "company": Company.load(),
        "is_editor": can_manage_products(request.user),
    }
    template_name = COMPANY_TEMPLATE
    if request.htmx:
        template_name += "#company-statement"
    else:
        context["products"] = Product.objects.visible_to(request.user).only(
            "name", "slug", "vision_statement"
        )
    return render(request, template_name, context)


def _company_page(
    request: HtmxHttpRequest, context: dict[str, Any], **extra: Any
) -> HttpResponse:
    """The whole company page; `extra` puts the edit form in place."""
    products = Product.objects.visible_to(request.user).only(
        "name", "slug", "vision_statement"
    )
    return render(request, COMPANY_TEMPLATE, {**context, "products": products, **extra})


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def company_edit(request: HtmxHttpRequest) -> HttpResponse:
    if not can_manage_products(request.user):
        raise PermissionDenied
    company = Company.load()
    context = {"company": company, "is_editor": True}
    if request.method == "GET":
        form = CompanyForm(instance=company)
        if not request.htmx:
            return _company_page(request, context, editing=True, form=form)
        return render(
            request, f"{COMPANY_TEMPLATE}#company-form", {**context, "form": form}
        )
    form = CompanyForm(request.POST, instance=company)
    company_url = reverse("strategy:company")
    response = _save_inline(
        request,
        form,
        save=partial(services.company_update, company=company),
        subject="company page",
        target="company-statement",
        read_url=company_url,
        page_url=company_url,
        template_name=COMPANY_TEMPLATE,
        context=context,
        read_partial="company-statement",
        form_partial="company-form",
        page=lambda page_context: _company_page(
            request, context, editing=True, form=page_context["form"]
        ),
    )
    return response or redirect("strategy:company")
