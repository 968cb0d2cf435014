"""Oversized form posts come back as the form, with a message at the field.

Django refuses a form whose fields together exceed DATA_UPLOAD_MAX_MEMORY_SIZE
(or that sends more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields) with a bare
"Bad Request (400)". `oversized_forms` (middleware, before CSRF) reads such a
post once more, leniently: it keeps the fields that fit, drops the ones that do
not, and lets the view run with what was kept. The dropped fields are named in
a context variable for this request; `CheckedBoundField` (the form renderer's
bound field, so every form's) makes each of them fail validation with "Too
large: at most 2.5 MB." next to it, so nothing is saved and nothing else typed
into the form is lost. The JSON API gets a 413 JSON error instead.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from tempfile import SpooledTemporaryFile
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    ValidationError,
)
from django.forms.boundfield import BoundField
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    QueryDict,
)
from django.template.loader import render_to_string
from django.utils.datastructures import MultiValueDict

# A post is read again only up to this size; beyond it, the answer is a 413
# page (no form can be given back without reading it).
REREAD_LIMIT_FACTOR = 8
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

_dropped: ContextVar[dict[str, str] | None] = ContextVar("dropped_fields", default=None)


def dropped_fields() -> dict[str, str]:
    """Fields of this request's post that were too large: name -> message."""
    return _dropped.get() or {}


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def too_large_message() -> str:
    return f"Too large: at most {megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)} MB."


def too_many_message() -> str:
    return f"Too many fields: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} in one form."


class CheckedBoundField(BoundField):
    """A bound field whose value was dropped as too large fails validation."""

    def _dropped_message(self) -> str | None:
        if not self.form.is_bound:
            return None
        return dropped_fields().get(self.html_name)

    @property
    def data(self) -> Any:
        message = self._dropped_message()
        if message is not None:
            raise ValidationError(message, code="too_large")
        return super().data

    def value(self) -> Any:
        if self._dropped_message() is not None:
            return None
        return super().value()

    def _has_changed(self) -> bool:
        return self._dropped_message() is not None or super()._has_changed()  # type: ignore[misc]


def kept_fields(pairs: Iterator[tuple[str, bytes]]) -> tuple[QueryDict, dict[str, str]]:
    """Keep fields in order while they fit the limits; name the rest."""
    kept = QueryDict(mutable=True)
    dropped: dict[str, str] = {}
    budget = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    count_limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    count = 0
    for name, value in pairs:
        if name in dropped:
            continue
        if budget is not None and len(value) > budget:
            dropped[name] = too_large_message()
            continue
        if count_limit is not None and count >= count_limit:
            dropped[name] = too_many_message()
            continue
        if budget is not None:
            budget -= len(value)
        count += 1
        kept.appendlist(name, value.decode("utf-8", errors="replace"))
    kept._mutable = False
    return kept, dropped


def urlencoded_pairs(body: bytes) -> Iterator[tuple[str, bytes]]:
    for part in body.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        yield (
            unquote_plus(name.decode("latin-1"), encoding="utf-8", errors="replace"),
            unquote_plus(
                value.decode("latin-1"), encoding="utf-8", errors="replace"
            ).encode(),
        )


def multipart_pairs(content_type: str, body: bytes) -> Iterator[tuple[str, bytes]]:
    """The text fields of a multipart body (files are left out: pick them again)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        yield str(name), payload if isinstance(payload, bytes) else b""


def content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def too_large_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        render_to_string("413.html", {"message": too_large_message()}, request=request),
        status=413,
    )


def oversized_forms(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """Give an oversized form post back as its form (see the module's text)."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        try:
            return answer(request)
        finally:
            if (copy := getattr(request, "_oversize_copy", None)) is not None:
                copy.close()

    def answer(request: HttpRequest) -> HttpResponseBase:
        if request.method not in {"POST", "PUT", "PATCH"}:
            return get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = content_length(request)
        if request.path_info.startswith("/api/"):
            if limit is not None and length > limit:
                return JsonResponse(
                    {
                        "detail": f"Request body too large: at most {megabytes(limit)} MB."
                    },
                    status=413,
                )
            return get_response(request)
        kind = request.content_type
        if kind not in {URLENCODED, MULTIPART}:
            return get_response(request)
        reread_limit = (limit or 0) * REREAD_LIMIT_FACTOR
        copy: SpooledTemporaryFile[bytes] | None = None
        if limit is not None and length > limit or kind == MULTIPART:
            if limit is not None and length > reread_limit:
                return too_large_page(request)
            # Keep a copy: Django's parser reads the body once.
            copy = SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - closed below
            copy.write(request.read(length) if length else request.read())
            copy.seek(0)
            request._oversize_copy = copy  # type: ignore[attr-defined]
            request._stream = copy  # type: ignore[assignment]
            request._read_started = False  # type: ignore[attr-defined]
        try:
            request.POST  # noqa: B018 - parse now, while a refusal can be turned into a form
            request.FILES  # noqa: B018
        except (RequestDataTooBig, TooManyFieldsSent):
            if copy is not None:
                copy.seek(0)
                body = copy.read()
            else:
                body = request._body
            content_type = request.META.get("CONTENT_TYPE", "")
            pairs = (
                multipart_pairs(content_type, body)
                if kind == MULTIPART
                else urlencoded_pairs(body)
            )
            kept, dropped = kept_fields(pairs)
            request._post = kept  # type: ignore[attr-defined]
            request._files = MultiValueDict()  # type: ignore[attr-defined]
            token = _dropped.set(dropped)
            try:
                return get_response(request)
            finally:
                _dropped.reset(token)
        return get_response(request)

    return middleware
