"""gunicorn settings for Northstar, read from the environment.

`gunicorn config.wsgi` picks this file up from the working directory; the
Makefile's `serve` target, the Dockerfile and docker-compose all use it.

    WEB_CONCURRENCY      worker processes (default 2)
    GUNICORN_BIND        address to listen on (default 127.0.0.1:8000)
    GUNICORN_ACCESS_LOG  access log file, `-` for stdout (default off)
"""

from __future__ import annotations

import gc
import os
from typing import Any

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Off unless asked for: a log line per request costs throughput, and a proxy
# in front usually keeps its own.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None

# Load Django once in the master, before forking, so the workers start with
# its modules, settings and models already in memory pages they share.
preload_app = True


def when_ready(server: Any) -> None:
    """Import every view and compile the templates once, before the first fork."""
    from config.warmup import warm_up

    warm_up()


def post_fork(server: Any, worker: Any) -> None:
    """Move everything loaded at start-up out of the garbage collector's reach.

    The objects Django made at start-up live as long as the worker. Frozen,
    the collector stops walking them on every full collection, so those
    pauses get shorter (better p95 latency), and it never writes to their
    headers, so the pages the worker shares with the master stay shared
    instead of being copied on write.
    """
    gc.freeze()
