"""Password change and reset by email; both sign the person out elsewhere."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.strategy.factories import UserFactory

pytestmark = pytest.mark.django_db

OLD = "correct horse battery staple"
NEW = "a brand new passphrase 42"


@pytest.fixture
def pm():
    return UserFactory(username="pm", email="pm@example.com")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_header_links_to_your_account_and_it_to_change_password(pm):
    client = signed_in(pm)

    home = client.get("/").content.decode()
    account = client.get("/accounts/").content.decode()

    assert re.search(r'<a href="/accounts/"\s*>Your account</a>', home)
    assert 'href="/accounts/password/change/"' in account
    assert "pm@example.com" in account


def test_the_login_page_offers_a_reset(client):
    page = client.get("/login/").content.decode()

    assert 'href="/accounts/password/reset/">Forgot your password?</a>' in page


def test_changing_the_password_signs_out_every_other_session(pm, mailoutbox):
    here = signed_in(pm)
    elsewhere = signed_in(pm)
    assert elsewhere.get("/").status_code == 200

    response = here.post(
        "/accounts/password/change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/done/"
    assert here.get("/").status_code == 200  # this session stays signed in
    gone = elsewhere.get("/")
    assert gone.status_code == 302
    assert gone["Location"].startswith("/login/")
    pm.refresh_from_db()
    assert pm.check_password(NEW)
    (notice,) = mailoutbox
    assert notice.to == ["pm@example.com"]
    assert notice.subject == "Your Northstar password was changed"
    assert "/accounts/password/reset/" in notice.body


def test_the_new_password_must_pass_the_validators(pm):
    client = signed_in(pm)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": OLD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This password is too common." in page
    assert "This password is entirely numeric." in page


def test_a_wrong_old_password_changes_nothing(pm, mailoutbox):
    client = signed_in(pm)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": "nope", "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 200
    pm.refresh_from_db()
    assert pm.check_password(OLD)
    assert mailoutbox == []


def test_change_password_needs_a_sign_in(client):
    response = client.get("/accounts/password/change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def reset_link(mailoutbox):
    (message,) = mailoutbox
    match = re.search(r"(https?://\S+/accounts/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_by_email_end_to_end(client, pm, mailoutbox, settings):
    settings.NORTHSTAR_BASE_URL = "https://roadmaps.example.com"
    elsewhere = signed_in(pm)

    response = client.post("/accounts/password/reset/", {"email": "pm@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mailoutbox[0].to == ["pm@example.com"]
    assert mailoutbox[0].subject == "Reset your Northstar password"
    link = reset_link(mailoutbox)
    assert link.startswith("https://roadmaps.example.com/accounts/reset/")

    path = link.removeprefix("https://roadmaps.example.com")
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})

    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert elsewhere.get("/").status_code == 302  # the old session has ended
    assert mailoutbox[1].subject == "Your Northstar password was changed"
    assert SESSION_KEY not in client.session  # a reset does not sign in
    assert (
        client.post("/login/", {"username": "pm", "password": NEW}).status_code == 302
    )
    # The link works once.
    again = client.get(path, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "x@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mailoutbox == []


def test_reset_requests_are_limited_per_address(client, pm, settings, mailoutbox):
    settings.PASSWORD_RESET_PER_IP_PER_HOUR = 2
    for _ in range(2):
        client.post("/accounts/password/reset/", {"email": "pm@example.com"})

    response = client.post("/accounts/password/reset/", {"email": "pm@example.com"})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Too many reset requests" in response.content.decode()
    assert len(mailoutbox) == 2


def test_the_admin_login_links_to_the_reset(client):
    page = client.get("/admin/login/").content.decode()

    assert "/accounts/password/reset/" in page
