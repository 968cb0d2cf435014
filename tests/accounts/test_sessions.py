"""Session lifetimes: an idle timeout, an absolute one, and few writes."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.middleware import SEEN_KEY, SIGNED_IN_KEY
from tests.strategy.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm_client():
    client = Client()
    client.force_login(UserFactory(username="pm"))
    return client


def shift(client, key, seconds):
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_the_idle_timeout_is_eight_hours_by_default(settings):
    assert settings.SESSION_IDLE_SECONDS == 8 * 60 * 60
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_MAX_AGE_SECONDS == 14 * 24 * 60 * 60


def test_a_sign_in_starts_both_clocks(pm_client):
    now = int(time.time())

    assert now - 5 <= pm_client.session[SEEN_KEY] <= now
    assert pm_client.session[SIGNED_IN_KEY] == pm_client.session[SEEN_KEY]


def test_a_session_idle_longer_than_the_timeout_ends(pm_client, settings):
    shift(pm_client, SEEN_KEY, settings.SESSION_IDLE_SECONDS + 1)

    response = pm_client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_session_used_within_the_timeout_stays(pm_client, settings):
    shift(pm_client, SEEN_KEY, settings.SESSION_IDLE_SECONDS - 60)

    assert pm_client.get("/").status_code == 200
    # The request counted as activity: the clock restarted.
    assert time.time() - pm_client.session[SEEN_KEY] < 5


def test_a_busy_session_still_ends_at_the_absolute_limit(pm_client, settings):
    shift(pm_client, SIGNED_IN_KEY, settings.SESSION_MAX_AGE_SECONDS + 1)

    assert pm_client.get("/").status_code == 302


def test_a_page_costs_no_session_write_within_the_touch_interval(pm_client):
    pm_client.get("/")

    with CaptureQueriesContext(connection) as queries:
        pm_client.get("/")

    assert not [q for q in queries if "django_session" in q["sql"]]


def test_the_session_is_saved_again_after_the_touch_interval(pm_client, settings):
    shift(pm_client, SEEN_KEY, settings.SESSION_TOUCH_SECONDS + 1)
    before = pm_client.session.get_expiry_date()

    with CaptureQueriesContext(connection) as queries:
        pm_client.get("/")

    assert [q for q in queries if "django_session" in q["sql"]]
    assert time.time() - pm_client.session[SEEN_KEY] < 5
    assert pm_client.session.get_expiry_date() >= before


def test_an_older_session_without_clocks_gets_them(pm_client):
    session = pm_client.session
    del session[SEEN_KEY]
    del session[SIGNED_IN_KEY]
    session.save()

    assert pm_client.get("/").status_code == 200
    assert SEEN_KEY in pm_client.session


def test_the_open_boards_poll_is_not_activity(pm_client, settings, product):
    shift(pm_client, SEEN_KEY, settings.SESSION_TOUCH_SECONDS + 1)
    seen = pm_client.session[SEEN_KEY]
    poll = f"/products/{product.slug}/roadmap/revision/"
    headers = {"HX-Request": "true", "HX-Trigger": "board-sync"}

    assert pm_client.get(poll, {"since": 1}, headers=headers).status_code in (200, 204)
    assert pm_client.session[SEEN_KEY] == seen

    shift(pm_client, SEEN_KEY, settings.SESSION_IDLE_SECONDS)
    timed_out = pm_client.get(poll, {"since": 1}, headers=headers)
    assert timed_out.status_code == 302
    assert "_auth_user_id" not in pm_client.session
