"""Property-based run of the whole API against its own OpenAPI schema.

schemathesis generates requests for every operation, both valid ones (which
must be accepted) and invalid ones (which must be refused with a 4xx), sends
them through the WSGI application with a product's token, and runs every
check it has on each answer: no 5xx, only documented status codes, content
types and headers, bodies matching their schemas, authentication not ignored,
unsupported methods refused with 405, and the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup

from config.wsgi import application
from strategy.models import ApiToken
from tests.metrics.factories import KeyResultFactory, MeasurementFactory, MetricFactory
from tests.roadmap.factories import OutcomeFactory

pytestmark = pytest.mark.django_db

# Per operation and mode (valid, invalid): 10 operations x 2 x 20 cases, in
# about a minute on a busy machine.
EXAMPLES = 20


@pytest.fixture
def keep_the_test_connection():
    """Serve requests in the test's transaction, as Django's test client does:
    the WSGI handler would otherwise close the connection after each one."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def all_checks() -> list:
    load_all_checks()
    return list(CHECKS.get_all())


@dataclass
class Run:
    """What the fuzzing sends and what it found."""

    secret: str
    known_ids: dict[str, int]
    checks: list[Any]
    cases: int = 0
    failures: list[str] = field(default_factory=list)

    def name_known_metrics(self, case: Any) -> None:
        """A valid batch names metrics of the product, each metric and day once.

        The schema cannot say which metric ids exist, nor that a batch may not
        repeat a metric and day; the API refuses those with a 422 naming the
        item, so valid cases keep to them.
        """
        if not isinstance(case.body, dict) or "measurements" not in case.body:
            return
        days: set[str] = set()
        items = []
        for item in case.body["measurements"]:
            if item["date"] not in days:
                days.add(item["date"])
                items.append({**item, "metric_id": self.known_ids["metric_id"]})
        case.body["measurements"] = items

    def fuzz(self, operation: Any, mode: schemathesis.GenerationMode) -> Any:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), aim=st.booleans())
        def run(case: Any, aim: bool) -> None:
            if aim and mode is schemathesis.GenerationMode.POSITIVE:
                # Random ids mostly miss; half the valid cases aim at real objects.
                for name in case.path_parameters or {}:
                    if name in self.known_ids:
                        case.path_parameters[name] = self.known_ids[name]
            if mode is schemathesis.GenerationMode.POSITIVE:
                self.name_known_metrics(case)
            self.cases += 1
            try:
                case.call_and_validate(
                    # The test transport does not unzip; ask for plain bodies.
                    headers={
                        "Authorization": f"Bearer {self.secret}",
                        "Accept-Encoding": "identity",
                    },
                    checks=self.checks,
                )
            except (AssertionError, FailureGroup) as failure:
                self.failures.append(f"{operation.label} [{mode.value}]: {failure}")

        return run


def test_api_schema_fuzzing_with_every_check_finds_nothing(
    product, keep_the_test_connection
):
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
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzing = Run(secret=secret, known_ids=known_ids, checks=all_checks())

    for operation in operations:
        for mode in schemathesis.GenerationMode:
            fuzzing.fuzz(operation, mode)()

    # The figure for the record (shown with -s).
    print(f"schemathesis ran {fuzzing.cases} cases with {len(fuzzing.checks)} checks")  # noqa: T201
    assert len(operations) == 10
    assert fuzzing.cases >= len(operations) * 2 * EXAMPLES // 2
    assert not fuzzing.failures, "\n\n".join(fuzzing.failures)
