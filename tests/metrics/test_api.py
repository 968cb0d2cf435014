from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metrics.models import Measurement
from strategy.models import ApiToken
from tests.metrics.factories import (
    CheckInFactory,
    KeyResultFactory,
    MeasurementFactory,
    MetricFactory,
)
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    RoadmapFactory,
    SuccessMetricFactory,
)
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(product):
    _, secret = ApiToken.issue(
        product=product, name="Warehouse", created_by=product.editors.get()
    )
    return secret


@pytest.fixture
def api(client, token):
    """A client that sends the product's bearer token."""

    class Api:
        def get(self, path, **kw):
            return client.get(
                f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kw
            )

        def post(self, path, body, **kw):
            data = body if isinstance(body, str) else __import__("json").dumps(body)
            return client.post(
                f"/api/v1{path}",
                data,
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
                **kw,
            )

    return Api()


@pytest.fixture
def metric(product):
    return MetricFactory(product=product, name="Weekly active users")


@pytest.fixture
def foreign():
    """Objects of another product, which the token must never reach."""
    other = ProductFactory()
    roadmap = RoadmapFactory(product=other)
    metric = MetricFactory(product=other)
    return {
        "metric": metric,
        "key_result": KeyResultFactory(metric=metric),
        "outcome": OutcomeFactory(roadmap=roadmap),
    }


# Authentication


@pytest.mark.parametrize("path", ["/metrics", "/key-results", "/roadmap", "/outcomes"])
def test_api_without_token_is_401(client, path):
    response = client.get(f"/api/v1{path}")

    assert response.status_code == 401


def test_api_with_unknown_token_is_401(client, product):
    response = client.get(
        "/api/v1/metrics", headers={"Authorization": "Bearer ns_nope"}
    )

    assert response.status_code == 401


def test_api_with_revoked_token_is_401(client, product):
    token, secret = ApiToken.issue(
        product=product, name="Old", created_by=product.editors.get()
    )
    token.revoke()

    response = client.get(
        "/api/v1/metrics", headers={"Authorization": f"Bearer {secret}"}
    )

    assert response.status_code == 401


def test_api_records_when_a_token_was_last_used(api, product):
    api.get("/metrics")

    assert ApiToken.objects.get().last_used_at is not None


# Cross-product refusal: every endpoint


def test_api_get_metric_of_another_product_is_404(api, foreign):
    assert api.get(f"/metrics/{foreign['metric'].pk}").status_code == 404


def test_api_list_measurements_of_another_product_is_404(api, foreign):
    assert api.get(f"/metrics/{foreign['metric'].pk}/measurements").status_code == 404


def test_api_record_measurement_on_another_product_is_404(api, foreign):
    response = api.post(
        f"/metrics/{foreign['metric'].pk}/measurements",
        {"date": "2026-01-01", "value": 1},
    )

    assert response.status_code == 404
    assert not Measurement.objects.exists()


def test_api_batch_naming_another_products_metric_writes_nothing(api, metric, foreign):
    response = api.post(
        "/measurements/batch",
        {
            "measurements": [
                {"metric_id": metric.pk, "date": "2026-01-01", "value": 1},
                {"metric_id": foreign["metric"].pk, "date": "2026-01-01", "value": 1},
            ]
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "measurements[1].metric_id",
            "message": f"No metric {foreign['metric'].pk} in this product.",
        }
    ]
    assert not Measurement.objects.exists()


def test_api_get_key_result_of_another_product_is_404(api, foreign):
    assert api.get(f"/key-results/{foreign['key_result'].pk}").status_code == 404


def test_api_get_outcome_of_another_product_is_404(api, foreign):
    assert api.get(f"/outcomes/{foreign['outcome'].pk}").status_code == 404


def test_api_lists_contain_only_the_tokens_product(api, product, metric, foreign):
    KeyResultFactory(metric=metric)
    OutcomeFactory(roadmap=product.roadmap, title="Ours")

    metrics = api.get("/metrics").json()
    key_results = api.get("/key-results").json()
    outcomes = api.get("/outcomes").json()
    roadmap = api.get("/roadmap").json()

    assert [m["id"] for m in metrics] == [metric.pk]
    assert [k["metric_id"] for k in key_results] == [metric.pk]
    assert [o["title"] for o in outcomes] == ["Ours"]
    assert roadmap["product"]["slug"] == "fabrikam-style"
    assert [o["title"] for o in roadmap["outcomes"]] == ["Ours"]


# Writing measurements


def test_api_record_measurement_stores_it_with_api_source(api, metric):
    response = api.post(
        f"/metrics/{metric.pk}/measurements",
        {"date": "2026-03-02", "value": "1250.5", "note": "nightly"},
    )

    assert response.status_code == 200
    assert response.json() == {
        "metric_id": metric.pk,
        "date": "2026-03-02",
        "value": 1250.5,
        "note": "nightly",
        "source": "api",
    }
    assert metric.measurements.get().source == "api"


def test_api_refuses_a_nul_character_in_a_note_as_a_field_error(api, metric):
    response = api.post(
        f"/metrics/{metric.pk}/measurements",
        {"date": "2026-03-02", "value": 5, "note": "a\u0000b"},
    )

    assert response.status_code == 422
    assert "note" in response.text
    assert not metric.measurements.exists()


def test_api_record_measurement_twice_is_idempotent(api, metric):
    body = {"date": "2026-03-02", "value": 1250}

    first = api.post(f"/metrics/{metric.pk}/measurements", body)
    second = api.post(f"/metrics/{metric.pk}/measurements", body)

    assert first.json() == second.json()
    assert metric.measurements.count() == 1


def test_api_record_measurement_replaces_the_value_on_that_date(api, metric):
    MeasurementFactory(metric=metric, date=dt.date(2026, 3, 2), value=1, note="old")

    api.post(f"/metrics/{metric.pk}/measurements", {"date": "2026-03-02", "value": 2})

    measurement = metric.measurements.get()
    assert (measurement.value, measurement.note) == (Decimal(2), "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 1}, "date"),
        ({"date": "2026-02-30", "value": 1}, "date"),
        ({"date": "2026-03-02"}, "value"),
        ({"date": "2026-03-02", "value": "many"}, "value"),
        ({"date": "2026-03-02", "value": "1e20"}, "value"),
        ({"date": "2026-03-02", "value": "1.23456"}, "value"),
        ({"date": "2026-03-02", "value": 1, "note": "x" * 501}, "note"),
        ({"date": "2026-03-02", "value": 1, "valeu": 2}, "valeu"),
    ],
)
def test_api_record_measurement_with_a_bad_field_is_422_naming_it(
    api, metric, body, field
):
    response = api.post(f"/metrics/{metric.pk}/measurements", body)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not Measurement.objects.exists()


def test_api_record_measurement_with_malformed_json_is_400(api, metric):
    response = api.post(f"/metrics/{metric.pk}/measurements", "{not json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_api_batch_stores_every_measurement(api, product, metric):
    other = MetricFactory(product=product, name="Churn")

    response = api.post(
        "/measurements/batch",
        {
            "measurements": [
                {"metric_id": metric.pk, "date": "2026-01-01", "value": 1},
                {"metric_id": metric.pk, "date": "2026-01-08", "value": 2},
                {"metric_id": other.pk, "date": "2026-01-01", "value": 3, "note": "n"},
            ]
        },
    )

    assert response.json() == {"stored": 3}
    assert Measurement.objects.filter(source="api").count() == 3


def test_api_batch_resent_is_idempotent(api, metric):
    body = {
        "measurements": [{"metric_id": metric.pk, "date": "2026-01-01", "value": 1}]
    }

    api.post("/measurements/batch", body)
    api.post("/measurements/batch", body)

    assert metric.measurements.count() == 1


def test_api_batch_with_one_bad_value_writes_nothing(api, metric):
    response = api.post(
        "/measurements/batch",
        {
            "measurements": [
                {"metric_id": metric.pk, "date": "2026-01-01", "value": 1},
                {"metric_id": metric.pk, "date": "2026-01-08", "value": "x"},
            ]
        },
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["measurements[1].value"]
    assert not Measurement.objects.exists()


def test_api_batch_repeating_a_metric_and_date_writes_nothing(api, metric):
    response = api.post(
        "/measurements/batch",
        {
            "measurements": [
                {"metric_id": metric.pk, "date": "2026-01-01", "value": 1},
                {"metric_id": metric.pk, "date": "2026-01-01", "value": 2},
            ]
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "measurements[1].date"
    assert not Measurement.objects.exists()


def test_api_batch_is_atomic_when_the_database_refuses_a_row(api, metric, monkeypatch):
    """A failure while writing rolls back every row written before it."""
    from metrics import services

    real = services.Measurement.objects.bulk_create
    calls = []

    def fail_on_second_batch(objs, **kwargs):
        calls.append(len(objs))
        real(objs[:1], **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(
        services.Measurement.objects, "bulk_create", fail_on_second_batch
    )

    with pytest.raises(RuntimeError):
        api.post(
            "/measurements/batch",
            {
                "measurements": [
                    {"metric_id": metric.pk, "date": "2026-01-01", "value": 1}
                ]
            },
        )

    assert calls == [1]
    assert not Measurement.objects.exists()


def test_api_empty_batch_is_422(api):
    response = api.post("/measurements/batch", {"measurements": []})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "measurements"


# Reading


def test_api_key_result_reports_progress_from_the_shared_maths(api, metric):
    key_result = KeyResultFactory(metric=metric, baseline=100, target=500)
    MeasurementFactory(metric=metric, value=300)
    CheckInFactory(key_result=key_result, confidence="high", what_happened="Shipped.")

    body = api.get(f"/key-results/{key_result.pk}").json()

    progress = key_result.progress()
    assert body["progress"] == pytest.approx(0.5)
    assert body["status"] == progress.status.value
    assert body["statement"] == key_result.statement
    assert body["check_ins"][0]["what_happened"] == "Shipped."


def test_api_list_measurements_filters_by_date(api, metric):
    for day in (1, 2, 3):
        MeasurementFactory(metric=metric, date=dt.date(2026, 1, day), value=day)

    body = api.get(f"/metrics/{metric.pk}/measurements?since=2026-01-02").json()

    assert [m["value"] for m in body] == [2.0, 3.0]


def test_api_roadmap_lists_each_kind_of_card(api, product, metric):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Come back weekly")
    ChallengeFactory(roadmap=product.roadmap, title="Cold start", outcome=outcome)
    SuccessMetricFactory(
        roadmap=product.roadmap, key_result__metric=metric, outcome=outcome
    )
    FeatureFactory(roadmap=product.roadmap, title="Outfit ideas", outcome=outcome)

    body = api.get("/roadmap").json()

    assert [h["key"] for h in body["horizons"]] == ["current", "soon", "future"]
    assert body["challenges"][0]["outcome_id"] == outcome.pk
    assert body["success_metrics"][0]["key_result"]["metric_id"] == metric.pk
    assert body["features"][0]["title"] == "Outfit ideas"


def test_api_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    docs = client.get("/api/v1/docs")

    assert schema.status_code == 200
    assert "/api/v1/measurements/batch" in schema.json()["paths"]
    assert docs.status_code == 200
