"""Nothing acknowledged is lost when gunicorn's processes die mid-request.

Serves a generated product with gunicorn (production settings, several
workers) from a throwaway database on a PostgreSQL server. While clients edit
cards through the board's edit form (each save carries the version it was
shown) and send measurement batches to the JSON API, it SIGKILLs a worker
several times, then the master (and the workers it leaves behind); starts
gunicorn again; and then checks that

- every card edit answered 2xx is in the card's history, exactly once, and
  the card holds the last acknowledged title (or a later one whose answer
  was lost with the process);
- every batch answered 2xx is stored whole, and no batch, answered or not, is
  stored in part (its measurements and their history: all or none).

Prints the figures and exits 1 on any loss (or a 5xx answer), 2 when the
check itself could not run. The processes and the database are removed on
exit, failure or not.

    python .ci/crash_check.py [--server postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.webclient import FormMissing, WebClient  # noqa: E402

EDITORS = 6  # client threads editing cards, one card each
API_CLIENTS = 2  # client threads sending measurement batches
WORKERS = 3
WORKER_KILLS = 4
ORPHAN_GRACE = 2  # seconds the master's workers get to stop after it is killed
FIRST_DAY = dt.date(2100, 1, 1)  # batches write days no demo value uses
LARGE_BATCH_ROWS = 1_200  # more rows than one bulk INSERT statement holds


def log(message: str) -> None:
    print(message, flush=True)  # noqa: T201


# Clients -------------------------------------------------------------------


@dataclass
class CardLog:
    """What one editor did to its card, in order."""

    kind: str
    pk: int
    acknowledged: list[str] = field(default_factory=list)
    # Titles sent whose answer never came (the server may or may not have
    # saved them), each with how many acknowledged edits preceded it.
    unknown: list[tuple[str, int]] = field(default_factory=list)
    conflicts: int = 0
    server_errors: list[str] = field(default_factory=list)


@dataclass
class Batch:
    number: int
    first_day: dt.date
    days: int
    rows: int
    acknowledged: bool = False
    answered: int | None = None  # the status, None when the answer was lost
    refused: bool = False  # the connection was refused: nothing was sent

    @property
    def note(self) -> str:
        return f"crash-check batch {self.number}"


class Stop:
    def __init__(self) -> None:
        self.event = threading.Event()

    def __bool__(self) -> bool:
        return self.event.is_set()


def edit_card(
    base_url: str, card: CardLog, slug: str, session: str, who: int, stop: Stop
) -> None:
    """Edit one card's title again and again, each save with its version."""
    client = WebClient(base_url, timeout=20)
    client.cookies["sessionid"] = session
    url = f"/products/{slug}/roadmap/{card.kind}/{card.pk}/edit/"
    for attempt in itertools.count(1):
        if stop:
            return
        try:
            form = client.form(url, having="version")
        except (OSError, http.client.HTTPException, FormMissing):
            time.sleep(0.05)  # the server is down or restarting
            continue
        title = f"Editor {who} edit {attempt}"
        try:
            answer = client.post(url, form.data(title=title), htmx=True)
        except ConnectionRefusedError:
            continue  # it never reached a server
        except (OSError, http.client.HTTPException):
            card.unknown.append((title, len(card.acknowledged)))
            continue
        if answer.ok:
            card.acknowledged.append(title)
        elif answer.status == 409:
            card.conflicts += 1
        elif answer.status >= 500:
            card.server_errors.append(f"{answer.status} for {title}")


def send_batches(
    base_url: str,
    token: str,
    metric_ids: list[int],
    batches: list[Batch],
    next_batch: Callable[[], Batch],
    stop: Stop,
    errors: list[str],
) -> None:
    """Send measurement batches, each on days of its own, to the JSON API."""
    client = WebClient(base_url, timeout=30)
    while not stop:
        batch = next_batch()
        batches.append(batch)
        payload = {
            "measurements": [
                {
                    "metric_id": metric_id,
                    "date": (batch.first_day + dt.timedelta(days=day)).isoformat(),
                    "value": batch.number,
                    "note": batch.note,
                }
                for day in range(batch.days)
                for metric_id in metric_ids
            ]
        }
        try:
            answer = client.post_json(
                "/api/v1/measurements/batch", payload, token=token
            )
        except ConnectionRefusedError:
            batch.refused = True  # it never reached a server
            time.sleep(0.05)
            continue
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
            continue
        batch.answered = answer.status
        batch.acknowledged = answer.ok
        if answer.status >= 500:
            errors.append(f"{answer.status} for batch {batch.number}")


# gunicorn ------------------------------------------------------------------


class Gunicorn:
    """gunicorn serving the app, started in a session of its own."""

    def __init__(self, env: dict[str, str], port: int, log_file: Path) -> None:
        self.env = env
        self.port = port
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None
        self.started: list[int] = []

    def start(self) -> None:
        with self.log_file.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(self.process.pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited at start-up")
            if len(self.workers()) == WORKERS and self._answers():
                return
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start within 60 s")

    def _answers(self) -> bool:
        try:
            return (
                WebClient(f"http://127.0.0.1:{self.port}", timeout=5).get("/login/").ok
            )
        except (OSError, http.client.HTTPException):
            return False

    def workers(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(child) for child in children.split()]

    def kill_worker(self) -> int:
        deadline = time.monotonic() + 10
        while not self.workers() and time.monotonic() < deadline:
            time.sleep(0.05)  # the master is still forking their replacements
        worker = random.choice(self.workers())
        os.kill(worker, signal.SIGKILL)
        return worker

    def kill_master(self) -> int:
        """SIGKILL the master, then whichever of its workers still runs.

        An orphaned worker stops by itself only once it notices its parent is
        gone, which can take a while; it gets ORPHAN_GRACE seconds, then the
        same signal. Returns how many got it.
        """
        assert self.process is not None
        orphans = self.workers()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + ORPHAN_GRACE
        while orphans and time.monotonic() < deadline:
            orphans = [pid for pid in orphans if _alive(pid)]
            time.sleep(0.1)
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
        return len(orphans)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)

    def kill_all(self) -> None:
        """Cleanup: every process group this started, whatever is left of it."""
        for pid in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The database ----------------------------------------------------------------


def create_database(server: str, name: str, *, drop_only: bool = False) -> None:
    """Create the database afresh (dropping any left by an earlier run), or drop it."""
    import psycopg
    from psycopg import sql

    database = sql.Identifier(name)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database)
        )
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(database))


@dataclass
class Plan:
    """The generated product the clients write to."""

    slug: str
    cards: list[CardLog]
    metric_ids: list[int]
    token: str
    sessions: list[str]


def prepare() -> Plan:
    """Migrate and generate a product: cards, metrics, an editor's sessions, a token.

    Collects the static files (production settings serve them from the
    manifest) in a process of its own meanwhile. The editor has no password:
    each client gets a session made here, so no one pays for password hashing.
    """
    from django.core.management import call_command
    from django.test import Client

    from strategy.models import ApiToken
    from tests.metrics.factories import MetricFactory
    from tests.roadmap.factories import FeatureFactory, OutcomeFactory, RoadmapFactory
    from tests.strategy.factories import GoalFactory, ProductFactory, UserFactory

    static = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT
    )
    call_command("migrate", verbosity=0, interactive=False)
    editor = UserFactory(username="crash-editor", password=None)
    product = ProductFactory(name="Crash check", slug="crash-check", editors=[editor])
    roadmap = RoadmapFactory(product=product)
    goal = GoalFactory(product=product)
    outcomes = [
        OutcomeFactory(roadmap=roadmap, goal=goal, horizon=horizon)
        for horizon in ("current", "soon", "future")
    ]
    features = [
        FeatureFactory(roadmap=roadmap, outcome=outcome, horizon=outcome.horizon)
        for outcome in outcomes
    ]
    cards = [CardLog("outcome", o.pk) for o in outcomes]
    cards += [CardLog("feature", f.pk) for f in features]
    cards = cards[:EDITORS]
    metric_ids = [MetricFactory(product=product).pk for _ in range(6)]
    _, token = ApiToken.issue(product=product, name="Crash check", created_by=editor)
    sessions = []
    for _ in cards:
        browser = Client()
        browser.force_login(editor)
        sessions.append(browser.cookies["sessionid"].value)
    if static.wait() != 0:
        raise RuntimeError("collectstatic failed")
    return Plan(product.slug, cards, metric_ids, token, sessions)


# Checks ----------------------------------------------------------------------


def check_cards(cards: list[CardLog]) -> list[str]:
    from roadmap.models import Feature, Outcome
    from strategy.models import HistoryEntry

    models = {"outcome": Outcome, "feature": Feature}
    losses = []
    for card in cards:
        entries = list(
            HistoryEntry.objects.filter(
                item_kind=card.kind, item_id=card.pk, field="title"
            ).values_list("after", flat=True)
        )
        for title in card.acknowledged:
            if entries.count(title) != 1:
                losses.append(
                    f"{card.kind} {card.pk}: '{title}' was acknowledged but is in "
                    f"its history {entries.count(title)} times"
                )
        sent = set(card.acknowledged) | {title for title, _ in card.unknown}
        for recorded in entries:
            if recorded not in sent:
                losses.append(f"{card.kind} {card.pk}: '{recorded}' was never sent")
        saved = models[card.kind].objects.get(pk=card.pk).title
        allowed = {
            title for title, after in card.unknown if after >= len(card.acknowledged)
        }
        if card.acknowledged:
            allowed.add(card.acknowledged[-1])
        if card.acknowledged and saved not in allowed:
            losses.append(
                f"{card.kind} {card.pk} holds '{saved}', not its last "
                f"acknowledged title '{card.acknowledged[-1]}'"
            )
    return losses


def check_batches(batches: list[Batch]) -> list[str]:
    from metrics.models import Measurement
    from strategy.models import HistoryEntry

    losses = []
    for batch in batches:
        stored = list(
            Measurement.objects.filter(note=batch.note).values_list("pk", "value")
        )
        recorded = HistoryEntry.objects.filter(
            item_kind="measurement", item_id__in=[pk for pk, _ in stored]
        ).count()
        if len(stored) not in (0, batch.rows) or recorded != len(stored):
            losses.append(
                f"batch {batch.number} is half-applied: {len(stored)} of "
                f"{batch.rows} measurements, {recorded} history entries"
            )
        elif batch.acknowledged and len(stored) != batch.rows:
            losses.append(f"batch {batch.number} was acknowledged but is missing")
        elif any(value != Decimal(batch.number) for _, value in stored):
            losses.append(f"batch {batch.number} holds values of another batch")
    return losses


# The run -------------------------------------------------------------------


def run(server: str, database: str) -> int:
    started = time.monotonic()
    port = free_port()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"{server}/{database}",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or "crash-check",
    )
    import django

    django.setup()
    from django.db import connections

    plan = prepare()
    cards, metric_ids = plan.cards, plan.metric_ids
    connections.close_all()
    log(
        f"   database ready in {time.monotonic() - started:.0f} s: "
        f"{len(cards)} cards, {len(metric_ids)} metrics"
    )

    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "DJANGO_SECURE_COOKIES": "0",
        # The clients send far more than a real integration would.
        "NORTHSTAR_API_RATE_PER_TOKEN": "1000000",
        "NORTHSTAR_API_RATE_PER_IP": "1000000",
    }
    env.pop("DJANGO_DEBUG", None)
    log_file = Path(tempfile.mkstemp(prefix="crash-check-gunicorn-", suffix=".log")[1])
    gunicorn = Gunicorn(env, port, log_file)
    stop = Stop()
    threads: list[threading.Thread] = []
    try:
        booting = time.monotonic()
        gunicorn.start()
        log(f"   gunicorn serving after {time.monotonic() - booting:.0f} s")
        base_url = f"http://127.0.0.1:{port}"
        batches: list[Batch] = []
        errors: list[str] = []
        numbers = itertools.count(1)
        lock = threading.Lock()
        next_day = [FIRST_DAY]

        def next_batch() -> Batch:
            with lock:
                number = next(numbers)
                rows = LARGE_BATCH_ROWS if number % 5 == 0 else 40
                days = -(-rows // len(metric_ids))
                first = next_day[0]
                next_day[0] = first + dt.timedelta(days=days)
            return Batch(number, first, days, days * len(metric_ids))

        for who, (card, session) in enumerate(
            zip(cards, plan.sessions, strict=True), start=1
        ):
            threads.append(
                threading.Thread(
                    target=edit_card,
                    args=(base_url, card, plan.slug, session, who, stop),
                )
            )
        for _ in range(API_CLIENTS):
            threads.append(
                threading.Thread(
                    target=send_batches,
                    args=(base_url, plan.token, metric_ids, batches, next_batch, stop),
                    kwargs={"errors": errors},
                )
            )
        for thread in threads:
            thread.start()

        def acknowledged_writes() -> int:
            edits = sum(len(card.acknowledged) for card in cards)
            return edits + sum(1 for batch in batches if batch.acknowledged)

        def let_writes_through(least: float, most: float) -> None:
            """Wait `least` seconds, then until a write is acknowledged (`most` at most).

            So each kill strikes while writes flow, however busy the machine.
            """
            before = acknowledged_writes()
            time.sleep(least)
            deadline = time.monotonic() + most - least
            while acknowledged_writes() == before and time.monotonic() < deadline:
                time.sleep(0.05)

        let_writes_through(1, 15)
        kills = []
        for _ in range(WORKER_KILLS):
            kills.append(f"worker {gunicorn.kill_worker()}")
            let_writes_through(1, 8)
        down = time.monotonic()
        lingering = gunicorn.kill_master()
        kills.append("master")
        orphans_gone = time.monotonic() - down
        gunicorn.start()
        log(
            f"   master killed; its workers gone after {orphans_gone:.1f} s "
            f"({lingering} SIGKILLed after {ORPHAN_GRACE} s); gunicorn serving again after "
            f"{time.monotonic() - down:.0f} s"
        )
        let_writes_through(2, 10)
        stop.event.set()
        for thread in threads:
            thread.join(timeout=60)
        gunicorn.stop()

        losses = check_cards(cards) + check_batches(batches)
        errors += [error for card in cards for error in card.server_errors]
        acknowledged = sum(len(card.acknowledged) for card in cards)
        unknown = sum(len(card.unknown) for card in cards)
        conflicts = sum(card.conflicts for card in cards)
        batches_acked = [batch for batch in batches if batch.acknowledged]
        refused = sum(1 for batch in batches if batch.refused)
        lost_answers = sum(
            1 for batch in batches if batch.answered is None and not batch.refused
        )
        log(
            f"   clients: {len(cards)} editors, {API_CLIENTS} API clients; "
            f"{WORKERS} gunicorn workers"
        )
        log(
            f"   card edits: {acknowledged} acknowledged, {unknown} without an "
            f"answer (process killed), {conflicts} conflicts (409)"
        )
        log(
            f"   batches: {len(batches) - refused} sent, {len(batches_acked)} "
            "acknowledged "
            f"({sum(b.rows for b in batches_acked)} measurements), "
            f"{lost_answers} without an answer (process killed), "
            f"{refused} refused (no server listening)"
        )
        log(f"   kills (SIGKILL): {', '.join(kills)}")
        log(f"   time: {time.monotonic() - started:.0f} s")
        for error in errors:
            log(f"   server error: {error}")
        for loss in losses:
            log(f"   LOST: {loss}")
        if acknowledged == 0 or not batches_acked:
            log("   FAILED: no write was acknowledged, so nothing was checked")
            return 1
        if losses or errors:
            log(f"   FAILED: {len(losses)} losses, {len(errors)} server errors")
            log(log_file.read_text()[-3000:])
            return 1
        log("   nothing acknowledged was lost, no batch was half-applied")
        return 0
    finally:
        stop.event.set()
        for thread in threads:
            thread.join(timeout=30)
        gunicorn.kill_all()
        connections.close_all()
        log_file.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "CRASH_CHECK_SERVER", "postgres://postgres@127.0.0.1:5432"
        ),
        help="PostgreSQL server URL, without a database name",
    )
    parser.add_argument(
        "--database",
        default=f"northstar_crash_{int(time.time())}_{os.getpid()}",
        help="the throwaway database to create (dropped on exit)",
    )
    args = parser.parse_args()
    server = args.server.rstrip("/")
    create_database(server, args.database)
    try:
        return run(server, args.database)
    except Exception as error:  # the check could not run: not a pass
        log(f"   crash check could not run: {error!r}")
        return 2
    finally:
        create_database(server, args.database, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
