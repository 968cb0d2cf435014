"""Benchmark the product history page at 10,000 entries, in-process; prints figures.

Run from the repository root: `uv run python bench/history.py [--entries 10000]`.

It creates a throwaway database (on DATABASE_URL's server, else on the
embedded PostgreSQL; a random name, dropped at the end), makes one product
with a roadmap and `--entries` history entries spread over a year, by five
people, of every kind of item, a third of them moves between horizons. Then,
through Django's test client signed in as a reader, it times the history
page (`--rounds` GETs after an uncounted warm-up) for:

1. the first page, unfiltered;
2. moves only;
3. one kind of item and one person;
4. a date range of a month;
5. the last page (the deepest offset);

each with p50 and p95 over all rounds and the number of queries one request
costs. Figures are in-process (no network, no gunicorn, static files by
their plain names), so they show the page's own cost: queries and
rendering.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from board import loadavg, server_url, with_database  # noqa: E402

KINDS = ["outcome", "feature", "challenge", "goal", "key_result", "measurement"]
HORIZONS = ["current", "soon", "future"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def make_history(product, people: list, count: int) -> None:
    """Write `count` entries in bulk, newest about now, one every ~50 minutes."""
    from strategy.models import HistoryEntry

    now = dt.datetime.now(tz=dt.UTC)
    entries = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        is_move = n % 3 == 0 and kind in ("outcome", "feature", "challenge")
        before, after = HORIZONS[n % 3], HORIZONS[(n + 1) % 3]
        entries.append(
            HistoryEntry(
                product=product,
                actor=people[n % len(people)],
                action="moved" if is_move else "updated",
                item_kind=kind,
                item_id=1 + n % 400,
                item_title=f"{kind.replace('_', ' ').title()} {n % 400}",
                horizon=after if kind in ("outcome", "feature", "challenge") else "",
                field="horizon" if is_move else "title",
                before=before if is_move else f"Old title {n}",
                after=after if is_move else f"New title {n}",
                reason="Learned from the pilot" if n % 7 == 0 else "",
                created_at=now - dt.timedelta(minutes=50 * n),
            )
        )
    HistoryEntry.objects.bulk_create(entries, batch_size=2000)


def measure(client, url: str, rounds: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up, not counted
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return times, len(queries), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    began = time.perf_counter()
    load_start = loadavg()
    admin_url = server_url()
    name = f"northstar_bench_history_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        {
            "DATABASE_URL": with_database(admin_url, name),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DJANGO_DEBUG": "",
            "DJANGO_SECURE_COOKIES": "0",
            "PYTHONWARNINGS": "ignore::UserWarning",
        }
    )

    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from roadmap.models import Roadmap
    from strategy.models import Product

    # Static files by their plain names: no collected manifest is needed.
    plain_static = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        }
    )
    plain_static.enable()
    try:
        call_command("migrate", verbosity=0)
        users = get_user_model().objects
        people = [users.create_user(f"person-{n}") for n in range(5)]
        reader = users.create_user("bench-reader")
        product = Product.objects.create(name="Bench history", slug="bench-history")
        Roadmap.objects.create(product=product)
        setup = time.perf_counter()
        make_history(product, people, args.entries)
        written_s = time.perf_counter() - setup
        client = Client()
        client.force_login(reader)
        url = reverse("roadmap:history", args=[product.slug])
        month_end = dt.datetime.now(tz=dt.UTC).date() - dt.timedelta(days=30)
        month_start = month_end - dt.timedelta(days=30)
        pages = math.ceil(args.entries / 50)
        cases = {
            "first page": url,
            "moves only": f"{url}?moves=on",
            "one kind, one person": f"{url}?kind=outcome&person={people[0].pk}",
            "a month": f"{url}?since={month_start}&until={month_end}",
            "last page": f"{url}?page={pages}",
        }
        print(
            f"history page, in-process, {args.entries:,} entries "
            f"(written in {written_s:.1f} s), {args.rounds} rounds each"
        )
        for label, path in cases.items():
            times, queries, size = measure(client, path, args.rounds)
            print(
                f"  {label:<22} p50 {statistics.median(times):7.1f} ms  "
                f"p95 {percentile(times, 0.95):7.1f} ms  "
                f"{queries} queries  {size / 1024:6.1f} KiB"
            )
    finally:
        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        f"load average at start: {load_start}; at end: {loadavg()}; "
        f"bench took {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
