"""With REDIS_URL set, the caches live in Redis, shared by every process."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set"
)


@dataclass(frozen=True)
class Piece:
    html: str
    version: int


@pytest.fixture
def redis_client():
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    yield client
    client.close()


def test_the_board_cache_writes_and_reads_through_redis(redis_client):
    board = caches["board"]

    board.set("card:1", Piece(html="<article>Launch beta</article>", version=3))

    assert isinstance(board, RedisCache)
    assert redis_client.exists(board.make_and_validate_key("card:1"))
    assert board.get("card:1") == Piece(
        html="<article>Launch beta</article>", version=3
    )


def test_the_board_cache_keeps_its_keys_apart_from_the_default_cache():
    caches["default"].set("card:1", "default")

    caches["board"].set("card:1", "board")

    assert caches["default"].get("card:1") == "default"
    assert caches["board"].get("card:1") == "board"


def test_board_pieces_expire_after_a_day(redis_client):
    board = caches["board"]

    board.set("card:1", "<article>Launch beta</article>")

    ttl = redis_client.ttl(board.make_and_validate_key("card:1"))
    assert 60 * 60 * 23 < ttl <= 60 * 60 * 24
