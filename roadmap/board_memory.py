"""The board pages a worker served, kept to answer the same request again.

A product manager's board is asked for again and again while nothing on it
changes: the board left open in a tab, a reload, a colleague's poll landing
on the page. Its grid already comes from the cache, but the page still costs
a session read, three queries and the page template, several times what the
same bytes cost as a static file. So a worker keeps the last board pages it
answered, per session, and answers the very same request from memory,
before the session, CSRF and authentication middleware run.

What such a page shows depends on the plan (its revision), on who asks (the
user's name, rights and unread notifications) and on the session being
alive. PostgreSQL says when any of them changes (migrations roadmap 0009
and 0014): the share pages' listener (roadmap.share_cache) passes every
notification on, and this memory forgets the pages it names. It is used
only while that listener is listening, and a page read while a
notification arrived is not kept.

A page is kept only when nothing about the request was personal beyond the
session: the bare board URL (no filters, no side panel, no htmx request), an
answer that sets no cookie, and a session with no message waiting. It is
kept until the session would next be touched (SESSION_TOUCH_SECONDS), so
the idle timeout still sees the person's activity, and never past the day
it was drawn on (progress depends on the date) or the session's end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.middleware import SEEN_KEY, SIGNED_IN_KEY
from roadmap import share_cache

BOARD_PAGE = re.compile(r"^/products/[^/]+/roadmap/$")
# Set on the request by the board view: the page may be kept, for this product.
KEEP_ATTRIBUTE = "_northstar_board_page_product"


@dataclass(frozen=True)
class KeptPage:
    product_id: int
    user_id: int
    session: str  # digest of the session key, as the notifications name it
    day: dt.date
    until: float  # time.time()
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def usable(self, today: dt.date, now: float) -> bool:
        return self.day == today and now < self.until

    def response(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status)
        for name, value in self.headers:
            response[name] = value
        return response


def session_digest(session_key: str) -> str:
    """The session's name in notifications (PostgreSQL's md5 of its key)."""
    return hashlib.md5(session_key.encode(), usedforsecurity=False).hexdigest()


def may_keep(request: HttpRequest, product_id: int) -> None:
    """Let the memory keep this board page (the board view says so)."""
    setattr(request, KEEP_ATTRIBUTE, product_id)


class BoardPageMemory:
    """Board pages by (session, path, encoding), the most recent `size` kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._pages: OrderedDict[tuple[str, str, bool], KeptPage] = OrderedDict()
        # Moves on every notification: a page read while one arrived is not kept.
        self._generation = 0

    def generation(self) -> int | None:
        """The current generation, or None while memory must not be used."""
        if share_cache.memory.generation() is None:
            return None
        with self._lock:
            return self._generation

    def lookup(self, key: tuple[str, str, bool]) -> KeptPage | None:
        if share_cache.memory.generation() is None:
            return None
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if not page.usable(timezone.localdate(), time.time()):
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page

    def keep(self, key: tuple[str, str, bool], page: KeptPage, generation: int) -> None:
        with self._lock:
            if self._generation != generation:
                return
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def forget(self, payload: str | None) -> None:
        """Forget the pages a notification names (None or unknown: all)."""
        if payload is not None and payload.startswith(share_cache.BOARD_CHANGE_PREFIX):
            return  # its product's revision is announced apart
        with self._lock:
            self._generation += 1
            if payload is None:
                self._pages.clear()
                return
            kind, _, value = payload.partition(":")
            if kind == "session":
                self._drop(lambda page: page.session == value)
            elif kind == "user" and value.isdigit():
                self._drop(lambda page: page.user_id == int(value))
            elif payload.isdigit():
                self._drop(lambda page: page.product_id == int(payload))
            else:
                self._pages.clear()

    def _drop(self, named: Callable[[KeptPage], bool]) -> None:
        for key in [key for key, page in self._pages.items() if named(page)]:
            del self._pages[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)


def request_key(request: HttpRequest) -> tuple[str, str, bool] | None:
    """The memory's key for a request it may answer, or None."""
    if request.method != "GET" or request.META.get("QUERY_STRING"):
        return None
    if "HTTP_HX_REQUEST" in request.META or "messages" in request.COOKIES:
        return None
    if not BOARD_PAGE.match(request.path_info):
        return None
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    gzip = "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    return (session_digest(session_key), request.path_info, gzip)


def page_to_keep(request: HttpRequest, response: HttpResponse) -> KeptPage | None:
    """What to keep of a board page just answered, or None if it is personal."""
    product_id = getattr(request, KEEP_ATTRIBUTE, None)
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if product_id is None or session is None or user is None:
        return None
    if response.status_code != 200 or response.streaming:
        return None
    if not _sets_no_new_cookie(request, response):
        return None
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not user.is_authenticated or session.session_key != cookie or session.modified:
        return None
    seen, signed_in = session.get(SEEN_KEY), session.get(SIGNED_IN_KEY)
    if seen is None or signed_in is None:
        return None
    until = min(
        seen + settings.SESSION_TOUCH_SECONDS,
        signed_in + settings.SESSION_MAX_AGE_SECONDS,
    )
    return KeptPage(
        product_id=product_id,
        user_id=user.pk,
        session=session_digest(cookie),
        day=timezone.localdate(),
        until=until,
        status=response.status_code,
        headers=tuple(response.items()),
        body=response.content,
    )


def _sets_no_new_cookie(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether the answer sets no cookie but the CSRF one it already had.

    Every page that holds a CSRF token sends its cookie again, with the same
    secret, to push its expiry back; that the kept page does not do so
    changes nothing for a year.
    """
    csrf = settings.CSRF_COOKIE_NAME
    for name, morsel in response.cookies.items():
        if name != csrf or morsel.value != request.COOKIES.get(csrf):
            return False
    return True


def enabled() -> bool:
    return share_cache.enabled() and board_pages() > 0


def board_pages() -> int:
    return int(getattr(settings, "BOARD_PAGE_MEMORY", 0))


memory = BoardPageMemory(size=64)
share_cache.memory.follow(memory.forget)
