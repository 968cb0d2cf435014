"""Benchmark the public share page against a static file; prints figures.

Run from the repository root: `uv run python bench/share.py [--scale 1]`.

It creates a throwaway database (on DATABASE_URL's server, else on the
embedded PostgreSQL; a random name, dropped at the end), generates the large
roadmap (`manage.py generate_roadmap`, scale 1: 1,900 cards), issues a share
link of each scope (internal, customer-safe) and serves the app with gunicorn
on 127.0.0.1, as bench/board.py does (its helpers are reused). Then, per
scope, wrk (`-c8 -t2 -d10s --latency`, after an uncounted warm-up) measures:

1. the share page answering 200 (the rendered page, from the cache once a
   worker has rendered it);
2. the share page answering 304 to `If-None-Match` with its ETag (from
   each worker's share memory once it has seen the link, roadmap.share_cache;
   NORTHSTAR_SHARE_PAGE_MEMORY=0 measures the one-query database path);
3. a static file of the same bytes as the 200 page, served by the same
   gunicorn through whitenoise (written into STATIC_ROOT after
   `collectstatic` and removed at the end);

each with requests/s, p50, p95 and p99 (read from wrk's latency histogram in
a Lua `done` hook), errors (non-2xx/3xx responses and socket errors) and the
bytes read per response (a 304 run that got 200s would show the page's
size). It prints the ratios share/static, the queries each answer costs
(in-process, Django's test client), the page's bytes, the views each link
counted against the answers seen (every answer counts one) and the load
average at start and end. The goal: the 304 path within 2x the static file. wrk and the
server share the machine's cores, so compare ratios from the same run rather
than absolute numbers across machines.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

# bench/ is this script's directory, so board.py imports as a module.
from board import WORKERS, Gunicorn, loadavg, server_url, with_database

SLUG = "bench-share"
GOAL = 2.0

# Prints what wrk's own report rounds away: p95 and the error counts, in
# one line that report() parses.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p95_us=%d p99_us=%d "
    .. "connect=%d read=%d write=%d status=%d timeout=%d\\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""
WRK_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)


@dataclass
class WrkRun:
    requests: int
    requests_per_s: float
    bytes_per_response: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int

    @property
    def errors(self) -> str:
        return f"{self.non_2xx_3xx} non-2xx/3xx, {self.socket_errors} socket"


@dataclass
class Share:
    """One share link, its page and everything measured on it."""

    scope: str
    secret: str = ""
    link_id: int = 0
    # Answers of the share page that the bench saw, and the views counted.
    answers: int = 0
    views: int = 0
    etag: str = ""
    page_bytes: int = 0
    static_path: Path | None = None
    queries: dict[str, int | str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    runs: dict[str, WrkRun] = field(default_factory=dict)


def run_wrk(
    url: str, seconds: int, script: Path, headers: dict[str, str] | None = None
) -> WrkRun:
    command = ["wrk", "-c8", "-t2", f"-d{seconds}s", "--latency", "--timeout", "60s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = WRK_LINE.search(output)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{output}")
    figures = {
        name: int(value)
        for name, value in (pair.split("=") for pair in line.group(1).split())
    }
    requests = figures["requests"]
    seconds_run = figures["duration_us"] / 1e6
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkRun(
        requests=requests,
        requests_per_s=requests / seconds_run if seconds_run else math.nan,
        bytes_per_response=figures["bytes"] / requests if requests else math.nan,
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        non_2xx_3xx=int(bad.group(1)) if bad else figures["status"],
        socket_errors=sum(
            figures[name] for name in ("connect", "read", "write", "timeout")
        ),
    )


def prepare(share: Share, static_dir: Path) -> None:
    """Render the page in-process: its bytes, ETag and queries per answer."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    url = reverse("share_page", args=[share.secret])

    def get(label: str, **headers: str) -> Any:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        share.queries[label] = len(queries)
        return response

    first = get("200, first render")
    share.answers += 3
    if first.status_code != 200:
        raise SystemExit(f"{share.scope} share page: status {first.status_code}")
    share.etag = first["ETag"]
    share.page_bytes = len(first.content)
    cached = get("200, cached")
    if cached.content != first.content:
        share.checks.append("the cached page differs from the first render")
    unchanged = get("304", **{"If-None-Match": share.etag})
    if unchanged.status_code != 304:
        share.checks.append(f"If-None-Match answered {unchanged.status_code}")
    share.static_path = (
        static_dir / f"bench-share-{share.scope}-{secrets.token_hex(4)}.html"
    )
    share.static_path.write_bytes(first.content)


def check_over_http(share: Share, base: str) -> None:
    """The gunicorn under test serves the same bytes and ETag, and a 304."""
    from django.conf import settings

    def fetch(path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", int(base.rsplit(":", 1)[1])
        )
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    assert share.static_path is not None
    status, headers, body = fetch(f"/s/{share.secret}/", {})
    if status != 200 or len(body) != share.page_bytes:
        share.checks.append(f"gunicorn 200: status {status}, {len(body):,} bytes")
    if headers.get("etag") != share.etag:
        share.checks.append("gunicorn sent another ETag than the in-process page")
    status, _, body = fetch(f"/s/{share.secret}/", {"If-None-Match": share.etag})
    share.answers += 2
    if status != 304 or body:
        share.checks.append(f"gunicorn If-None-Match: status {status}")
    static = f"/{settings.STATIC_URL.strip('/')}/{share.static_path.name}"
    status, _, body = fetch(static, {})
    if status != 200 or len(body) != share.page_bytes:
        share.checks.append(f"static copy: status {status}, {len(body):,} bytes")


def measure(share: Share, base: str, seconds: int, script: Path) -> None:
    from django.conf import settings

    assert share.static_path is not None
    page = f"{base}/s/{share.secret}/"
    static = f"{base}/{settings.STATIC_URL.strip('/')}/{share.static_path.name}"
    # Uncounted: every worker renders (or reads) the page and warms up.
    warm = run_wrk(page, 2, script)
    share.runs["share 200"] = run_wrk(page, seconds, script)
    share.runs["share 304"] = run_wrk(
        page, seconds, script, {"If-None-Match": share.etag}
    )
    share.answers += sum(
        run.requests for run in (warm, share.runs["share 200"], share.runs["share 304"])
    )
    run_wrk(static, 2, script)
    share.runs["static"] = run_wrk(static, seconds, script)


def times(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def report(shares: list[Share], cards: int, seconds: int) -> None:
    from django.conf import settings

    cache = settings.CACHES["board"]["BACKEND"].rsplit(".", 1)[-1]
    print(
        f"gunicorn {WORKERS} workers on 127.0.0.1; share page cache: {cache}; "
        f"roadmap of {cards:,} cards; wrk -c8 -t2 -d{seconds}s per run"
    )
    for share in shares:
        print(
            f"\n{share.scope}: page {share.page_bytes:,} bytes (identity), "
            f"ETag {share.etag}"
        )
        print(
            "  queries per answer (in-process): "
            + ", ".join(f"{name} {count}" for name, count in share.queries.items())
        )
        print(
            f"  {'':<10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"{'B/resp':>9}{'requests':>10}  errors"
        )
        for name, run in share.runs.items():
            print(
                f"  {name:<10}{run.requests_per_s:9.1f}{run.p50_ms:9.2f}"
                f"{run.p95_ms:9.2f}{run.p99_ms:9.2f}{run.bytes_per_response:9.0f}"
                f"{run.requests:10,}  {run.errors}"
            )
        static = share.runs.get("static")
        if static is None:
            continue
        for name in ("share 200", "share 304"):
            run = share.runs[name]
            print(
                f"  {name} / static: throughput "
                f"{times(run.requests_per_s, static.requests_per_s)}, p50 "
                f"{times(run.p50_ms, static.p50_ms)}, p95 "
                f"{times(run.p95_ms, static.p95_ms)}"
            )
        slower = static.requests_per_s / share.runs["share 304"].requests_per_s
        verdict = "within" if slower <= GOAL else "NOT within"
        print(
            f"  goal, the 304 path within {GOAL:g}x the static file: the static file "
            f"serves {slower:.2f}x the 304's requests/s: {verdict} the goal"
        )
        print(
            f"  views counted {share.views:,} for the {share.answers:,} answers that "
            "wrk and the checks completed (more: requests in flight when wrk stopped)"
        )
        if share.views < share.answers:
            share.checks.append("fewer views counted than answers")
        for check in share.checks:
            print(f"  CHECK FAILED: {check}")


def counted_views(share: Share) -> int:
    """The link's view count once the workers have written what they counted.

    Views answered from a worker's share memory reach the database within
    about a second (roadmap.share_cache); wait until the count stops moving.
    """
    from roadmap.models import ShareLink

    views, deadline = -1, time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(1.5)
        now = ShareLink.objects.get(pk=share.link_id).view_count
        if now == views:
            break
        views = now
    return views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()

    began = time.perf_counter()
    load_start = loadavg()
    print(f"load average at start: {load_start}")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed; the share bench needs it.")

    admin_url = server_url()
    name = f"northstar_bench_share_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": with_database(admin_url, name),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DJANGO_DEBUG": "",
        "DJANGO_SECURE_COOKIES": "0",
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
    os.environ.update(env)

    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from roadmap.generator import generate_roadmap
    from roadmap.models import ShareLink

    shares = [Share(scope=scope) for scope in ShareLink.Scope.values]
    memory = (
        "on" if settings.SHARE_PAGE_MEMORY else "off (NORTHSTAR_SHARE_PAGE_MEMORY=0)"
    )
    print(f"share memory: {memory}")
    server = Gunicorn(env)
    handle, script_name = tempfile.mkstemp(prefix="bench-share-", suffix=".lua")
    os.close(handle)
    script = Path(script_name)
    script.write_text(WRK_SCRIPT)
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        static_dir = Path(settings.STATIC_ROOT)
        editor = get_user_model().objects.create_user(
            "bench-editor", password=secrets.token_urlsafe(16)
        )
        result = generate_roadmap(
            slug=SLUG,
            scale=args.scale,
            today=timezone.localdate(),
            name="Bench share",
            editor=editor,
        )
        for share in shares:
            link, share.secret = ShareLink.issue(
                product=result.product,
                label=f"Bench {share.scope}",
                scope=share.scope,
                created_by=editor,
            )
            share.link_id = link.pk
            prepare(share, static_dir)
        # Started after the static copies exist: whitenoise lists its files
        # when the app loads.
        server.start()
        base = f"http://127.0.0.1:{server.port}"
        for share in shares:
            check_over_http(share, base)
            measure(share, base, args.wrk_seconds, script)
            share.views = counted_views(share)
        print()
        report(shares, result.size.cards, args.wrk_seconds)
    finally:
        server.stop()
        from roadmap.share_cache import memory as share_memory

        share_memory.stop()
        script.unlink(missing_ok=True)
        for share in shares:
            if share.static_path is not None:
                share.static_path.unlink(missing_ok=True)
        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        f"\nload average at start: {load_start}; at end: {loadavg()}; "
        f"bench took {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
