"""Time export and import of the large generated roadmap; prints figures.

Run from the repository root: `uv run python bench/exchange.py [--scale 1]`.

It creates a throwaway database (on DATABASE_URL's server, else on the
embedded PostgreSQL; a random name, dropped at the end), generates the large
roadmap (`manage.py generate_roadmap --scale 1`: 1,900 cards, 6,000
measurements) and measures, in-process, each over --rounds rounds:

1. export as JSON, CSV (zip) and Markdown: time and size;
2. reading and checking the JSON document (`read_plan`);
3. the preview of an import as a new product and over the product itself;
4. import as a new product (everything created) and over the product itself
   (nothing changes), and over a product holding another plan (all replaced);
5. whether the new product exports the same document (apart from ids).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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


def timed(rounds: int, action: Callable[[int], Any]) -> tuple[list[float], Any]:
    samples, result = [], None
    for index in range(rounds):
        started = time.perf_counter()
        result = action(index)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def spread(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples):8.0f} ms  max {max(samples):8.0f} ms"
        f"  (n={len(samples)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    admin_url = server_url()
    name = f"northstar_bench_exchange_{secrets.token_hex(4)}"
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

    from roadmap.exchange import (
        comparable,
        plan_csv_zip,
        plan_document,
        plan_json,
        plan_markdown,
    )
    from roadmap.generator import generate_roadmap
    from roadmap.importing import plan_changes, plan_import, read_plan

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        product = generate_roadmap(
            slug="bench-large", scale=args.scale, today=timezone.localdate()
        ).product
        other = generate_roadmap(
            slug="bench-other", scale=args.scale / 10, today=timezone.localdate()
        ).product
        print(
            f"generated scale {args.scale:g} in {time.perf_counter() - started:.1f} s"
        )

        doc_samples, doc = timed(args.rounds, lambda _: plan_document(product))
        json_samples, text = timed(
            args.rounds, lambda _: plan_json(plan_document(product))
        )
        csv_samples, zipped = timed(
            args.rounds, lambda _: plan_csv_zip(plan_document(product))
        )
        md_samples, markdown = timed(
            args.rounds, lambda _: plan_markdown(plan_document(product))
        )
        read_samples, parsed = timed(args.rounds, lambda _: read_plan(text))
        preview_new, _ = timed(args.rounds, lambda _: plan_changes(parsed, None))
        preview_same, changes = timed(
            args.rounds, lambda _: plan_changes(parsed, product)
        )
        import_new, result = timed(
            args.rounds, lambda i: plan_import(doc=parsed, slug=f"bench-copy-{i}")
        )
        import_same, _ = timed(
            args.rounds, lambda _: plan_import(doc=parsed, product=product)
        )
        other_doc = read_plan(plan_json(plan_document(other)))
        replace_samples: list[float] = []
        for _ in range(args.rounds):
            # Over a product holding another plan: all of it replaced.
            plan_import(doc=other_doc, product=result.product)
            samples, _ = timed(
                1, lambda _: plan_import(doc=parsed, product=result.product)
            )
            replace_samples += samples
        same = comparable(plan_document(result.product)) == comparable(doc)

        cards = sum(
            len(getattr(doc.board, kind))
            for kind in ("outcomes", "challenges", "success_metrics", "features")
        )
        measurements = sum(len(m.measurements) for m in doc.metrics)
        print(
            f"plan: {cards:,} cards, {len(doc.key_results):,} key results, "
            f"{measurements:,} measurements, {len(doc.dependencies):,} dependencies"
        )
        print()
        print(f"export, read the plan only   {spread(doc_samples)}")
        print(
            f"export JSON                  {spread(json_samples)}  {len(text.encode()):>10,} bytes"
        )
        print(
            f"export CSV (zip)             {spread(csv_samples)}  {len(zipped):>10,} bytes"
        )
        print(
            f"export Markdown              {spread(md_samples)}  {len(markdown.encode()):>10,} bytes"
        )
        print(f"read and check the JSON      {spread(read_samples)}")
        print(f"preview as a new product     {spread(preview_new)}")
        print(
            f"preview over itself          {spread(preview_same)}  ({changes.summary()})"
        )
        print(
            f"import as a new product      {spread(import_new)}  ({result.created:,} created)"
        )
        print(f"import over itself (no-op)   {spread(import_same)}")
        print(f"import over another plan     {spread(replace_samples)}")
        print(f"round trip gives the same document: {'yes' if same else 'NO'}")
    finally:
        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
