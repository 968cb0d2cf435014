"""Property-based run of the whole API against its own OpenAPI schema."""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap.api import api
from strategy.models import ApiToken
from tests.metrics.factories import KeyResultFactory, MeasurementFactory, MetricFactory
from tests.roadmap.factories import OutcomeFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 20


def send(client, case, secret):
    """Send a generated case through Django's test client, with the token."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    url = urlsplit(kwargs["url"])
    query = urlencode(kwargs.get("params") or {}, doseq=True) or url.query
    headers = dict(kwargs.get("headers") or {})
    headers.pop("Content-Type", None)
    headers["Authorization"] = f"Bearer {secret}"
    data = json.dumps(kwargs["json"]) if "json" in kwargs else kwargs.get("data") or ""
    return client.generic(
        kwargs["method"],
        url.path,
        data=data,
        content_type="application/json",
        headers=headers,
        QUERY_STRING=query,
    )


def checker(client, operation, secret, failures, known_ids):
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), use_known_ids=st.booleans())
    def check(case, use_known_ids):
        if use_known_ids:
            # Random ids mostly miss; half the cases aim at real objects.
            for name in case.path_parameters:
                case.path_parameters[name] = known_ids[name]
        response = send(client, case, secret)
        if response.status_code >= 500:
            failures.append((operation.label, case.path_parameters, case.body))

    return check


def test_api_schema_fuzzing_finds_no_server_error(client, product):
    """Generated requests for every operation never get a 5xx answer."""
    metric = MetricFactory(product=product, name="Weekly active users")
    MeasurementFactory(metric=metric)
    known_ids = {
        "metric_id": metric.pk,
        "key_result_id": KeyResultFactory(metric=metric).pk,
        "outcome_id": OutcomeFactory(roadmap=product.roadmap).pk,
    }
    _, secret = ApiToken.issue(
        product=product, name="Fuzz", created_by=product.editors.get()
    )
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = []

    for operation in operations:
        checker(client, operation, secret, failures, known_ids)()

    assert len(operations) == 10
    assert failures == []
