from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from config.types import HtmxHttpRequest
from metrics import importer, services
from metrics.forms import (
    ApiTokenForm,
    CheckInForm,
    ImportForm,
    KeyResultForm,
    MeasurementForm,
    MetricForm,
)
from metrics.models import KeyResult, Measurement, Metric
from metrics.releases import releases_for
from strategy import services as strategy_services
from strategy import timeline
from strategy.concurrency import Conflict, StaleVersion, posted_version
from strategy.models import ApiToken, ItemKind, Product
from strategy.permissions import can_edit, product_for_editor, product_for_viewer

# The metrics page draws each metric's most recent values only, so its
# payload stays the same size however long a metric has been measured.
LIST_CHART_POINTS = 60
MEASUREMENTS_PER_PAGE = 50


def metric_for(product: Product, pk: int) -> Metric:
    metric = get_object_or_404(Metric.objects.for_product(product).with_latest(), pk=pk)
    metric.product = product  # links need the slug; no query for it
    return metric


def key_result_for(product: Product, pk: int) -> KeyResult:
    return get_object_or_404(
        KeyResult.objects.for_product(product)
        .with_current()
        .select_related("goal", "success_metric__outcome"),
        pk=pk,
    )


@require_safe
@login_required
@vary_on_headers("HX-Request")
def metric_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    metrics = list(Metric.objects.for_product(product).with_latest())
    for metric in metrics:
        metric.product = product  # links need the slug; no query for it
    recent: dict[int, list[Measurement]] = defaultdict(list)
    for measurement in (
        Measurement.objects.for_product(product)
        .recent_per_metric(LIST_CHART_POINTS)
        .only("metric_id", "date", "value")
        .order_by("metric_id", "date")
    ):
        recent[measurement.metric_id].append(measurement)
    key_results: dict[int, list[KeyResult]] = defaultdict(list)
    for key_result in KeyResult.objects.for_product(product).with_current():
        key_results[key_result.metric_id].append(key_result)
    rows = [
        {"metric": m, "recent": recent[m.pk], "key_results": key_results[m.pk]}
        for m in metrics
    ]
    template_name = "metrics/metric_list.html"
    if request.htmx:
        template_name += "#metric-grid"
    return render(
        request,
        template_name,
        {"product": product, "rows": rows, "can_edit": can_edit(request.user, product)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def metric_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    form = MetricForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        metric = services.metric_create(
            product=product, values=form.model_values(), actor=request.user
        )
        messages.success(request, f"Added {metric.name}.")
        return redirect(metric.get_absolute_url())
    return render(
        request, "metrics/metric_form.html", {"product": product, "form": form}
    )


@require_http_methods(["GET", "POST"])
@login_required
def metric_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    metric = metric_for(product, pk)
    form = MetricForm(request.POST or None, instance=metric, product=product)
    context: dict[str, Any] = {"product": product, "form": form, "metric": metric}
    if request.method == "POST" and form.is_valid():
        try:
            services.metric_update(
                metric=metric,
                version=form.cleaned_data["version"],
                values=form.model_values(),
                actor=request.user,
            )
        except StaleVersion as stale:
            page_url = (
                metric.get_absolute_url()
                if stale.current
                else reverse("metrics:metric_list", args=[product.slug])
            )
            context["conflict"] = Conflict.from_form(
                form,
                stale,
                subject="metric",
                keep_mine_url=request.path,
                keep_theirs_url=page_url,
            )
            return render(request, "metrics/metric_form.html", context, status=409)
        messages.success(request, f"Saved {form.cleaned_data['name']}.")
        return redirect("metrics:metric_detail", product.slug, metric.pk)
    return render(request, "metrics/metric_form.html", context)


def metric_detail_context(
    request: HtmxHttpRequest, product: Product, metric: Metric, **extra: Any
) -> dict[str, Any]:
    measurements = list(metric.measurements.all())
    newest_first = measurements[::-1]
    page = Paginator(newest_first, MEASUREMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    key_results = list(
        metric.key_results.with_current().select_related(
            "goal", "success_metric__outcome"
        )
    )
    editable = can_edit(request.user, product)
    context = {
        "product": product,
        "metric": metric,
        "measurements": measurements,
        "page": page,
        "key_results": key_results,
        "releases": releases_for(kr.pk for kr in key_results),
        "can_edit": editable,
        "add_form": MeasurementForm(
            metric=metric, initial={"date": timezone.localdate()}
        )
        if editable
        else None,
        **timeline.item_context(product, ItemKind.METRIC, metric.pk, "metric"),
    }
    context.update(extra)
    return context


@require_safe
@login_required
@vary_on_headers("HX-Request")
def metric_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    metric = metric_for(product, pk)
    template_name = "metrics/metric_detail.html"
    if request.htmx:
        template_name += "#metric-data"
    return render(
        request, template_name, metric_detail_context(request, product, metric)
    )


def metric_data(
    request: HtmxHttpRequest,
    product: Product,
    metric: Metric,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """Answer a change to the measurements with the chart and table, redrawn."""
    metric = metric_for(product, metric.pk)  # fresh latest value for the header
    template_name = "metrics/metric_detail.html"
    if request.htmx:
        template_name += "#metric-data"
        return render(
            request,
            template_name,
            metric_detail_context(request, product, metric, **extra),
            status=status,
        )
    if status == 200 and not extra:
        return redirect("metrics:metric_detail", product.slug, metric.pk)
    return render(
        request,
        template_name,
        metric_detail_context(request, product, metric, **extra),
        status=status,
    )


@require_POST
@login_required
def measurement_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    metric = metric_for(product, pk)
    form = MeasurementForm(request.POST, metric=metric)
    if not form.is_valid():
        return metric_data(request, product, metric, add_form=form)
    services.measurement_create(
        metric=metric, values=form.model_values(), actor=request.user
    )
    return metric_data(request, product, metric)


def measurement_for(metric: Metric, measurement_pk: int) -> Measurement:
    return get_object_or_404(Measurement, metric=metric, pk=measurement_pk)


@require_safe
@login_required
@vary_on_headers("HX-Request")
def measurement_row(
    request: HtmxHttpRequest, slug: str, pk: int, measurement_pk: int
) -> HttpResponse:
    """Show one row of the table, read-only: where an edit's Cancel returns to."""
    product = product_for_viewer(request.user, slug)
    metric = metric_for(product, pk)
    measurement = measurement_for(metric, measurement_pk)
    if not request.htmx:
        return render(
            request,
            "metrics/metric_detail.html",
            metric_detail_context(request, product, metric),
        )
    return render(
        request,
        "metrics/metric_detail.html#measurement-row",
        {
            "product": product,
            "metric": metric,
            "measurement": measurement,
            "can_edit": can_edit(request.user, product),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def measurement_edit(
    request: HtmxHttpRequest, slug: str, pk: int, measurement_pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    metric = metric_for(product, pk)
    measurement = measurement_for(metric, measurement_pk)
    if request.method == "GET" and not request.htmx:
        # Opened directly: the metric's page with this row's form in place.
        edit_form = MeasurementForm(instance=measurement, metric=metric)
        context = metric_detail_context(
            request, product, metric, editing=measurement.pk, edit_form=edit_form
        )
        return render(request, "metrics/metric_detail.html", context)
    if request.method == "GET":
        return render(
            request,
            "metrics/metric_detail.html#measurement-edit-row",
            {
                "product": product,
                "metric": metric,
                "measurement": measurement,
                "edit_form": MeasurementForm(instance=measurement, metric=metric),
            },
        )
    form = MeasurementForm(request.POST, instance=measurement, metric=metric)
    if not form.is_valid():
        return metric_data(
            request, product, metric, editing=measurement.pk, edit_form=form
        )
    try:
        services.measurement_update(
            measurement=measurement,
            version=form.cleaned_data["version"],
            values=form.model_values(),
            actor=request.user,
        )
    except StaleVersion as stale:
        conflict = Conflict.from_form(
            form,
            stale,
            subject="measurement",
            keep_mine_url=request.path,
            keep_theirs_url=metric.get_absolute_url(),
            target="metric-data",
            in_place=False,
        )
        return metric_data(request, product, metric, status=409, conflict=conflict)
    return metric_data(request, product, metric)


@require_POST
@login_required
def measurement_delete(
    request: HtmxHttpRequest, slug: str, pk: int, measurement_pk: int
) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    metric = metric_for(product, pk)
    measurement = measurement_for(metric, measurement_pk)
    try:
        services.measurement_delete(
            measurement=measurement,
            version=posted_version(request.POST),
            actor=request.user,
        )
    except StaleVersion as stale:
        if stale.current is None:
            return metric_data(request, product, metric)  # gone already
        conflict = Conflict.from_delete(
            stale.current,
            subject="measurement",
            labels={"date": "Date", "value": "Value", "note": "Note"},
            keep_mine_url=request.path,
            keep_theirs_url=metric.get_absolute_url(),
            target="metric-data",
            in_place=False,
        )
        return metric_data(request, product, metric, status=409, conflict=conflict)
    return metric_data(request, product, metric)


@require_http_methods(["GET", "POST"])
@login_required
def keyresult_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    initial = {
        name: request.GET[name] for name in ("goal", "metric") if name in request.GET
    }
    form = KeyResultForm(request.POST or None, product=product, initial=initial)
    if request.method == "POST" and form.is_valid():
        key_result = services.key_result_create(
            values=form.model_values(), actor=request.user
        )
        messages.success(request, "Key result added.")
        return redirect("metrics:keyresult_detail", product.slug, key_result.pk)
    return render(
        request, "metrics/keyresult_form.html", {"product": product, "form": form}
    )


@require_http_methods(["GET", "POST"])
@login_required
def keyresult_edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    key_result = key_result_for(product, pk)
    form = KeyResultForm(request.POST or None, instance=key_result, product=product)
    context: dict[str, Any] = {
        "product": product,
        "form": form,
        "key_result": key_result,
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.key_result_update(
                key_result=key_result,
                version=form.cleaned_data["version"],
                values=form.model_values(),
                actor=request.user,
            )
        except StaleVersion as stale:
            page_url = (
                reverse("metrics:keyresult_detail", args=[product.slug, pk])
                if stale.current
                else reverse("metrics:metric_list", args=[product.slug])
            )
            context["conflict"] = Conflict.from_form(
                form,
                stale,
                subject="key result",
                keep_mine_url=request.path,
                keep_theirs_url=page_url,
            )
            return render(request, "metrics/keyresult_form.html", context, status=409)
        messages.success(request, "Key result saved.")
        return redirect("metrics:keyresult_detail", product.slug, key_result.pk)
    return render(request, "metrics/keyresult_form.html", context)


def keyresult_context(
    request: HtmxHttpRequest, product: Product, key_result: KeyResult, **extra: Any
) -> dict[str, Any]:
    editable = can_edit(request.user, product)
    context = {
        "product": product,
        "key_result": key_result,
        "metric": key_result.metric,
        "measurements": list(key_result.metric.measurements.all()),
        "chart_key_results": [key_result],
        "releases": releases_for([key_result.pk]),
        "check_ins": list(key_result.check_ins.select_related("author")),
        "can_edit": editable,
        "checkin_form": CheckInForm(initial={"date": timezone.localdate()})
        if editable
        else None,
        **timeline.item_context(
            product, ItemKind.KEY_RESULT, key_result.pk, "key result"
        ),
    }
    context.update(extra)
    return context


@require_safe
@login_required
def keyresult_detail(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_viewer(request.user, slug)
    key_result = key_result_for(product, pk)
    return render(
        request,
        "metrics/keyresult_detail.html",
        keyresult_context(request, product, key_result),
    )


@require_POST
@login_required
def checkin_create(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    key_result = key_result_for(product, pk)
    form = CheckInForm(request.POST)
    if form.is_valid():
        services.check_in_create(
            key_result=key_result,
            author=request.user,
            values={name: form.cleaned_data[name] for name in CheckInForm.Meta.fields},
        )
        if not request.htmx:
            return redirect("metrics:keyresult_detail", product.slug, key_result.pk)
        context = keyresult_context(request, product, key_result)
    else:
        context = keyresult_context(request, product, key_result, checkin_form=form)
    template_name = "metrics/keyresult_detail.html"
    if request.htmx:
        template_name += "#checkins"
    return render(request, template_name, context)


@require_http_methods(["GET", "POST"])
@login_required
def measurement_import(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Preview pasted or uploaded rows; write them only when the user confirms."""
    product = product_for_editor(request.user, slug)
    context: dict[str, Any] = {"product": product}
    if request.method == "GET":
        context["form"] = ImportForm()
        return render(request, "metrics/measurement_import.html", context)
    form = ImportForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "metrics/measurement_import.html", context)
    text = form.cleaned_data["text"]
    confirming = request.POST.get("action") == "confirm"
    try:
        if confirming:
            preview = services.measurements_import(
                product=product, text=text, actor=request.user
            )
        else:
            preview = services.import_preview(product=product, text=text)
    except importer.ImportRejected as error:
        form.add_error("text", str(error))
        return render(request, "metrics/measurement_import.html", context)
    if confirming and not preview.has_errors:
        counts = preview.counts
        messages.success(
            request,
            f"Imported {counts['new']} new and {counts['changed']} changed measurements.",
        )
        url = reverse("metrics:metric_list", args=[product.slug])
        if request.htmx:
            return HttpResponseClientRedirect(url)
        return redirect(url)
    context.update(preview=preview, text=text, form=ImportForm(initial={"text": text}))
    return render(request, "metrics/measurement_import.html", context)


def token_context(product: Product, **extra: Any) -> dict[str, Any]:
    context = {
        "product": product,
        "tokens": list(ApiToken.objects.filter(product=product).with_maker_standing()),
        "form": ApiTokenForm(),
    }
    context.update(extra)
    return context


@require_http_methods(["GET", "POST"])
@login_required
def token_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """List the product's API tokens and issue new ones (the secret shows once)."""
    product = product_for_editor(request.user, slug)
    if request.method == "GET":
        return render(request, "metrics/token_list.html", token_context(product))
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return render(
            request, "metrics/token_list.html", token_context(product, form=form)
        )
    # login_required and the editor check let only a signed-in user this far.
    assert request.user.is_authenticated
    token, secret = strategy_services.api_token_create(
        product=product, name=form.cleaned_data["name"], created_by=request.user
    )
    response = render(
        request,
        "metrics/token_list.html",
        token_context(product, new_token=token, secret=secret),
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def token_revoke(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    product = product_for_editor(request.user, slug)
    token = get_object_or_404(ApiToken.objects.active(), product=product, pk=pk)
    strategy_services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked {token.name}. Requests with it now fail.")
    return redirect("metrics:token_list", product.slug)
