"""Share pages' repeat visits answered from a worker's memory, kept true by
PostgreSQL's notifications (roadmap.share_cache). These tests commit their
writes, as a served app does, so the notifications really arrive."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from roadmap import share_cache
from roadmap.models import ShareLink
from roadmap.sharing import share_link_revoke
from strategy.revision import plan_changed
from tests.roadmap.factories import OutcomeFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

memory = share_cache.memory


def eventually(condition: Callable[[], object], seconds: float = 5.0) -> None:
    """Wait for the listener thread to hear of a commit (bounded, not a sleep)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the share memory did not catch up in time")
        time.sleep(0.02)


def cut_the_listeners_connection() -> None:
    """End the listener's database session, as a restart or network cut would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database()",
            [share_cache.APPLICATION_NAME],
        )
    eventually(lambda: memory.generation() is None)


@pytest.fixture
def listening(settings) -> Iterator[share_cache.ShareMemory]:
    settings.SHARE_PAGE_MEMORY = True
    memory.start()
    eventually(lambda: memory.generation() is not None)
    yield memory
    memory.stop()


@pytest.fixture
def shared_link() -> tuple[ShareLink, str]:
    product = ProductFactory(slug="fabrikam-style")
    RoadmapFactory(product=product)
    return ShareLink.issue(product=product, label="Board meeting Dec")


def visit(client: Client, secret: str, etag: str | None = None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(reverse("share_page", args=[secret]), headers=headers)


def remembered(link: ShareLink) -> bool:
    return memory.lookup(link.token_hash) is not None


def test_a_repeat_visit_is_answered_from_memory_without_a_query(
    listening, shared_link, django_assert_num_queries
):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    assert visit(client, secret, etag).status_code == 304  # the database's answer
    assert remembered(link)

    with django_assert_num_queries(0):
        again = visit(client, secret, etag)

    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again["Referrer-Policy"] == "no-referrer"
    assert again["X-Robots-Tag"] == "noindex, nofollow"


def test_views_answered_from_memory_are_all_counted(listening, shared_link):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    for _ in range(5):
        assert visit(client, secret, etag).status_code == 304

    memory.flush_views()

    link.refresh_from_db()
    assert link.view_count == 6
    assert link.last_used_at is not None


def test_the_listener_writes_the_counted_views_within_seconds(listening, shared_link):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    for _ in range(3):
        visit(client, secret, etag)

    def counted() -> bool:
        link.refresh_from_db()
        return link.view_count == 4

    eventually(counted)


def test_a_committed_change_to_the_plan_reaches_every_reader(listening, shared_link):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    visit(client, secret, etag)
    assert remembered(link)

    OutcomeFactory(roadmap=link.product.roadmap, title="Brand new outcome")
    plan_changed(link.product_id)
    eventually(lambda: not remembered(link))
    changed = visit(client, secret, etag)

    assert changed.status_code == 200
    assert "Brand new outcome" in changed.content.decode()
    assert changed["ETag"] != etag


def test_a_revoked_link_is_gone_at_once_for_readers_with_a_validator(
    listening, shared_link
):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    visit(client, secret, etag)
    assert remembered(link)

    share_link_revoke(link=link)
    eventually(lambda: not remembered(link))

    assert visit(client, secret, etag).status_code == 410


def test_a_link_redated_into_the_past_is_forgotten(listening, shared_link):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    visit(client, secret, etag)

    ShareLink.objects.filter(pk=link.pk).update(
        expires_on=timezone.localdate() - timezone.timedelta(days=1)
    )
    eventually(lambda: not remembered(link))

    assert visit(client, secret, etag).status_code == 410


def test_counting_a_view_does_not_make_others_forget(listening, shared_link):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    visit(client, secret, etag)
    generation = memory.generation()

    memory.flush_views()  # an UPDATE of the view count notifies no one
    visit(Client(), secret, etag)
    memory.flush_views()

    assert memory.generation() == generation
    assert remembered(link)


def test_without_its_connection_memory_is_not_used(listening, shared_link):
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    visit(client, secret, etag)
    assert remembered(link)

    cut_the_listeners_connection()

    assert not remembered(link)
    assert visit(client, secret, etag).status_code == 304  # from the database
    eventually(lambda: memory.generation() is not None, seconds=10)


def test_a_value_read_while_something_changed_is_not_kept(listening, shared_link):
    link, _ = shared_link
    generation = memory.generation()
    assert generation is not None
    known = share_cache.KnownLink(link.pk, link.product_id, link.scope, None)

    memory.forget_product(link.product_id)  # a notification during the read
    memory.remember(link.token_hash, known, revision=1, generation=generation)

    assert not remembered(link)


def test_memory_is_not_used_while_the_listener_reads_a_notification(
    listening, shared_link
):
    """A change PostgreSQL has announced is never answered from memory."""
    link, secret = shared_link
    client = Client()
    etag = visit(client, secret)["ETag"]
    visit(client, secret, etag)
    assert remembered(link)

    memory._set_reading(True)
    try:
        assert memory.generation() is None
        assert not remembered(link)
    finally:
        memory._set_reading(False)
    assert remembered(link)
