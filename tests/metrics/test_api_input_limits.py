"""The API takes dates only as ISO 8601 strings and values only as the database stores them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from metrics.models import Measurement
from strategy.models import ApiToken
from tests.metrics.factories import MetricFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def metric(product):
    return MetricFactory(product=product, name="Weekly active users")


@pytest.fixture
def post(client, product, editor):
    _, secret = ApiToken.issue(product=product, name="Warehouse", created_by=editor)

    def send(path, body):
        return client.post(
            f"/api/v1{path}",
            body if isinstance(body, str) else json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
        )

    return send


@pytest.mark.parametrize(
    "date",
    [
        0,
        1767225600,
        20260302.0,
        "1767225600",
        "2026-03-02T00:00:00",
        "02/03/2026",
        "2026-3-2",
        True,
        None,
    ],
)
def test_a_date_that_is_not_an_iso_8601_string_is_a_422_naming_the_field(
    post, metric, date
):
    response = post(f"/metrics/{metric.pk}/measurements", {"date": date, "value": 5})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "date"
    assert "YYYY-MM-DD" in response.json()["errors"][0]["message"]
    assert not Measurement.objects.exists()


def test_a_date_in_a_batch_must_be_an_iso_string_too(post, metric):
    response = post(
        "/measurements/batch",
        {"measurements": [{"metric_id": metric.pk, "date": 0, "value": 5}]},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "measurements[0].date"


def test_an_iso_date_is_stored_as_that_day(post, metric):
    response = post(
        f"/metrics/{metric.pk}/measurements", {"date": "2026-03-02", "value": 5}
    )

    assert response.status_code == 200
    assert str(Measurement.objects.get().date) == "2026-03-02"


def test_a_date_filter_must_be_an_iso_string(client, product, metric, editor):
    _, secret = ApiToken.issue(product=product, name="Reader", created_by=editor)

    response = client.get(
        f"/api/v1/metrics/{metric.pk}/measurements?since=0",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "since"


@pytest.mark.parametrize(
    "value",
    [
        "1e-79",
        "0.00001",
        "1e14",
        "-1e14",
        "123456789012345.5",
        "1e400",
        "0.00015",
        "NaN",
        '"0.00001"',
        '"NaN"',
        '" 1"',
        '"1e3"',
    ],
)
def test_a_value_the_database_cannot_hold_exactly_is_a_422(post, metric, value):
    body = f'{{"date": "2026-03-02", "value": {value}}}'

    response = post(f"/metrics/{metric.pk}/measurements", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "value"
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("0.0001", Decimal("0.0001")),
        ("0.3", Decimal("0.3")),
        ("0.30000000000000004", Decimal("0.3")),
        ("1234.5678000000001", Decimal("1234.5678")),
        ("99999999999999.9999", Decimal("99999999999999.9999")),
        ("-12.5", Decimal("-12.5")),
        ("1e3", Decimal("1000")),
        ('"1250.25"', Decimal("1250.25")),
    ],
)
def test_a_value_within_the_limits_is_stored_exactly(post, metric, value, stored):
    body = f'{{"date": "2026-03-02", "value": {value}}}'

    response = post(f"/metrics/{metric.pk}/measurements", body)

    assert response.status_code == 200, response.json()
    assert Measurement.objects.get().value == stored


def test_the_schema_states_the_value_limits_and_the_date_format():
    from roadmap.api import api

    schema = api.get_openapi_schema()
    measurement = schema["components"]["schemas"]["MeasurementIn"]["properties"]

    number = next(v for v in measurement["value"]["anyOf"] if v["type"] == "number")
    assert number["multipleOf"] == 0.0001
    assert number["exclusiveMaximum"] == 10**14
    assert number["exclusiveMinimum"] == -(10**14)
    assert measurement["date"]["type"] == "string"
    assert measurement["date"]["format"] == "date"
    assert measurement["date"]["pattern"] == r"^\d{4}-\d{2}-\d{2}$"


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        (
            "post",
            "/api/v1/metrics/{metric_id}/measurements",
            {"200", "400", "401", "404", "413", "422", "429"},
        ),
        (
            "post",
            "/api/v1/measurements/batch",
            {"200", "400", "401", "413", "422", "429"},
        ),
        ("get", "/api/v1/metrics/{metric_id}", {"200", "401", "404", "422", "429"}),
        ("get", "/api/v1/metrics", {"200", "401", "429"}),
        ("get", "/api/v1/roadmap", {"200", "401", "429"}),
    ],
)
def test_the_schema_documents_every_status_an_operation_answers(method, path, statuses):
    from roadmap.api import api

    operation = api.get_openapi_schema()["paths"][path][method]

    assert {str(code) for code in operation["responses"]} == statuses
