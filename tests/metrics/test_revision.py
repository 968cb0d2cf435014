"""Every write to metrics moves the plan's revision; a refused write does not.

Each write goes through the URL a person, a tool (the API) or the admin uses.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from strategy.models import ApiToken, Product
from tests.metrics.factories import (
    CheckInFactory,
    KeyResultFactory,
    MeasurementFactory,
    MetricFactory,
)
from tests.strategy.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def revision(product):
    return Product.objects.values_list("revision", flat=True).get(pk=product.pk)


@pytest.fixture
def metric(product):
    return MetricFactory(product=product, name="Weekly active users", unit="users")


@pytest.fixture
def measurement(metric):
    return MeasurementFactory(metric=metric, date=dt.date(2026, 3, 2), value=5)


@pytest.fixture
def key_result(metric):
    return KeyResultFactory(metric=metric, goal=None)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def api(client, product):
    _, secret = ApiToken.issue(
        product=product, name="Warehouse", created_by=product.editors.get()
    )

    def post(path, body):
        return client.post(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
        )

    return post


def metric_data(**changes):
    return {
        "name": "Active users",
        "unit": "users",
        "direction": "up",
        "review_cadence": "weekly",
        **changes,
    }


def key_result_data(metric, **changes):
    return {
        "metric": metric.pk,
        "baseline": "100",
        "target": "700",
        "start_date": "2026-07-01",
        "due_date": "2027-06-30",
        **changes,
    }


def measurement_url(name, measurement):
    metric = measurement.metric
    return reverse(
        f"metrics:{name}", args=[metric.product.slug, metric.pk, measurement.pk]
    )


# Metrics --------------------------------------------------------------------


def test_metric_create_moves_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        reverse("metrics:metric_create", args=[product.slug]), metric_data()
    )

    assert Metric.objects.exists()
    assert revision(product) == before + 1


def test_metric_create_refused_as_invalid_leaves_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        reverse("metrics:metric_create", args=[product.slug]), metric_data(name=" ")
    )

    assert not Metric.objects.exists()
    assert revision(product) == before


def test_metric_edit_moves_the_revision(editor_client, product, metric):
    before = revision(product)

    editor_client.post(
        reverse("metrics:metric_edit", args=[product.slug, metric.pk]),
        metric_data(version=1),
    )

    assert revision(product) == before + 1


def test_metric_edit_with_a_stale_version_leaves_the_revision(
    editor_client, product, metric
):
    Metric.objects.filter(pk=metric.pk).update(version=2)
    before = revision(product)

    response = editor_client.post(
        reverse("metrics:metric_edit", args=[product.slug, metric.pk]),
        metric_data(version=1),
    )

    assert response.status_code == 409
    assert revision(product) == before


def test_metric_create_by_a_viewer_leaves_the_revision(viewer_client, product):
    before = revision(product)

    response = viewer_client.post(
        reverse("metrics:metric_create", args=[product.slug]), metric_data()
    )

    assert response.status_code == 403
    assert revision(product) == before


# Measurements ---------------------------------------------------------------


def test_measurement_create_moves_the_revision(editor_client, product, metric):
    before = revision(product)

    editor_client.post(
        reverse("metrics:measurement_create", args=[product.slug, metric.pk]),
        {"date": "2026-03-02", "value": "1250", "note": ""},
        headers=HTMX,
    )

    assert metric.measurements.exists()
    assert revision(product) == before + 1


def test_measurement_create_refused_as_invalid_leaves_the_revision(
    editor_client, product, metric
):
    before = revision(product)

    editor_client.post(
        reverse("metrics:measurement_create", args=[product.slug, metric.pk]),
        {"date": "2026-03-02", "value": "lots", "note": ""},
        headers=HTMX,
    )

    assert revision(product) == before


def test_measurement_edit_moves_the_revision(editor_client, product, measurement):
    before = revision(product)

    editor_client.post(
        measurement_url("measurement_edit", measurement),
        {"date": "2026-03-02", "value": "7", "note": "", "version": 1},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_measurement_edit_with_a_stale_version_leaves_the_revision(
    editor_client, product, measurement
):
    Measurement.objects.filter(pk=measurement.pk).update(version=2)
    before = revision(product)

    response = editor_client.post(
        measurement_url("measurement_edit", measurement),
        {"date": "2026-03-02", "value": "7", "note": "", "version": 1},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert revision(product) == before


def test_measurement_delete_moves_the_revision(editor_client, product, measurement):
    before = revision(product)

    editor_client.post(
        measurement_url("measurement_delete", measurement),
        {"version": 1},
        headers=HTMX,
    )

    assert not Measurement.objects.exists()
    assert revision(product) == before + 1


def test_measurement_delete_with_a_stale_version_leaves_the_revision(
    editor_client, product, measurement
):
    Measurement.objects.filter(pk=measurement.pk).update(version=2)
    before = revision(product)

    response = editor_client.post(
        measurement_url("measurement_delete", measurement),
        {"version": 1},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert revision(product) == before


def test_measurement_delete_by_a_viewer_leaves_the_revision(
    viewer_client, product, measurement
):
    before = revision(product)

    response = viewer_client.post(
        measurement_url("measurement_delete", measurement), {"version": 1}
    )

    assert response.status_code == 403
    assert revision(product) == before


# The API and the import -----------------------------------------------------


def test_api_measurement_moves_the_revision_and_the_replaced_values_version(
    api, product, measurement
):
    """A value replaced through the API makes an edit form opened before stale."""
    before = revision(product)

    response = api(
        f"/metrics/{measurement.metric_id}/measurements",
        {"date": "2026-03-02", "value": 9},
    )

    assert response.status_code == 200
    assert revision(product) == before + 1
    measurement.refresh_from_db()
    assert (measurement.value, measurement.version) == (Decimal(9), 2)


def test_api_batch_moves_the_revision(api, product, metric):
    before = revision(product)

    response = api(
        "/measurements/batch",
        {
            "measurements": [
                {"metric_id": metric.pk, "date": "2026-03-02", "value": 1},
                {"metric_id": metric.pk, "date": "2026-03-09", "value": 2},
            ]
        },
    )

    assert response.status_code == 200
    assert revision(product) == before + 1


def test_api_batch_refused_as_invalid_leaves_the_revision(api, product, metric):
    before = revision(product)

    response = api(
        "/measurements/batch",
        {"measurements": [{"metric_id": 0, "date": "2026-03-02", "value": 1}]},
    )

    assert response.status_code == 422
    assert revision(product) == before


def test_import_confirm_moves_the_revision(editor_client, product, metric):
    before = revision(product)

    response = editor_client.post(
        reverse("metrics:measurement_import", args=[product.slug]),
        {"action": "confirm", "text": "Weekly active users,2026-03-02,1250\n"},
    )

    assert response.status_code == 302
    assert revision(product) == before + 1


def test_import_preview_and_invalid_confirm_leave_the_revision(
    editor_client, product, metric
):
    url = reverse("metrics:measurement_import", args=[product.slug])
    before = revision(product)

    editor_client.post(
        url, {"action": "preview", "text": "Weekly active users,2026-03-02,1250\n"}
    )
    editor_client.post(
        url, {"action": "confirm", "text": "Weekly active users,2026-03-02,lots\n"}
    )

    assert not Measurement.objects.exists()
    assert revision(product) == before


# Key results and check-ins --------------------------------------------------


def test_key_result_create_moves_the_revision(editor_client, product, metric):
    before = revision(product)

    editor_client.post(
        reverse("metrics:keyresult_create", args=[product.slug]),
        key_result_data(metric),
    )

    assert KeyResult.objects.exists()
    assert revision(product) == before + 1


def test_key_result_create_refused_as_invalid_leaves_the_revision(
    editor_client, product, metric
):
    before = revision(product)

    editor_client.post(
        reverse("metrics:keyresult_create", args=[product.slug]),
        key_result_data(metric, due_date="2026-01-01"),
    )

    assert not KeyResult.objects.exists()
    assert revision(product) == before


def test_key_result_edit_moves_the_revision(editor_client, product, key_result):
    before = revision(product)

    editor_client.post(
        reverse("metrics:keyresult_edit", args=[product.slug, key_result.pk]),
        key_result_data(key_result.metric, version=1),
    )

    assert revision(product) == before + 1


def test_key_result_edit_with_a_stale_version_leaves_the_revision(
    editor_client, product, key_result
):
    KeyResult.objects.filter(pk=key_result.pk).update(version=2)
    before = revision(product)

    response = editor_client.post(
        reverse("metrics:keyresult_edit", args=[product.slug, key_result.pk]),
        key_result_data(key_result.metric, version=1),
    )

    assert response.status_code == 409
    assert revision(product) == before


def test_check_in_create_moves_the_revision(editor_client, product, key_result):
    before = revision(product)

    editor_client.post(
        reverse("metrics:checkin_create", args=[product.slug, key_result.pk]),
        {"date": "2026-10-01", "confidence": "high", "what_happened": "Good week."},
        headers=HTMX,
    )

    assert CheckIn.objects.exists()
    assert revision(product) == before + 1


def test_check_in_create_refused_as_invalid_leaves_the_revision(
    editor_client, product, key_result
):
    before = revision(product)

    editor_client.post(
        reverse("metrics:checkin_create", args=[product.slug, key_result.pk]),
        {"date": "2026-10-01", "what_happened": "No confidence given."},
        headers=HTMX,
    )

    assert not CheckIn.objects.exists()
    assert revision(product) == before


# The admin ------------------------------------------------------------------


def test_admin_measurement_save_moves_the_revision_and_the_version(
    admin_client, product, measurement
):
    before = revision(product)

    response = admin_client.post(
        reverse("admin:metrics_measurement_change", args=[measurement.pk]),
        {
            "metric": measurement.metric_id,
            "date": "2026-03-02",
            "value": "8",
            "note": "",
            "source": "manual",
        },
    )

    assert response.status_code == 302
    assert revision(product) == before + 1
    measurement.refresh_from_db()
    assert (measurement.value, measurement.version) == (Decimal(8), 2)


def test_admin_metric_save_moves_inline_measurement_versions(
    admin_client, product, metric, measurement
):
    before = revision(product)

    response = admin_client.post(
        reverse("admin:metrics_metric_change", args=[metric.pk]),
        {
            "product": product.pk,
            **metric_data(name=metric.name),
            "measurements-TOTAL_FORMS": 1,
            "measurements-INITIAL_FORMS": 1,
            "measurements-0-id": measurement.pk,
            "measurements-0-metric": metric.pk,
            "measurements-0-date": "2026-03-02",
            "measurements-0-value": "6",
            "measurements-0-note": "",
            "measurements-0-source": "manual",
        },
    )

    assert response.status_code == 302
    assert revision(product) == before + 1
    measurement.refresh_from_db()
    assert (measurement.value, measurement.version) == (Decimal(6), 2)


def test_admin_key_result_delete_moves_the_revision(admin_client, product, key_result):
    before = revision(product)

    admin_client.post(
        reverse("admin:metrics_keyresult_delete", args=[key_result.pk]),
        {"post": "yes"},
    )

    assert not KeyResult.objects.exists()
    assert revision(product) == before + 1


def test_admin_check_in_bulk_delete_moves_the_revision(
    admin_client, product, key_result
):
    check_in = CheckInFactory(key_result=key_result)
    before = revision(product)

    admin_client.post(
        reverse("admin:metrics_checkin_changelist"),
        {"action": "delete_selected", "_selected_action": [check_in.pk], "post": "yes"},
    )

    assert not CheckIn.objects.exists()
    assert revision(product) == before + 1
