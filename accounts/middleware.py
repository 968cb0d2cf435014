"""Session lifetimes: an idle timeout and an absolute one, with few writes.

Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) would add a
database write to every page. Instead the session remembers when it was last
seen, and is saved again only when that is more than SESSION_TOUCH_SECONDS
old; each save pushes the session's expiry SESSION_COOKIE_AGE (the idle
timeout) ahead. The check below also ends a session the store still holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

SEEN_KEY = "_northstar_seen"
SIGNED_IN_KEY = "_northstar_signed_in"
# Requests a page makes by itself, named by the htmx element that sends them
# (the HX-Trigger header): the open board's poll. They are not activity, so a
# board left open in a forgotten tab still times out.
PASSIVE_TRIGGERS = frozenset({"board-sync"})


def stamp_sign_in(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """On sign-in, start both clocks (the session's key is already new)."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[SIGNED_IN_KEY] = now
    request.session[SEEN_KEY] = now


def session_timeouts(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        session = request.session
        if "_auth_user_id" in session:
            now = int(time.time())
            seen = session.get(SEEN_KEY)
            signed_in = session.get(SIGNED_IN_KEY)
            if seen is None or signed_in is None:
                # A session from before these clocks: start them now.
                session[SEEN_KEY] = now
                session[SIGNED_IN_KEY] = signed_in or now
            elif (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - signed_in > settings.SESSION_MAX_AGE_SECONDS
            ):
                session.flush()
                request.user = AnonymousUser()
            elif (
                now - seen > settings.SESSION_TOUCH_SECONDS
                and request.headers.get("HX-Trigger") not in PASSIVE_TRIGGERS
            ):
                session[SEEN_KEY] = now
        return get_response(request)

    return middleware


def security_request(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Keep the request at hand for strategy.audit.security_event: who is
    signed in and the client's address, for events recorded deep in a
    service or a signal."""
    from accounts.ratelimit import client_ip
    from strategy import audit

    def middleware(request: HttpRequest) -> HttpResponse:
        setattr(request, audit.ADDRESS_ATTRIBUTE, client_ip(request))
        token = audit.set_current_request(request)
        try:
            return get_response(request)
        finally:
            audit.reset_current_request(token)

    return middleware
