"""Brute-force protection of the app's and the admin's sign-in (django-axes).

The figures: after 5 wrong passwords in a row for one username from one
address, the 5th answer and every later one (even with the right password)
is the 429 "Too many sign-in attempts" page, for 15 minutes after the last
try, with Retry-After: 900.
"""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.core.management import call_command

from tests.strategy.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


@pytest.fixture
def pm():
    return UserFactory(username="pm")


def sign_in(client, password, *, path="/login/", address="203.0.113.7", user="pm"):
    return client.post(
        path, {"username": user, "password": password}, REMOTE_ADDR=address
    )


def test_five_wrong_passwords_lock_the_username_at_that_address(client, pm):
    answers = [sign_in(client, "wrong").status_code for _ in range(5)]

    assert answers == [200, 200, 200, 200, 429]
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_a_locked_out_person_sees_when_to_try_again(client, pm):
    for _ in range(5):
        response = sign_in(client, "wrong")

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many sign-in attempts" in page
    assert "After 5 wrong passwords in a row" in page
    assert "Try again after" in page
    assert "in 15 minutes" in page
    assert 'href="/accounts/password/reset/"' in page


def test_the_lockout_is_per_username_and_address(client, pm):
    UserFactory(username="other")
    for _ in range(5):
        sign_in(client, "wrong")

    assert sign_in(client, PASSWORD, address="198.51.100.2").status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, user="other").status_code == 302


def test_a_right_password_resets_the_count(client, pm):
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()

    answers = [sign_in(client, "wrong").status_code for _ in range(4)]

    assert answers == [200] * 4
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, pm):
    for _ in range(5):
        sign_in(client, "wrong")
    AccessAttempt.objects.update(
        attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    )

    assert sign_in(client, PASSWORD).status_code == 302


def test_the_admin_sign_in_locks_out_too(client):
    UserFactory(username="pm", is_staff=True, is_superuser=True)
    answers = [
        sign_in(client, "wrong", path="/admin/login/").status_code for _ in range(5)
    ]

    assert answers == [200, 200, 200, 200, 429]
    response = sign_in(client, PASSWORD, path="/admin/login/")
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_failures_on_both_sign_ins_add_up(client):
    UserFactory(username="pm", is_staff=True)
    for _ in range(3):
        sign_in(client, "wrong")

    sign_in(client, "wrong", path="/admin/login/")

    assert sign_in(client, "wrong", path="/admin/login/").status_code == 429


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("axes_reset_username", ["pm"]),
        ("axes_reset_ip_username", ["203.0.113.7", "pm"]),
        ("axes_reset", []),
    ],
)
def test_an_admin_unlocks_with_a_management_command(client, pm, command, args):
    for _ in range(5):
        sign_in(client, "wrong")

    call_command(command, *args)

    assert sign_in(client, PASSWORD).status_code == 302


def test_an_admin_unlocks_in_the_admin(client, pm):
    for _ in range(5):
        sign_in(client, "wrong")
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin_client = client.__class__()
    admin_client.force_login(admin)
    attempt = AccessAttempt.objects.get(username="pm")

    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert sign_in(client, PASSWORD).status_code == 302


def test_signing_in_still_loads_the_notification_count_backend(client, pm):
    assert sign_in(client, PASSWORD).status_code == 302

    assert client.session[BACKEND_SESSION_KEY] == (
        "roadmap.backends.NotificationCountBackend"
    )
    assert client.get("/").status_code == 200


def test_a_sign_in_gets_a_new_session_key(client, pm):
    client.get("/login/")
    client.session.save()
    before = client.cookies["sessionid"].value if "sessionid" in client.cookies else ""

    sign_in(client, PASSWORD)

    assert client.cookies["sessionid"].value not in ("", before)
    assert client.session[SESSION_KEY] == str(pm.pk)
