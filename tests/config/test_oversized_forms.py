"""A post too large for Django's limits comes back as its form, with a message at the field."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from metrics.models import Measurement
from strategy.models import ApiToken, Goal
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.django_db

THREE_MB = 3 * 1024 * 1024
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def metric(product):
    return MetricFactory(product=product, name="Weekly active users")


def pasted_rows(size: int) -> str:
    row = "Weekly active users,2026-03-02,1250,\n"
    return row * (size // len(row) + 1)


def test_pasting_3_mb_into_the_measurement_import_shows_the_form_with_the_limit(
    editor_client, product, metric
):
    response = editor_client.post(
        reverse("metrics:measurement_import", args=[product.slug]),
        {"action": "confirm", "text": pasted_rows(THREE_MB)},
    )

    assert response.status_code == 200
    assert response.templates[0].name == "metrics/measurement_import.html"
    error = response.context["form"].errors["text"]
    assert error == ["Too large: at most 2.5 MB."]
    assert 'id="id_text_error"' in response.text
    assert "Too large: at most 2.5 MB." in response.text
    assert not Measurement.objects.exists()


def test_a_long_goal_description_keeps_the_rest_of_the_form(editor_client, product):
    body = urlencode(
        {
            "title": "Cut churn in half",
            "status": "active",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "description": "x" * THREE_MB,
        }
    )

    response = editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        body,
        content_type=URLENCODED,
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"description": ["Too large: at most 2.5 MB."]}
    assert 'value="Cut churn in half"' in response.text
    assert not Goal.objects.exists()


def test_too_many_fields_are_named_in_the_form(editor_client, product, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 4
    body = urlencode(
        {
            "title": "Cut churn in half",
            "status": "active",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "description": "Fewer people leave",
        }
    )

    response = editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        body,
        content_type=URLENCODED,
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "description": ["Too many fields: at most 4 in one form."]
    }
    assert not Goal.objects.exists()


def test_a_post_too_large_to_read_again_gets_a_page_saying_so(
    editor_client, product, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        urlencode({"title": "x", "description": "x" * 20_000}),
        content_type=URLENCODED,
    )

    assert response.status_code == 413
    assert "Too large: at most 0" in response.text
    assert "Nothing was saved" in response.text


def test_the_api_answers_an_oversized_body_with_a_413_json_error(
    client, product, metric
):
    _, secret = ApiToken.issue(product=product, name="Warehouse")
    body = json.dumps({"date": "2026-03-02", "value": 1, "note": "x" * THREE_MB})

    response = client.post(
        f"/api/v1/metrics/{metric.pk}/measurements",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body too large: at most 2.5 MB."}
    assert not Measurement.objects.exists()


def test_a_post_within_the_limits_is_untouched(editor_client, product, metric):
    response = editor_client.post(
        reverse("metrics:measurement_import", args=[product.slug]),
        {"action": "confirm", "text": "Weekly active users,2026-03-02,1250,\n"},
    )

    assert response.status_code == 302
    assert Measurement.objects.get().value == 1250
