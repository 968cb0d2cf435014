"""Fixed-window request counters in the default cache, and who the client is.

The default cache is Redis when REDIS_URL is set, so every process and
server counts together; `cache.add` starts a window and `cache.incr` counts
in it atomically.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the client's address, trusting NORTHSTAR_PROXY_COUNT proxies.

    Each trusted proxy appends the address it saw to X-Forwarded-For, so the
    client is the entry that many places from the right. Entries further
    left were written by the client and prove nothing.
    """
    proxies = settings.NORTHSTAR_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return str(request.META.get("REMOTE_ADDR", ""))


@dataclass(frozen=True)
class Window:
    """What a counter says: whether this hit was within the limit, and when
    the window resets."""

    allowed: bool
    count: int
    retry_after: int


def _key(scope: str, ident: str, window: int) -> tuple[str, int]:
    now = time.time()
    start = int(now // window) * window
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    retry_after = max(1, math.ceil(start + window - now))
    return f"ratelimit:{scope}:{digest}:{start}", retry_after


def hit(scope: str, ident: str, *, limit: int, window: int) -> Window:
    """Count one hit for `ident` in the current window; allowed while <= limit."""
    key, retry_after = _key(scope, ident, window)
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 1)
            count = 1
    return Window(allowed=count <= limit, count=count, retry_after=retry_after)


def peek(scope: str, ident: str, *, limit: int, window: int) -> Window:
    """Read the counter without counting; allowed while below the limit."""
    key, retry_after = _key(scope, ident, window)
    count = int(cache.get(key, 0))
    return Window(allowed=count < limit, count=count, retry_after=retry_after)
