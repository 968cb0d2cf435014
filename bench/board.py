"""Benchmark the roadmap board on a large roadmap; prints figures, asserts nothing.

Run from the repository root: `uv run python bench/board.py`.

It builds 300 outcomes, 300 challenges, 300 key results (20 measurements
each) and 1,000 features in a throwaway database (created on the configured
server with a random name and dropped at the end; your data is never touched),
then times the board page and a single-card save through Django's test client,
in-process, so the figures are server time without the network. The board is
timed three ways: cold (empty caches, a fresh process), on a cache hit (nothing
changed: the steady state the p50/p95 targets are about) and after a change
(the grid is rendered again, kept card HTML is reused).

Targets (2-core machine): board p50 <= 50 ms and p95 <= 100 ms, card save
p95 <= 15 ms, queries per board page <= 10 whatever the size.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The benchmark's throwaway database needs no stable key.
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-key")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
)

OUTCOMES, CHALLENGES, KEY_RESULTS, FEATURES = 300, 300, 300, 1000
MEASUREMENTS = 20
BOARD_RUNS, MISS_RUNS, SAVE_RUNS = 40, 15, 60


def build() -> tuple[object, object, list]:
    """Create the large roadmap with bulk inserts; return (editor, product, features)."""
    from django.contrib.auth import get_user_model

    from metrics.models import KeyResult, Measurement, Metric
    from roadmap.models import (
        Challenge,
        Feature,
        Horizon,
        Outcome,
        Roadmap,
        SuccessMetric,
        Team,
    )
    from strategy.models import Goal, Product, Theme

    horizons = Horizon.values
    editor = get_user_model().objects.create_user("bench-editor", password="x")
    product = Product.objects.create(name="Bench", slug="bench")
    product.editors.add(editor)
    roadmap = Roadmap.objects.create(
        product=product, current_hint="Q4", soon_hint="Q1", future_hint="Later"
    )
    themes = Theme.objects.bulk_create(
        Theme(product=product, title=f"Theme {i}", start_year=2026, end_year=2028)
        for i in range(4)
    )
    goals = Goal.objects.bulk_create(
        Goal(
            product=product,
            theme=themes[i % 4],
            title=f"Goal {i}",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2027, 12, 31),
        )
        for i in range(20)
    )
    teams = Team.objects.bulk_create(Team(name=f"Bench team {i}") for i in range(8))
    outcomes = Outcome.objects.bulk_create(
        Outcome(
            roadmap=roadmap,
            title=f"Outcome {i}: customers get more value",
            goal=goals[i % 20],
            horizon=horizons[i % 3],
            position=i,
            status=Outcome.Status.ACTIVE,
        )
        for i in range(OUTCOMES)
    )
    Outcome.teams.through.objects.bulk_create(
        Outcome.teams.through(outcome=o, team=teams[(i + k) % 8])
        for i, o in enumerate(outcomes)
        for k in range(2)
    )
    Challenge.objects.bulk_create(
        Challenge(
            roadmap=roadmap,
            title=f"Challenge {i}",
            outcome=outcomes[i % OUTCOMES],
            horizon=horizons[i % 3],
            position=i,
        )
        for i in range(CHALLENGES)
    )
    metrics = Metric.objects.bulk_create(
        Metric(product=product, name=f"Metric {i}", unit="users")
        for i in range(KEY_RESULTS)
    )
    key_results = KeyResult.objects.bulk_create(
        KeyResult(
            metric=m,
            goal=goals[i % 20],
            baseline=Decimal(100),
            target=Decimal(500),
            start_date=dt.date(2026, 1, 1),
            due_date=dt.date(2027, 6, 30),
        )
        for i, m in enumerate(metrics)
    )
    Measurement.objects.bulk_create(
        Measurement(
            metric=m,
            date=dt.date(2026, 1, 5) + dt.timedelta(weeks=w),
            value=Decimal(100 + 10 * w + (i % 7)),
        )
        for i, m in enumerate(metrics)
        for w in range(MEASUREMENTS)
    )
    SuccessMetric.objects.bulk_create(
        SuccessMetric(
            roadmap=roadmap,
            key_result=kr,
            outcome=outcomes[i % OUTCOMES],
            horizon=horizons[i % 3],
            position=i,
        )
        for i, kr in enumerate(key_results)
    )
    features = Feature.objects.bulk_create(
        Feature(
            roadmap=roadmap,
            title=f"Feature {i}",
            outcome=outcomes[i % OUTCOMES] if i % 10 else None,
            team=teams[i % 8],
            horizon=horizons[i % 3],
            position=i,
        )
        for i in range(FEATURES)
    )
    return editor, product, features


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(share * (len(ordered) - 1)))
    return ordered[index]


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def clear_caches() -> None:
    """Empty the grid cache and the per-card HTML store (a fresh process)."""
    from django.core.cache import caches

    from roadmap.templatetags import board

    for cache in caches.all():
        cache.clear()
    board._RENDERED.clear()


def run() -> None:
    from django.db.models import F
    from django.urls import reverse

    from roadmap.models import Feature, Roadmap
    from roadmap.queries import board_fingerprint

    editor, product, features = build()
    roadmap = Roadmap.objects.get(product=product)
    client = Client()
    client.force_login(editor)
    board_url = reverse("roadmap:board", args=[product.slug])

    def touch() -> None:
        """Change the board (as any write does), so the next render misses."""
        Roadmap.objects.filter(pk=roadmap.pk).update(revision=F("revision") + 1)

    clear_caches()
    cold_ms, response = timed(lambda: client.get(board_url))
    assert response.status_code == 200, response.status_code
    page_kb = len(response.content) / 1024

    touch()
    with CaptureQueriesContext(connection) as queries:
        client.get(board_url)
    miss_queries = len(queries)
    with CaptureQueriesContext(connection) as queries:
        client.get(board_url)
    hit_queries = len(queries)

    for _ in range(3):
        client.get(board_url)
    hit_ms = []
    for _ in range(BOARD_RUNS):
        ms, _response = timed(lambda: client.get(board_url))
        hit_ms.append(ms)

    miss_ms = []
    for _ in range(MISS_RUNS):
        touch()
        ms, _response = timed(lambda: client.get(board_url))
        miss_ms.append(ms)

    fingerprint_ms = [
        timed(lambda: board_fingerprint(roadmap))[0] for _ in range(BOARD_RUNS)
    ]

    save_ms = []
    save_queries = 0
    for run_index in range(SAVE_RUNS):
        feature = Feature.objects.get(pk=features[run_index * 7 % len(features)].pk)
        url = reverse("roadmap:card_edit", args=[product.slug, "feature", feature.pk])
        data = {
            "version": feature.version,
            "title": f"Feature renamed {run_index}",
            "stage": "idea",
            "team": feature.team_id,
            "outcome": feature.outcome_id or "",
        }
        with CaptureQueriesContext(connection) as queries:
            ms, response = timed(
                lambda url=url, data=data: client.post(
                    url, data, headers={"HX-Request": "true"}
                )
            )
        assert response.status_code == 200, response.content[:300]
        save_ms.append(ms)
        save_queries = len(queries)

    after_saves_ms, _ = timed(lambda: client.get(board_url))

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):8.1f} / {percentile(values, 0.95):.1f} ms"

    cards = OUTCOMES + CHALLENGES + KEY_RESULTS + FEATURES
    print(
        f"Board benchmark: {cards} cards ({OUTCOMES} outcomes, {CHALLENGES} challenges,"
    )
    print(
        f"  {KEY_RESULTS} key results x {MEASUREMENTS} measurements, {FEATURES} features)"
    )
    print(f"  page size                     {page_kb:8.0f} KB")
    print(f"  board queries, cache hit      {hit_queries:8d}   (target <= 10)")
    print(f"  board queries, cache miss     {miss_queries:8d}   (target <= 10)")
    print(f"  board first render (cold)     {cold_ms:8.1f} ms (all caches empty)")
    print(f"  board p50 / p95, cache hit    {spread(hit_ms)}   (target <= 50 / 100)")
    print(f"  board p50 / p95, grid changed {spread(miss_ms)}   (grid re-rendered)")
    print(f"  grid fingerprint query p50/95 {spread(fingerprint_ms)}")
    print(f"  board after {SAVE_RUNS} saves          {after_saves_ms:8.1f} ms")
    print(f"  card save queries             {save_queries:8d}")
    print(f"  card save p50 / p95           {spread(save_ms)}   (target p95 <= 15)")


def main() -> None:
    connection.settings_dict["TEST"]["NAME"] = f"bench_board_{secrets.token_hex(4)}"
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    try:
        # Plain static storage: the benchmark must not need collectstatic.
        with override_settings(
            ALLOWED_HOSTS=["testserver"],
            STORAGES={
                **settings.STORAGES,
                "staticfiles": {
                    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                },
            },
        ):
            run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
