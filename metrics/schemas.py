"""The JSON that metrics, measurements and key results take in the API."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from metrics.models import KeyResult

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date_string(value: object) -> object:
    """Let only a YYYY-MM-DD string through (pydantic alone takes 0 as 1970-01-01)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # from Python, not from a request
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise PydanticCustomError(
            "date_format", "Send the date as a YYYY-MM-DD string (ISO 8601)."
        )
    return value


IsoDate = Annotated[
    dt.date,
    BeforeValidator(iso_date_string),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DATE.pattern}),
]


# Measurement.value is a decimal(18, 4): 14 digits before the point, 4 after.
VALUE_PLACES = 4
VALUE_STEP = Decimal(1).scaleb(-VALUE_PLACES)
VALUE_LIMIT = 10**14
VALUE_STRING = re.compile(r"^-?\d{1,14}(\.\d{1,4})?$")
# A JSON number is read exactly as written (the API's parser reads numbers as
# decimals). A client that computes values in binary floating point may send
# 0.30000000000000004 for 0.3: a number within this relative distance of a
# value with 4 decimal places is taken as that value. Anything else with more
# places (1e-79, 0.00001) is refused, never rounded away.
FLOAT_NOISE = Decimal("1e-15")


def exact_value(value: object) -> object:
    """Refuse strings the schema's pattern refuses; drop a float's binary noise."""
    if isinstance(value, str):
        if not VALUE_STRING.match(value):
            raise PydanticCustomError(
                "decimal_format",
                "Send the value as a number, or a string like -1250.5: at most "
                "14 digits before the point and 4 after it.",
            )
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.as_tuple().exponent < -VALUE_PLACES  # type: ignore[operator]
        and value.adjusted() < 15
    ):
        rounded = value.quantize(VALUE_STEP)
        if rounded and abs(value - rounded) <= abs(rounded) * FLOAT_NOISE:
            return rounded
    return value


Value = Annotated[
    Decimal,
    BeforeValidator(exact_value),
    Field(max_digits=18, decimal_places=VALUE_PLACES, allow_inf_nan=False),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "number",
                    "exclusiveMinimum": -VALUE_LIMIT,
                    "exclusiveMaximum": VALUE_LIMIT,
                    "multipleOf": float(VALUE_STEP),
                },
                {"type": "string", "pattern": VALUE_STRING.pattern},
            ],
            "title": "Value",
            "description": "At most 14 digits before the point and 4 after it "
            "(what the database stores); more decimal places are refused, not "
            "rounded.",
            "examples": [1250.5],
        }
    ),
]
# PostgreSQL text cannot hold NUL characters: refuse them as a field error.
Note = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]
MAX_BATCH = 5000


class MeasurementIn(Schema):
    model_config = ConfigDict(extra="forbid")

    date: IsoDate = Field(
        description="The day the value was true, as YYYY-MM-DD (ISO 8601)."
    )
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


class RateLimitedOut(Schema):
    detail: str
    retry_after: int = Field(description="Seconds to wait, as in Retry-After.")


class FieldErrorOut(Schema):
    field: str = Field(description='The bad field, e.g. "measurements[3].value".')
    message: str


class ValidationErrorOut(Schema):
    detail: list[dict[str, Any]] = Field(description="pydantic's own error list.")
    errors: list[FieldErrorOut]


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "schema": {"type": "integer"},
    }
}


def responses(ok: Any, *, body: bool = False, lookup: bool = False) -> dict[Any, Any]:
    """Every status an operation answers, for its `response=` (and so the schema).

    Every operation: 401 (no or bad token), 429 (rate limits). Operations
    that take query or path parameters or a body: 422 (a bad field). With a
    JSON body also 400 (malformed JSON) and 413 (larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE); with an object id, 404 (not in the token's
    product).
    """
    answers: dict[Any, Any] = {200: ok, 401: ErrorOut, 429: RateLimitedOut}
    if body:
        answers.update({400: ErrorOut, 413: ErrorOut, 422: ValidationErrorOut})
    if lookup:
        answers.update({404: ErrorOut, 422: ValidationErrorOut})
    return answers
