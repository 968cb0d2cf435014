"""Answer a share page's repeat visit before the rest of the stack runs."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone

from roadmap import board_memory, share_cache, sharing
from roadmap.models import ShareLink

SHARE_PAGE = re.compile(r"^/s/([^/]+)/$")


def share_not_modified(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer 304 to a share page whose reader already has the current version.

    Many readers of one share link ask again and again whether it changed.
    While the worker's share memory is listening (roadmap.share_cache), a
    link it has seen is answered from memory, with no query; otherwise one
    query counts the view, checks the link and reads the plan's revision.
    Neither path runs the session, CSRF or authentication middleware, which
    a share page never uses. Anything else, including a changed page, goes on
    to the view, which reuses the opened link so the view is counted once.
    """
    memory = share_cache.memory if share_cache.enabled() else None

    def middleware(request: HttpRequest) -> HttpResponse:
        validators = request.META.get("HTTP_IF_NONE_MATCH")
        if validators and request.method in ("GET", "HEAD"):
            match = SHARE_PAGE.match(request.path_info)
            if match:
                return answer_repeat_visit(request, match[1], validators)
        return get_response(request)

    def answer_repeat_visit(
        request: HttpRequest,
        secret: str,
        validators: str,
    ) -> HttpResponse:
        today = timezone.localdate()
        generation = None
        if memory is not None:
            memory.start()
            token_hash = ShareLink.hash_secret(secret)
            known = memory.lookup(token_hash)
            if known is not None:
                link, revision = known
                if link.open_on(today):
                    etag = sharing.OpenedLink(
                        link.pk, link.product_id, link.scope, revision
                    ).etag(today)
                    if etag in validators:
                        memory.count_view(link.pk)
                        return not_modified(etag)
            generation = memory.generation()
        opened = sharing.open_share_link(secret, today)
        if opened is None:
            return get_response(request)
        if memory is not None and generation is not None:
            memory.remember(
                token_hash,
                share_cache.KnownLink(
                    opened.pk, opened.product_id, opened.scope, opened.expires_on
                ),
                opened.revision,
                generation,
            )
        etag = opened.etag(today)
        if etag in validators:
            return not_modified(etag)
        request.opened_share_link = opened  # type: ignore[attr-defined]
        return get_response(request)

    return middleware


def not_modified(etag: str) -> HttpResponse:
    response = HttpResponseNotModified()
    for header, value in sharing.SHARE_HEADERS.items():
        response[header] = value
    response["ETag"] = etag
    return response


def board_page_from_memory(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer a board page asked for again, unchanged, from the worker's memory.

    See roadmap.board_memory for what is kept, for how long, and what makes
    it forget. It sits before GZip, so a kept compressed page is not
    compressed again, and before sessions and authentication, which a kept
    page has already been through.
    """
    if not board_memory.enabled():
        raise MiddlewareNotUsed
    memory = board_memory.memory
    memory.size = board_memory.board_pages()

    def middleware(request: HttpRequest) -> HttpResponse:
        key = board_memory.request_key(request)
        if key is None:
            return get_response(request)
        share_cache.memory.start()
        page = memory.lookup(key)
        if page is not None:
            return page.response()
        generation = memory.generation()
        response = get_response(request)
        if generation is not None:
            kept = board_memory.page_to_keep(request, response)
            if kept is not None:
                memory.keep(key, kept, generation)
        return response

    return middleware
