"""The JSON that metrics, measurements and key results take in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field, WithJsonSchema

from metrics.models import KeyResult

# Measurement.value is a decimal(18, 4); anything larger would not fit.
Value = Annotated[
    Decimal,
    Field(max_digits=18, decimal_places=4, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": -1e14 + 1, "maximum": 1e14 - 1},
                {"type": "string", "pattern": r"^-?\d{1,14}(\.\d{1,4})?$"},
            ],
            "title": "Value",
            "description": "At most 14 digits before the point and 4 after it.",
            "examples": [1250.5],
        }
    ),
]
# PostgreSQL text cannot hold NUL characters: refuse them as a field error.
Note = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]
MAX_BATCH = 5000


class MeasurementIn(Schema):
    model_config = ConfigDict(extra="forbid")

    date: dt.date = Field(description="The day the value was true.")
    value: Value
    note: Note = ""


class BatchMeasurementIn(MeasurementIn):
    metric_id: int = Field(ge=1, le=2**63 - 1)


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    measurements: list[BatchMeasurementIn] = Field(min_length=1, max_length=MAX_BATCH)


class MeasurementOut(Schema):
    metric_id: int
    date: dt.date
    value: float
    note: str
    source: str


class StoredOut(Schema):
    """How many measurements a batch stored (new and replaced together)."""

    stored: int


class MetricOut(Schema):
    id: int
    name: str
    unit: str
    direction: str
    review_cadence: str
    description: str
    latest_value: float | None
    latest_date: dt.date | None
    previous_value: float | None


class CheckInOut(Schema):
    date: dt.date
    confidence: str
    score: int | None
    what_happened: str
    next_steps: str


class KeyResultOut(Schema):
    id: int
    statement: str
    metric_id: int
    goal_id: int | None
    baseline: float
    target: float
    start_date: dt.date
    due_date: dt.date
    current: float | None
    progress: float | None
    expected: float | None
    status: str


def key_result_fields(key_result: KeyResult) -> dict[str, Any]:
    """Return a key result's KeyResultOut fields; progress comes from the model."""
    progress = key_result.progress()
    return {
        "id": key_result.pk,
        "statement": key_result.statement,
        "metric_id": key_result.metric_id,
        "goal_id": key_result.goal_id,
        "baseline": key_result.baseline,
        "target": key_result.target,
        "start_date": key_result.start_date,
        "due_date": key_result.due_date,
        "current": progress.current,
        "progress": progress.value,
        "expected": progress.expected,
        "status": progress.status.value,
    }


class KeyResultDetailOut(KeyResultOut):
    check_ins: list[CheckInOut]


class ErrorOut(Schema):
    detail: str
