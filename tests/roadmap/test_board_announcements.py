"""What a write changed on a board reaches every worker, not only the one that wrote.

Each worker keeps its own cache when there is no Redis. The write announces
its record of what changed on PostgreSQL's channel, in its transaction; each
worker's listener keeps it, so the next board read on any worker patches
the board it had instead of reading the whole board again. With a shared
cache the records are there for every worker and nothing is announced.
These tests commit, so PostgreSQL's notifications really arrive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.urls import reverse

from roadmap import board_data as data_module
from roadmap import share_cache
from roadmap.board import BoardFilters
from roadmap.board_data import BoardChange, board_data, change_key
from tests.roadmap.factories import FeatureFactory
from tests.roadmap.test_board import HTMX
from tests.roadmap.test_share_memory import eventually

pytestmark = pytest.mark.django_db(transaction=True)

ANNOUNCEMENT = share_cache.BOARD_CHANGE_PREFIX

local_cache = isinstance(caches["board"], LocMemCache)
each_worker_its_own_cache = pytest.mark.skipif(
    not local_cache,
    reason="with a shared cache nothing is announced: see the last test",
)


@pytest.fixture
def listening(settings) -> Iterator[None]:
    settings.SHARE_PAGE_MEMORY = True
    share_cache.memory.start()
    eventually(lambda: share_cache.memory.generation() is not None)
    yield
    share_cache.memory.stop()


@pytest.fixture
def another_worker() -> Iterator[psycopg.Connection]:
    """A connection of its own, as another worker's would be."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f"LISTEN {share_cache.CHANNEL}")
        yield conn


def announcements(conn: psycopg.Connection) -> list[str]:
    return [
        note.payload
        for note in conn.notifies(timeout=1, stop_after=5)
        if note.payload.startswith(ANNOUNCEMENT)
    ]


def rename(client, product, feature, title: str) -> None:
    response = client.post(
        reverse("roadmap:card_edit", args=[product.slug, "feature", feature.pk]),
        {
            "version": feature.version,
            "title": title,
            "stage": feature.stage,
            "effort": feature.effort,
            "expected_impact": feature.expected_impact,
        },
        headers=HTMX,
    )
    assert response.status_code == 200, response.content.decode()[:300]


@each_worker_its_own_cache
def test_a_card_edit_announces_what_it_changed_with_its_revision(
    listening, editor_client, product, another_worker
):
    feature = FeatureFactory(roadmap=product.roadmap, horizon="soon")

    rename(editor_client, product, feature, "Gift cards")

    product.refresh_from_db()
    [payload] = announcements(another_worker)
    _, product_id, revision, body = payload.split(":", 3)
    assert (int(product_id), int(revision)) == (product.pk, product.revision)
    assert ["feature", feature.pk] in json.loads(body)["cards"]


@each_worker_its_own_cache
def test_a_change_announced_by_another_worker_patches_this_workers_board(
    listening, product, another_worker, monkeypatch
):
    feature = FeatureFactory(roadmap=product.roadmap, horizon="soon", title="Before")
    product.refresh_from_db()
    board_data(product.roadmap, BoardFilters(), loaded={}, revision=product.revision)
    # Another worker renames the card and announces it; this one never wrote.
    another_worker.execute(
        "UPDATE roadmap_feature SET title = 'After', version = version + 1 "
        "WHERE id = %s",
        [feature.pk],
    )
    revision = product.revision + 1
    another_worker.execute(
        "UPDATE strategy_product SET revision = %s WHERE id = %s",
        [revision, product.pk],
    )
    change = BoardChange(cards=frozenset({("feature", feature.pk)}))
    another_worker.execute(
        "SELECT pg_notify(%s, %s)",
        [
            share_cache.CHANNEL,
            f"{ANNOUNCEMENT}{product.pk}:{revision}:"
            + data_module._announcement.dump_json(change).decode(),
        ],
    )
    eventually(lambda: caches["board"].get(change_key(product.pk, revision)))
    reads = []
    monkeypatch.setattr(data_module, "read", lambda *a, **k: reads.append(a))

    data = board_data(product.roadmap, BoardFilters(), loaded={}, revision=revision)

    assert reads == []  # patched, not read from scratch
    titles = [card.title for cell in data.grid.cells() for card in cell.cards]
    assert titles == ["After"]


@each_worker_its_own_cache
def test_an_announcement_names_no_product_whose_share_links_are_forgotten(
    listening, monkeypatch
):
    """The share memory keeps its links: the revision is announced apart."""
    forgotten: list[int | None] = []
    monkeypatch.setattr(share_cache.memory, "forget_product", forgotten.append)

    share_cache.memory.receive(f"{ANNOUNCEMENT}1:2:{{}}")

    assert forgotten == []


@pytest.mark.parametrize("rest", ["1:2:not json", "1:2", "one:2:{}", ""])
def test_an_announcement_that_is_not_a_record_is_ignored(rest):
    data_module.keep_announced(f"{ANNOUNCEMENT}{rest}")

    assert caches["board"].get(change_key(1, 2)) is None


@pytest.mark.skipif(
    local_cache, reason="needs the shared cache: runs in CI's pass with REDIS_URL"
)
def test_with_a_shared_cache_nothing_is_announced(
    listening, editor_client, product, another_worker
):
    feature = FeatureFactory(roadmap=product.roadmap, horizon="soon")

    rename(editor_client, product, feature, "Gift cards")

    product.refresh_from_db()
    assert announcements(another_worker) == []
    assert caches["board"].get(change_key(product.pk, product.revision)) is not None
