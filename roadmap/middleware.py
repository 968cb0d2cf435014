"""Answer a share page's repeat visit before the rest of the stack runs."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone

from roadmap import sharing

SHARE_PAGE = re.compile(r"^/s/([^/]+)/$")


def share_not_modified(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer 304 to a share page whose reader already has the current version.

    Many readers of one share link ask again and again whether it changed;
    this answers them with one query (the view count, which also checks the
    link and reads the plan's revision) and none of the session, CSRF or
    authentication middleware, which a share page never uses. Anything else,
    including a changed page, goes on to the view, which reuses the opened
    link so the view is counted once.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        validators = request.META.get("HTTP_IF_NONE_MATCH")
        if validators and request.method in ("GET", "HEAD"):
            match = SHARE_PAGE.match(request.path_info)
            if match:
                today = timezone.localdate()
                opened = sharing.open_share_link(match[1], today)
                if opened is not None:
                    etag = opened.etag(today)
                    if etag in validators:
                        response = HttpResponseNotModified()
                        for header, value in sharing.SHARE_HEADERS.items():
                            response[header] = value
                        response["ETag"] = etag
                        return response
                    request.opened_share_link = opened  # type: ignore[attr-defined]
        return get_response(request)

    return middleware
