"""Benchmark the roadmap board at two sizes, served by gunicorn; prints figures.

Run from the repository root: `uv run python bench/board.py [--saves 40]`.

It creates a throwaway database (on DATABASE_URL's server, else on the
embedded PostgreSQL; a random name, dropped at the end), generates the large
roadmap at scale 1 and scale 4 (`manage.py generate_roadmap`: 1,900 and 7,600
cards), signs an editor in with a session cookie and serves the app with
gunicorn on 127.0.0.1 (2 workers, `-c gunicorn.conf.py` when the project has
one). Then it measures, per size:

1. the board GET right after a card save (save a feature's title through its
   edit URL, then GET the board; 40 rounds, fewer once a size has spent
   --budget seconds on them), p50/p95 and the 4x/1x ratio;
2. the warm board under wrk (`-c8 -t2 -d10s --latency`) beside a static file
   of the same bytes served by the same gunicorn (whitenoise; the copy is
   written into STATIC_ROOT after `collectstatic`, as `make serve` runs it,
   and removed at the end), and the ratio. The same board asked for again by
   the same session is answered from the worker's memory
   (roadmap.board_memory), as a browser's reload would be;
3. the board's bytes on the wire with and without `Accept-Encoding: gzip`;
4. card save and card move p50/p95 over loopback, and card saves in-process
   through Django's test client;
5. queries per page in-process (board after a change and again unchanged,
   product overview, metrics, line of sight);
6. the load average at start and end. Every figure is over all samples, not
   the best; wrk and the server share the machine's cores, so compare ratios
   measured in the same run rather than absolute numbers across machines.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import math
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKERS = 2
MIN_SAMPLES = 10
FORM_ENCODED = "application/x-www-form-urlencoded"
HORIZONS = ["current", "soon", "future"]


def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from config.embedded_db import embedded_database_url

    data_dir = Path(os.environ.get("NORTHSTAR_DATA_DIR", ROOT / ".data"))
    return embedded_database_url(data_dir)


def with_database(url: str, name: str) -> str:
    base, _, rest = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return f"{base}?{rest}" if rest else base


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile over all samples."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def spread(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {statistics.median(values):8.1f} ms  p95 {percentile(values, 0.95):8.1f} ms"
        f"  max {max(values):8.1f} ms  (n={len(values)})"
    )


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def loadavg() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


@dataclass
class Reply:
    ms: float
    status: int
    headers: dict[str, str]
    body: bytes
    header_bytes: int


@dataclass
class WrkResult:
    p50_ms: float
    p99_ms: float
    requests_per_s: float
    requests: int
    bad: int
    errors: str


@dataclass
class Board:
    """One generated roadmap and everything measured on it."""

    label: str
    scale: float
    slug: str
    cards: int = 0
    generate_s: float = 0.0
    feature_ids: list[int] = field(default_factory=list)
    static_path: Path | None = None
    static_bytes: int = 0
    queries: dict[str, int | str] = field(default_factory=dict)
    inprocess_save_ms: list[float] = field(default_factory=list)
    inprocess_save_queries: int = 0
    save_ms: list[float] = field(default_factory=list)
    board_after_save_ms: list[float] = field(default_factory=list)
    move_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wire: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    wrk_board: WrkResult | None = None
    wrk_static: WrkResult | None = None


class Http:
    """Requests to the gunicorn under test, signed in with a session cookie."""

    def __init__(self, port: int, session_key: str) -> None:
        from django.conf import settings

        self.port = port
        # A CSRF secret chosen here: Django accepts the unmasked 32-character
        # secret in the header when it matches the cookie.
        self.csrf = secrets.token_hex(16)
        self.cookie = (
            f"{settings.SESSION_COOKIE_NAME}={session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf}"
        )

    def request(
        self,
        method: str,
        path: str,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        body = urlencode(data, doseq=True).encode() if data is not None else None
        all_headers = {"Cookie": self.cookie, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = FORM_ENCODED
            all_headers["X-CSRFToken"] = self.csrf
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            began = time.perf_counter()
            connection.request(method, path, body, all_headers)
            response = connection.getresponse()
            payload = response.read()
            ms = (time.perf_counter() - began) * 1000
        finally:
            connection.close()
        pairs = response.getheaders()
        header_bytes = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(
            len(name) + len(value) + 4 for name, value in pairs
        )
        return Reply(
            ms=ms,
            status=response.status,
            headers={name.lower(): value for name, value in pairs},
            body=payload,
            header_bytes=header_bytes + 2,
        )


def line_of_sight_url(slug: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    for name in ("roadmap:line_of_sight", "roadmap:alignment"):
        with contextlib.suppress(NoReverseMatch):
            return reverse(name, args=[slug])
    return None


def feature_form(feature_id: int, index: int) -> tuple[str, dict[str, Any]]:
    """Return the edit URL and the posted fields that rename a feature.

    The version is read from the database before each save, as the edit form
    a browser holds would carry it.
    """
    from django.urls import reverse

    from roadmap.models import Feature

    feature = Feature.objects.select_related("roadmap__product").get(pk=feature_id)
    title = re.sub(r" \(edit -?\d+\)$", "", feature.title)
    data: dict[str, Any] = {
        "version": feature.version,
        "title": f"{title} (edit {index})",
        "description": feature.description,
        "stage": feature.stage,
        "team": feature.team_id or "",
        "outcome": feature.outcome_id or "",
        "effort": feature.effort,
        "expected_impact": feature.expected_impact,
        "customer_summary": feature.customer_summary,
    }
    if feature.is_customer_visible:
        data["is_customer_visible"] = "on"
    slug = feature.roadmap.product.slug
    return reverse("roadmap:card_edit", args=[slug, "feature", feature_id]), data


def generate(board: Board, editor: Any) -> None:
    from django.utils import timezone

    from roadmap.generator import generate_roadmap
    from roadmap.models import Feature

    began = time.perf_counter()
    result = generate_roadmap(
        slug=board.slug,
        scale=board.scale,
        today=timezone.localdate(),
        name=f"Bench {board.label}",
        editor=editor,
    )
    board.generate_s = time.perf_counter() - began
    board.cards = result.size.cards
    ids = list(
        Feature.objects.filter(roadmap__product=result.product)
        .order_by("id")
        .values_list("id", flat=True)
    )
    # Features spread over the whole board, not only its first cells.
    board.feature_ids = ids[:: max(1, len(ids) // 64)]


def measure_in_process(board: Board, editor: Any, saves: int, static_dir: Path) -> None:
    """Count queries per page and time saves through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(editor)
    board_url = reverse("roadmap:board", args=[board.slug])

    def count(url: str, **kwargs: Any) -> tuple[int | str, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **kwargs)
        if response.status_code != 200:
            return f"status {response.status_code}", response
        return len(queries), response

    # As gunicorn.conf.py does in each worker after start-up: what this
    # process made so far (the generated roadmaps) is not scanned by every
    # collection, so the timings are those of a server's worker.
    gc.collect()
    gc.freeze()
    board.queries["board, first render"], response = count(board_url)
    if response.status_code == 200:
        # The static twin of the board page, served by the same gunicorn.
        board.static_path = static_dir / f"bench-board-{secrets.token_hex(4)}.html"
        board.static_path.write_bytes(response.content)
        board.static_bytes = len(response.content)

    for index in range(saves):
        url, data = feature_form(
            board.feature_ids[index % len(board.feature_ids)], index
        )
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.post(
                url,
                urlencode(data, doseq=True),
                content_type=FORM_ENCODED,  # as htmx posts a form
                headers={"HX-Request": "true"},
            )
            board.inprocess_save_ms.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            board.failures.append(f"in-process save: status {response.status_code}")
        board.inprocess_save_queries = len(queries)

    # The board read right after one save, as an open board's poll reads it.
    count(board_url)
    url, data = feature_form(board.feature_ids[0], saves)
    client.post(url, data, headers={"HX-Request": "true"})
    board.queries["board, after a save"], _ = count(board_url)
    board.queries["board, unchanged"], _ = count(board_url)
    board.queries["board htmx refresh"], _ = count(
        board_url, headers={"HX-Request": "true"}
    )
    board.queries["product overview"], _ = count(
        reverse("strategy:product_detail", args=[board.slug])
    )
    board.queries["metrics page"], _ = count(
        reverse("metrics:metric_list", args=[board.slug])
    )
    sight = line_of_sight_url(board.slug)
    board.queries["line of sight"] = count(sight)[0] if sight else "no URL"


def session_for(user: Any) -> str:
    """Save a signed-in session for user and return its key (the cookie value)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


class Gunicorn:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = free_port()
        handle, name = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
        os.close(handle)
        self.log = Path(name)
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi"]
        if (ROOT / "gunicorn.conf.py").exists():
            command += ["-c", "gunicorn.conf.py"]
        # Given after the config file, so these win over it.
        return command + [
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ]

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=5
                )
                connection.request("GET", "/login/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        log = self.tail()
        self.stop()
        raise SystemExit(f"gunicorn did not start:\n{log}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


def measure_over_http(
    board: Board, client: Http, saves: int, moves: int, budget_s: float
) -> None:
    """Time save-then-board rounds, moves and the page's bytes over loopback.

    A slow board must not make the bench take forever: each loop stops at
    its time budget once it has MIN_SAMPLES samples (n is printed).
    """
    from django.urls import reverse

    from roadmap.models import Feature

    board_path = reverse("roadmap:board", args=[board.slug])
    deadline = math.inf
    # Two uncounted rounds, so each worker has compiled the templates and
    # imported what a save and a board need before the counted ones.
    for index in range(-2, saves):
        if index == 0:
            deadline = time.monotonic() + budget_s
        if index >= MIN_SAMPLES and time.monotonic() > deadline:
            break
        url, data = feature_form(
            board.feature_ids[index % len(board.feature_ids)], index
        )
        saved = client.request("POST", url, data, {"HX-Request": "true"})
        page = client.request("GET", board_path)
        if index < 0:
            continue
        if saved.status != 200:
            board.failures.append(f"save: status {saved.status}")
        if page.status != 200:
            board.failures.append(f"board after save: status {page.status}")
        board.save_ms.append(saved.ms)
        board.board_after_save_ms.append(page.ms)

    deadline = time.monotonic() + budget_s / 3
    for index in range(moves):
        if index >= MIN_SAMPLES // 2 and time.monotonic() > deadline:
            break
        feature_id = board.feature_ids[(index // 2) % len(board.feature_ids)]
        feature = Feature.objects.get(pk=feature_id)
        others = [h for h in HORIZONS if h != feature.horizon]
        moved = client.request(
            "POST",
            reverse("roadmap:card_move", args=[board.slug, "feature", feature_id]),
            {"version": feature.version, "horizon": others[index % 2]},
            {"HX-Request": "true"},
        )
        if moved.status != 200:
            board.failures.append(f"move: status {moved.status}")
        board.move_ms.append(moved.ms)

    for label, headers in [
        ("identity", {}),
        ("gzip", {"Accept-Encoding": "gzip"}),
    ]:
        reply = client.request("GET", board_path, headers=headers)
        board.wire[label] = (
            len(reply.body),
            reply.header_bytes,
            reply.headers.get("content-encoding", "none"),
        )


WRK_LINE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, cookie: str, seconds: int) -> WrkResult | None:
    if not shutil.which("wrk"):
        return None
    output = subprocess.run(
        [
            "wrk",
            "-c8",
            "-t2",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "60s",
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = {
        share: float(value) * UNIT_MS[unit]
        for share, value, unit in WRK_LINE.findall(output)
    }
    requests = re.search(r"(\d+) requests in", output)
    per_second = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:(.*)", output)
    return WrkResult(
        p50_ms=latency.get("50", math.nan),
        p99_ms=latency.get("99", math.nan),
        requests_per_s=float(per_second.group(1)) if per_second else math.nan,
        requests=int(requests.group(1)) if requests else 0,
        bad=int(bad.group(1)) if bad else 0,
        errors=errors.group(1).strip() if errors else "",
    )


def measure_wrk(board: Board, client: Http, seconds: int) -> None:
    from django.conf import settings
    from django.urls import reverse

    base = f"http://127.0.0.1:{client.port}"
    board_url = base + reverse("roadmap:board", args=[board.slug])
    # Warm both workers, uncounted.
    run_wrk(board_url, client.cookie, 2)
    board.wrk_board = run_wrk(board_url, client.cookie, seconds)
    if board.static_path is not None:
        static_url = f"{base}/{settings.STATIC_URL.strip('/')}/{board.static_path.name}"
        board.wrk_static = run_wrk(static_url, client.cookie, seconds)


def report(
    boards: list[Board], args: argparse.Namespace, phases: dict[str, float]
) -> None:
    from django.conf import settings

    first, last = boards[0], boards[-1]
    cache = settings.CACHES["board"]["BACKEND"].rsplit(".", 1)[-1]
    config = "gunicorn.conf.py" if (ROOT / "gunicorn.conf.py").exists() else "none"
    print(
        f"gunicorn {WORKERS} workers on 127.0.0.1 (config file: {config}); "
        f"board cache: {cache}"
    )
    print(
        "time spent: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in phases.items())
    )
    for board in boards:
        print(
            f"  {board.label}: {board.cards:,} cards, generated in "
            f"{board.generate_s:.1f} s"
        )

    print("\n1. Board GET right after a card save (loopback, all samples)")
    for board in boards:
        print(f"  {board.label}  {spread(board.board_after_save_ms)}")
    if len(boards) > 1 and first.board_after_save_ms and last.board_after_save_ms:
        print(
            f"  ratio {last.label}/{first.label}: p50 "
            f"{ratio(statistics.median(last.board_after_save_ms), statistics.median(first.board_after_save_ms))}"
            f", p95 {ratio(percentile(last.board_after_save_ms, 0.95), percentile(first.board_after_save_ms, 0.95))}"
        )

    print(
        f"\n2. Warm board vs a static file of the same bytes "
        f"(wrk -c8 -t2 -d{args.wrk_seconds}s)"
    )
    for board in boards:
        page, static = board.wrk_board, board.wrk_static
        if page is None:
            print(f"  {board.label}  wrk is not installed")
            continue
        for name, result in [("board ", page), ("static", static)]:
            if result is None:
                continue
            problems = f"  non-2xx {result.bad}" if result.bad else ""
            if result.errors:
                problems += f"  socket errors: {result.errors}"
            print(
                f"  {board.label} {name} p50 {result.p50_ms:8.2f} ms  p99 "
                f"{result.p99_ms:8.2f} ms  {result.requests_per_s:8.1f} req/s  "
                f"({result.requests} requests){problems}"
            )
        if static is not None:
            print(
                f"  {board.label} page/static: p50 {ratio(page.p50_ms, static.p50_ms)}, "
                f"throughput {ratio(page.requests_per_s, static.requests_per_s)}"
                f"  (static copy {board.static_bytes:,} bytes)"
            )

    print("\n3. Board bytes on the wire (body + headers)")
    for board in boards:
        for label, (body, headers, encoding) in board.wire.items():
            print(
                f"  {board.label} {label:<8} body {body:>10,} B  headers {headers:>5,} B"
                f"  Content-Encoding: {encoding}"
            )

    print("\n4. Card writes")
    for board in boards:
        print(f"  {board.label} save, loopback    {spread(board.save_ms)}")
        print(f"  {board.label} save, in-process  {spread(board.inprocess_save_ms)}")
        print(f"  {board.label} move, loopback    {spread(board.move_ms)}")
        print(f"  {board.label} queries per save  {board.inprocess_save_queries}")

    print("\n5. Queries per page (in-process, signed-in editor)")
    names = list(first.queries)
    print("  " + " " * 22 + "".join(f"{board.label:>12}" for board in boards))
    for name in names:
        print(
            f"  {name:<22}"
            + "".join(f"{board.queries.get(name, '-')!s:>12}" for board in boards)
        )

    failures = [f"{board.label} {f}" for board in boards for f in board.failures]
    if failures:
        print(f"\nFailed requests ({len(failures)}): " + "; ".join(failures[:10]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,4", help="comma-separated scales")
    parser.add_argument("--saves", type=int, default=40, help="save + GET rounds")
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--in-process-saves", type=int, default=60)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument(
        "--budget",
        type=float,
        default=60,
        help="seconds per size for the save + GET rounds (a third for moves)",
    )
    args = parser.parse_args()

    began = time.perf_counter()
    load_start = loadavg()
    print(f"load average at start: {load_start}")

    admin_url = server_url()
    name = f"northstar_bench_board_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": with_database(admin_url, name),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        "DJANGO_DEBUG": "",
        # Plain http on loopback: cookies may travel without TLS.
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

    boards = [
        Board(label=f"{float(scale):g}x", scale=float(scale), slug=f"bench-{index}")
        for index, scale in enumerate(args.scales.split(","))
    ]
    server = Gunicorn(env)
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = now - mark
        mark = now

    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        static_dir = Path(settings.STATIC_ROOT)
        editor = get_user_model().objects.create_user(
            "bench-editor", password=secrets.token_urlsafe(16)
        )
        phase("migrate")
        for board in boards:
            generate(board, editor)
        phase("generate")
        for board in boards:
            measure_in_process(board, editor, args.in_process_saves, static_dir)
        phase("in-process")

        # Started after the static copies exist: whitenoise lists its files
        # when the app loads.
        server.start()
        client = Http(server.port, session_for(editor))
        phase("gunicorn start")
        for board in boards:
            measure_over_http(board, client, args.saves, args.moves, args.budget)
        phase("loopback")
        for board in boards:
            measure_wrk(board, client, args.wrk_seconds)
        phase("wrk")
        print()
        report(boards, args, phases)
    finally:
        server.stop()
        # The in-process requests started the memories' listener: stop it
        # before its database goes.
        from roadmap import share_cache

        share_cache.memory.stop()
        for board in boards:
            if board.static_path is not None:
                board.static_path.unlink(missing_ok=True)
        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        f"\nload average at start: {load_start}; at end: {loadavg()}; "
        f"bench took {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
