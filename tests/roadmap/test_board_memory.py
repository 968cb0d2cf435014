"""Board pages asked for again answered from a worker's memory, and forgotten
as soon as the plan, the person or their session changes (roadmap.board_memory).
These tests commit their writes, as a served app does, so PostgreSQL's
notifications really arrive."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SEEN_KEY
from roadmap import board_memory, share_cache
from strategy.revision import plan_changed
from tests.roadmap.factories import (
    FeatureFactory,
    NotificationFactory,
    OutcomeFactory,
    RoadmapFactory,
)
from tests.roadmap.test_share_memory import cut_the_listeners_connection, eventually
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

memory = board_memory.memory


@pytest.fixture
def listening(settings):
    settings.SHARE_PAGE_MEMORY = True
    settings.BOARD_PAGE_MEMORY = 8
    memory.forget(None)
    share_cache.memory.start()
    eventually(lambda: memory.generation() is not None)
    yield memory
    share_cache.memory.stop()
    memory.forget(None)


@pytest.fixture
def pm():
    return UserFactory(username="pm")


@pytest.fixture
def product(pm):
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    RoadmapFactory(product=product)
    FeatureFactory(roadmap=product.roadmap, title="Style quiz")
    return product


def board_url(product) -> str:
    return reverse("roadmap:board", args=[product.slug])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def key_of(client: Client, product) -> tuple[str, str, bool]:
    """The memory's key for the plain board page this client asks for."""
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return (board_memory.session_digest(cookie), board_url(product), False)


def kept_board(client: Client, product, **headers) -> bytes:
    """Ask for the board until the memory keeps it (the first answer sets
    the session's clocks and the CSRF cookie, which is never kept)."""
    for _ in range(3):
        response = client.get(board_url(product), headers=headers)
        assert response.status_code == 200
        if len(memory):
            return response.content
    raise AssertionError("the board page was not kept")


def test_a_board_asked_again_is_answered_from_memory_without_a_query(
    listening, pm, product, django_assert_num_queries
):
    client = signed_in(pm)
    page = kept_board(client, product)

    with django_assert_num_queries(0):
        again = client.get(board_url(product))

    assert again.status_code == 200
    assert again.content == page
    assert b"Style quiz" in again.content
    assert "default-src 'self'" in again["Content-Security-Policy"]


def test_a_compressed_page_is_kept_compressed(
    listening, pm, product, django_assert_num_queries
):
    client = signed_in(pm)
    kept_board(client, product, accept_encoding="gzip")

    with django_assert_num_queries(0):
        again = client.get(board_url(product), headers={"accept-encoding": "gzip"})
    plain = client.get(board_url(product))

    assert again["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain


def test_a_change_to_the_plan_is_seen_at_once(listening, pm, product):
    client = signed_in(pm)
    kept_board(client, product)

    FeatureFactory(roadmap=product.roadmap, title="Outfit planner")
    plan_changed(product.pk)
    eventually(lambda: not len(memory))

    assert b"Outfit planner" in client.get(board_url(product)).content


def test_a_signed_out_session_is_never_answered_again(listening, pm, product):
    client = signed_in(pm)
    kept_board(client, product)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    client.post(reverse("logout"))
    eventually(lambda: not len(memory))
    replay = Client()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = cookie

    assert replay.get(board_url(product)).status_code == 302


def test_losing_edit_rights_is_seen_at_once(listening, pm, product):
    client = signed_in(pm)
    assert b"Add outcome" in kept_board(client, product)

    product.editors.remove(pm)
    eventually(lambda: not len(memory))
    page = client.get(board_url(product)).content

    assert b"Add outcome" not in page
    assert b"Read only" in page


def test_a_new_notification_is_counted_at_once(listening, pm, product):
    client = signed_in(pm)
    kept_board(client, product)

    NotificationFactory(recipient=pm, outcome=OutcomeFactory(roadmap=product.roadmap))
    eventually(lambda: not len(memory))

    assert b"(1 unread)" in client.get(board_url(product)).content


def test_a_deactivated_person_is_signed_out_at_once(listening, pm, product):
    client = signed_in(pm)
    kept_board(client, product)

    pm.is_active = False
    pm.save()
    eventually(lambda: not len(memory))

    assert client.get(board_url(product)).status_code == 302


def test_each_session_has_its_own_page(listening, pm, product):
    client = signed_in(pm)
    kept_board(client, product)
    sponsor = signed_in(UserFactory(username="sponsor"))

    page = sponsor.get(board_url(product)).content

    assert b"Read only" in page
    assert b"Add outcome" not in page


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?goal=1", {}), ("", {"hx-request": "true"}), ("?panel=1", {})],
    ids=["filtered", "htmx", "with a query"],
)
def test_only_the_bare_board_page_is_kept(listening, pm, product, query, headers):
    client = signed_in(pm)
    for _ in range(3):
        client.get(board_url(product) + query, headers=headers)

    assert not len(memory)


def test_without_its_listener_memory_is_not_used(listening, pm, product):
    client = signed_in(pm)
    kept_board(client, product)
    cut_the_listeners_connection()

    assert memory.lookup(key_of(client, product)) is None
    eventually(lambda: not len(memory))  # and forgotten once the thread notices
    eventually(lambda: memory.generation() is not None, seconds=10)


def test_a_page_read_while_something_changed_is_not_kept(listening):
    generation = memory.generation()
    assert generation is not None
    page = board_memory.KeptPage(
        product_id=1,
        user_id=1,
        session="s",
        day=timezone.localdate(),
        until=time.time() + 60,
        status=200,
        headers=(),
        body=b"",
    )

    memory.forget("user:2")  # a notification during the read
    memory.keep(("s", "/products/p/roadmap/", False), page, generation)

    assert not len(memory)


def test_a_kept_page_ends_when_the_session_is_due_a_touch_or_the_day_ends():
    now = time.time()
    today = timezone.localdate()
    page = board_memory.KeptPage(
        product_id=1,
        user_id=1,
        session="s",
        day=today,
        until=now + 60,
        status=200,
        headers=(),
        body=b"",
    )

    assert page.usable(today, now)
    assert not page.usable(today, now + 61)
    assert not page.usable(today + dt.timedelta(days=1), now)


def test_the_page_is_kept_until_the_session_would_next_be_touched(
    listening, pm, product, settings
):
    client = signed_in(pm)
    kept_board(client, product)
    session = client.session

    (page,) = memory._pages.values()

    assert page.until == session[SEEN_KEY] + settings.SESSION_TOUCH_SECONDS
