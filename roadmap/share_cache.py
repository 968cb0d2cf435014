"""What a worker knows about share links between requests, kept true by PostgreSQL.

A share page's repeat visit only asks "is my copy still current?". Answering
from the database costs a round trip to another process per visit, which
under load costs more than serving the page's bytes from disk. So each worker
keeps, for the links it has seen, what the answer depends on (the link's
product, scope and expiry, and the plan's revision) and answers from memory.

It stays true because PostgreSQL tells every worker what changed: triggers
(migration roadmap 0009) send a notification on the `northstar_plan` channel
when a product's revision moves (every write a share page shows bumps it) and
when a link is revoked, re-scoped, re-dated or deleted. One thread per worker
listens on its own connection and forgets what a notification names. The
memory is used only while that thread is listening: before it listens, after
its connection drops, and until it listens again, every visit asks the
database, as it did before. Nor is it used while a notification is waiting
on the listener's socket or being handled, so a worker never answers from
memory once PostgreSQL has told it of a change. The board pages' memory
(roadmap.board_memory) follows the same notifications.

Views answered from memory are counted in memory and written by the same
thread about once a second (and when the worker exits), so the share list's
view counts and "last used" lag by a second at most; a worker killed outright
loses at most that second's counts, as an asynchronous commit already could.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import select
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from django.utils import timezone

CHANNEL = "northstar_plan"
APPLICATION_NAME = "northstar share page listener"
FLUSH_SECONDS = 1.0
# Notifications that name no product's links: about one session or one
# person (migration roadmap 0014), or what a write changed on a board
# (roadmap.board_data; its product's revision is announced apart).
BOARD_CHANGE_PREFIX = "board-change:"
FOLLOWERS_ONLY_PREFIXES = ("session:", "user:", BOARD_CHANGE_PREFIX)
RETRY_SECONDS = 2.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnownLink:
    """A valid link as the database last said, and what its page shows."""

    pk: int
    product_id: int
    scope: str
    expires_on: dt.date | None

    def open_on(self, today: dt.date) -> bool:
        return self.expires_on is None or self.expires_on >= today


class ShareMemory:
    """Links and revisions one worker has seen, and the views it still owes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: dict[str, KnownLink] = {}
        self._revisions: dict[int, int] = {}
        self._views: Counter[int] = Counter()
        self._last_used: dict[int, dt.datetime] = {}
        # Moves on every notification and (re)connection: a value read from the
        # database is kept only if nothing was announced while it was read.
        self._generation = 0
        self._listening = False
        # The listener's socket, and whether its thread is reading from it:
        # while a notification may be waiting or half handled, memory is not
        # used (a write that just committed must not be missed).
        self._socket: int | None = None
        self._reading = False
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._flush_at_exit = False
        # Other memories kept true by the same notifications (board pages):
        # each is told every payload, and None when all must be forgotten.
        self._followers: list[Callable[[str | None], None]] = []

    # The request side ---------------------------------------------------------

    def start(self) -> None:
        """Start the listener in this process (again after a fork)."""
        if self._pid == os.getpid() and self._thread is not None:
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None:
                return
            # A forked worker inherits the parent's memory but not its thread.
            self._links.clear()
            self._revisions.clear()
            self._views.clear()
            self._last_used.clear()
            self._listening = False
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._listen_forever, name="share-page-listener", daemon=True
            )
            self._thread.start()
            if not self._flush_at_exit:
                atexit.register(self.flush_views)
                self._flush_at_exit = True

    def _usable(self) -> bool:
        """Whether memory may answer now (called with the lock held)."""
        if not self._listening or self._reading or self._socket is None:
            return False
        try:
            waiting, _, _ = select.select([self._socket], [], [], 0)
        except (OSError, ValueError):
            return False
        return not waiting

    def generation(self) -> int | None:
        """The current generation, or None while memory must not be used."""
        with self._lock:
            return self._generation if self._usable() else None

    def lookup(self, token_hash: str) -> tuple[KnownLink, int] | None:
        """The known link with this hash and its product's revision, if both are known."""
        with self._lock:
            if not self._usable():
                return None
            link = self._links.get(token_hash)
            if link is None:
                return None
            revision = self._revisions.get(link.product_id)
            if revision is None:
                return None
            return link, revision

    def remember(
        self, token_hash: str, link: KnownLink, revision: int, generation: int
    ) -> None:
        """Keep what the database said, unless something changed meanwhile."""
        with self._lock:
            if self._listening and self._generation == generation:
                self._links[token_hash] = link
                self._revisions[link.product_id] = revision

    def count_view(self, link_pk: int) -> None:
        with self._lock:
            self._views[link_pk] += 1
            self._last_used[link_pk] = timezone.now()

    def follow(self, forget: Callable[[str | None], None]) -> None:
        """Have `forget` told of every notification this memory hears."""
        with self._lock:
            if forget not in self._followers:
                self._followers.append(forget)

    # The listener side --------------------------------------------------------

    def receive(self, payload: str) -> None:
        """Forget what a notification names, here and in the followers.

        A product's id names its links and revision; "session:…",
        "user:…" and "board-change:…" name what only the followers keep;
        anything else names everything.
        """
        if not payload.startswith(FOLLOWERS_ONLY_PREFIXES):
            self.forget_product(_product_named(payload))
        for forget in list(self._followers):
            forget(payload)

    def forget_product(self, product_id: int | None) -> None:
        with self._lock:
            self._generation += 1
            if product_id is None:
                self._links.clear()
                self._revisions.clear()
                return
            self._revisions.pop(product_id, None)
            for token_hash in [
                key
                for key, link in self._links.items()
                if link.product_id == product_id
            ]:
                del self._links[token_hash]

    def _set_listening(self, listening: bool, socket: int | None = None) -> None:
        with self._lock:
            self._generation += 1
            self._listening = listening
            self._socket = socket
            self._links.clear()
            self._revisions.clear()
            followers = list(self._followers)
        for forget in followers:
            forget(None)

    def _listen_forever(self) -> None:
        while not self._stop.is_set():
            try:
                with _listener_connection() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._set_listening(True, conn.fileno())
                    while not self._stop.is_set():
                        select.select([conn.fileno()], [], [], FLUSH_SECONDS)
                        self._set_reading(True)
                        try:
                            self._read_notifications(conn)
                            self._flush_on(conn)
                            # Those that arrived during the flush.
                            self._read_notifications(conn)
                        finally:
                            self._set_reading(False)
            except Exception:  # the thread must outlive any database hiccup
                logger.warning("share page listener lost its connection", exc_info=True)
            self._set_listening(False)
            self._stop.wait(RETRY_SECONDS)

    def _set_reading(self, reading: bool) -> None:
        with self._lock:
            self._reading = reading

    def _read_notifications(self, conn: psycopg.Connection[Any]) -> None:
        for note in conn.notifies(timeout=0):
            self.receive(note.payload)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=FLUSH_SECONDS * 3)
        self._thread = None
        self._pid = None
        self.flush_views()

    # Counting ------------------------------------------------------------------

    def _take_views(self) -> list[tuple[int, int, dt.datetime]]:
        with self._lock:
            owed = [
                (pk, count, self._last_used[pk]) for pk, count in self._views.items()
            ]
            self._views.clear()
            self._last_used.clear()
        return owed

    def _give_back(self, owed: list[tuple[int, int, dt.datetime]]) -> None:
        with self._lock:
            for pk, count, used in owed:
                self._views[pk] += count
                self._last_used[pk] = max(used, self._last_used.get(pk, used))

    def _flush_on(self, conn: psycopg.Connection[Any]) -> None:
        owed = self._take_views()
        if not owed:
            return
        try:
            _write_views(conn, owed)
        except Exception:
            self._give_back(owed)
            raise

    def flush_views(self) -> None:
        """Write the views counted in memory (at exit, or from a test)."""
        owed = self._take_views()
        if not owed:
            return
        try:
            with _listener_connection() as conn:
                _write_views(conn, owed)
        except Exception:
            logger.warning("could not write %d share page views", len(owed))


def _listener_connection() -> psycopg.Connection[Any]:
    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    params["application_name"] = APPLICATION_NAME
    return psycopg.connect(**params, autocommit=True)


def _product_named(payload: str) -> int | None:
    """The product a notification names; None means every product."""
    try:
        return int(payload)
    except ValueError:
        return None


def _write_views(
    conn: psycopg.Connection[Any], owed: list[tuple[int, int, dt.datetime]]
) -> None:
    from roadmap.models import ShareLink

    table = ShareLink._meta.db_table
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = off")
        with conn.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET view_count = view_count + %s, "
                "last_used_at = GREATEST(last_used_at, %s) WHERE id = %s",
                [(count, used, pk) for pk, count, used in owed],
            )


def enabled() -> bool:
    return bool(getattr(settings, "SHARE_PAGE_MEMORY", False))


memory = ShareMemory()
