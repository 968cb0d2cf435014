"""The JSON API at /api/v1/: per-product bearer tokens, metrics and the roadmap.

A token belongs to one product; every endpoint reads and writes inside that
product only, and answers 404 for ids of any other product.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from accounts import ratelimit
from config.types import ApiHttpRequest
from metrics.api import router as metrics_router
from metrics.schemas import responses
from roadmap.models import Outcome, Roadmap
from roadmap.schemas import OutcomeDoc, RoadmapDoc, outcome_doc, roadmap_document
from strategy.models import ApiToken

# Writing last_used_at on every request would turn each read into a write;
# once a minute is precise enough for "last used 3 hours ago".
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class RateLimited(Exception):
    """Too many requests; answered 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class ExactNumbers(Parser):
    """Read JSON numbers as decimals, exactly as written (0.1 stays 0.1)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_float=Decimal))


class TokenStopped(Exception):
    """A real, unrevoked token whose maker may no longer edit its product."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProductToken(HttpBearer):
    """Accept `Authorization: Bearer <token>` for an active (not revoked) token.

    Rate limits come first (settings API_RATE_*): requests per client
    address, then failed tokens per address (a client guessing tokens is
    refused before any lookup), then requests per token.
    """

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        address = ratelimit.client_ip(request)
        window = settings.API_RATE_WINDOW_SECONDS
        for counted in (
            ratelimit.hit(
                "api-address", address, limit=settings.API_RATE_PER_IP, window=window
            ),
            ratelimit.peek(
                "api-failed",
                address,
                limit=settings.API_FAILED_TOKENS_PER_IP,
                window=settings.API_FAILED_TOKENS_WINDOW_SECONDS,
            ),
        ):
            if not counted.allowed:
                raise RateLimited(counted.retry_after)
        api_token = (
            ApiToken.objects.active()
            .with_maker_standing()
            .filter(token_hash=ApiToken.hash_secret(token))
            .first()
        )
        if api_token is None:
            ratelimit.hit(
                "api-failed",
                address,
                limit=settings.API_FAILED_TOKENS_PER_IP,
                window=settings.API_FAILED_TOKENS_WINDOW_SECONDS,
            )
            return None
        per_token = ratelimit.hit(
            "api-token",
            str(api_token.pk),
            limit=settings.API_RATE_PER_TOKEN,
            window=window,
        )
        if not per_token.allowed:
            raise RateLimited(per_token.retry_after)
        if api_token.stopped_reason:
            # It acts for its maker, who may no longer write here.
            raise TokenStopped(api_token.stopped_reason)
        now = timezone.now()
        if (
            api_token.last_used_at is None
            or now - api_token.last_used_at > LAST_USED_PRECISION
        ):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return api_token


api = NinjaAPI(
    urls_namespace="api",
    version="1",
    title="Northstar API",
    description="Send measurements to a product's metrics and read its roadmap, "
    "outcomes, key results and metrics. Authenticate with a product's API token "
    "as `Authorization: Bearer <token>`; create tokens on the product's "
    "Metrics › API tokens page.",
    auth=ProductToken(),
    parser=ExactNumbers(),
    docs_url="/docs",
)


def field_name(loc: list[Any]) -> str:
    """Turn ("body", "payload", "measurements", 3, "value") into "measurements[3].value"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
        if parts and parts[0] == "payload":
            parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Answer 422 listing each bad field by name, with pydantic's details kept."""
    errors = [
        {"field": field_name(error.get("loc", [])), "message": error.get("msg", "")}
        for error in exc.errors
    ]
    return api.create_response(
        request, {"detail": exc.errors, "errors": errors}, status=422
    )


@api.exception_handler(TokenStopped)
def token_stopped(request: HttpRequest, exc: TokenStopped) -> HttpResponse:
    """Answer 401 saying why the token stopped, so its owner knows what to do."""
    return api.create_response(
        request,
        {
            "detail": f"This API token has stopped working: {exc.reason}. "
            "An editor of the product can make a new one.",
            "reason": exc.reason,
        },
        status=401,
    )


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """Answer 429 with how long to wait, as Retry-After and in the body."""
    response = api.create_response(
        request,
        {
            "detail": f"Too many requests. Try again in {exc.retry_after} seconds.",
            "retry_after": exc.retry_after,
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


api.add_router("/", metrics_router)


@api.get(
    "/roadmap",
    response=responses(RoadmapDoc),
    tags=["roadmap"],
    summary="Get the roadmap",
)
def get_roadmap(request: ApiHttpRequest) -> Any:
    product = request.auth.product
    roadmap = Roadmap.objects.filter(product=product).first() or Roadmap(
        product=product
    )
    return roadmap_document(roadmap)


@api.get(
    "/outcomes",
    response=responses(list[OutcomeDoc]),
    tags=["roadmap"],
    summary="List outcomes",
)
def list_outcomes(request: ApiHttpRequest) -> Any:
    outcomes = (
        Outcome.objects.alive()
        .filter(roadmap__product=request.auth.product)
        .select_related("goal")
        .prefetch_related("teams")
    )
    return [outcome_doc(o) for o in outcomes]


@api.get(
    "/outcomes/{outcome_id}",
    response=responses(OutcomeDoc, lookup=True),
    tags=["roadmap"],
    summary="Get an outcome",
)
def get_outcome(request: ApiHttpRequest, outcome_id: int) -> Any:
    outcome = get_object_or_404(
        Outcome.objects.alive()
        .filter(roadmap__product=request.auth.product)
        .select_related("goal")
        .prefetch_related("teams"),
        pk=outcome_id,
    )
    return outcome_doc(outcome)
