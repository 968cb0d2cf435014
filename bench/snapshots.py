"""Time taking a snapshot and comparing it with now on the large generated roadmap.

Run from the repository root: `uv run python bench/snapshots.py [--scale 1]`.

It creates a throwaway database (on DATABASE_URL's server, else on the
embedded PostgreSQL; a random name, dropped at the end), generates the large
roadmap (`manage.py generate_roadmap --scale 1`: 1,900 cards, 6,000
measurements) and measures, in-process, each over --rounds rounds:

1. `take_snapshot`: the whole plan read, validated and stored as one document
   (its size in bytes);
2. loading a snapshot's document back and validating it;
3. the comparison of a snapshot with now after 20 outcomes moved between
   horizons and 20 features changed stage (the plan read live, the reasons
   from the history, every item matched), and the two digests.

It prints the load average before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.exchange import server_url, spread, timed, with_database  # noqa: E402


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    admin_url = server_url()
    name = f"northstar_bench_snapshots_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        {
            "DATABASE_URL": with_database(admin_url, name),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_DEBUG": "",
            "PYTHONWARNINGS": "ignore::UserWarning",
        }
    )
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone

    from roadmap import services
    from roadmap.compare import (
        compare,
        customer_digest,
        internal_digest,
        now_moment,
        snapshot_moment,
    )
    from roadmap.generator import generate_roadmap
    from roadmap.models import Feature, Outcome, Roadmap
    from roadmap.snapshots import take_snapshot

    print(f"load average at start: {load()}")
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        product = generate_roadmap(
            slug="bench-large", scale=args.scale, today=timezone.localdate()
        ).product
        print(
            f"generated scale {args.scale:g} in {time.perf_counter() - started:.1f} s"
        )

        take_samples, snapshot = timed(
            args.rounds,
            lambda i: take_snapshot(
                product, name=f"Bench {i}", kind="manual", user=None
            ),
        )
        load_samples, moment = timed(args.rounds, lambda _: snapshot_moment(snapshot))
        doc = moment.doc

        roadmap = Roadmap.objects.get(product=product)
        for outcome in Outcome.objects.alive().filter(
            roadmap=roadmap, horizon="current"
        )[:20]:
            services.card_move(
                roadmap=roadmap,
                card=outcome,
                version=outcome.version,
                actor=None,
                horizon="soon",
            )
        for feature in Feature.objects.alive().filter(roadmap=roadmap, stage="idea")[
            :20
        ]:
            services.card_update(
                roadmap=roadmap,
                card=feature,
                version=feature.version,
                values={"stage": "defined"},
                actor=None,
            )

        compare_samples, result = timed(
            args.rounds,
            lambda _: compare(product, snapshot_moment(snapshot), now_moment(product)),
        )
        digest_samples, _ = timed(
            args.rounds,
            lambda _: (
                internal_digest(product.name, result).as_text(),
                customer_digest(product.name, result).as_text(),
            ),
        )

        cards = sum(
            len(getattr(doc.board, kind))
            for kind in ("outcomes", "challenges", "success_metrics", "features")
        )
        measurements = sum(len(m.measurements) for m in doc.metrics)
        print(
            f"plan: {cards:,} cards, {len(doc.key_results):,} key results, "
            f"{measurements:,} measurements, {len(doc.dependencies):,} dependencies"
        )
        print(f"snapshot document: {snapshot.size:,} bytes")
        print()
        print(f"take_snapshot                {spread(take_samples)}")
        print(f"load and validate a snapshot {spread(load_samples)}")
        print(
            f"compare snapshot vs now      {spread(compare_samples)}  "
            f"({len(result.moved)} moved, {len(result.changed)} changed, "
            f"{len(result.added)} added, {len(result.removed)} removed)"
        )
        print(f"both digests as text         {spread(digest_samples)}")
    finally:
        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
