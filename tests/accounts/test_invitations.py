"""Invitations: an admin invites by email; the invitee joins with the link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import Invitation
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a sunny plan for spring"


@pytest.fixture
def admin_user():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def invite(admin_user, *products, email="new@example.com"):
    return services.invitation_create(
        email=email, products=products, created_by=admin_user
    )


def link_in(page):
    match = re.search(r'value="(https?://[^"]+/accounts/join/[^"]+/)"', page)
    assert match, page
    return match.group(1)


def test_an_admin_invites_and_the_invitee_joins_end_to_end(
    admin_client, mailoutbox, settings
):
    settings.NORTHSTAR_BASE_URL = "https://roadmaps.example.com"
    style = ProductFactory(name="Fabrikam Style")
    ProductFactory(name="Fabrikam Home")

    response = admin_client.post(
        "/accounts/invitations/",
        {"email": "dana@example.com", "products": [style.pk]},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    link = link_in(page)
    assert link.startswith("https://roadmaps.example.com/accounts/join/")
    (message,) = mailoutbox
    assert message.to == ["dana@example.com"]
    assert link in message.body
    assert "to edit Fabrikam Style.\n" in message.body
    assert "7 days" in message.body
    invitation = Invitation.objects.get()
    secret = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == Invitation.hash_secret(secret)
    assert secret not in invitation.token_hash

    invitee = Client()
    path = link.removeprefix("https://roadmaps.example.com")
    form = invitee.get(path)
    assert form.status_code == 200
    assert form["Referrer-Policy"] == "same-origin"  # the secret stays on site
    assert "dana@example.com" in form.content.decode()
    joined = invitee.post(
        path, {"username": "dana", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert joined.status_code == 302
    assert joined["Location"] == "/"
    dana = get_user_model().objects.get(username="dana")
    assert dana.email == "dana@example.com"
    assert not dana.is_staff
    assert not dana.is_superuser
    assert list(dana.editable_products.all()) == [style]
    assert invitee.session[SESSION_KEY] == str(dana.pk)
    assert invitee.get("/").status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_by == dana
    assert invitation.current_status == Invitation.Status.ACCEPTED


def test_a_used_link_answers_410(admin_user):
    _, secret = invite(admin_user)
    client = Client()
    client.post(
        f"/accounts/join/{secret}/",
        {"username": "dana", "password1": PASSWORD, "password2": PASSWORD},
    )

    again = Client().post(
        f"/accounts/join/{secret}/",
        {"username": "eve", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert again.status_code == 410
    assert "This invitation was already used" in again.content.decode()
    assert not get_user_model().objects.filter(username="eve").exists()


def test_an_expired_link_answers_410(client, admin_user, settings):
    invitation, secret = invite(admin_user)
    assert invitation.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = client.get(f"/accounts/join/{secret}/")

    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    posted = client.post(
        f"/accounts/join/{secret}/",
        {"username": "dana", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert posted.status_code == 410
    assert not get_user_model().objects.filter(username="dana").exists()


def test_an_unknown_link_answers_404(client):
    response = client.get("/accounts/join/not-a-real-token/")

    assert response.status_code == 404
    assert "No such invitation" in response.content.decode()


def test_a_revoked_link_answers_410(admin_client, admin_user):
    invitation, secret = invite(admin_user)

    response = admin_client.post(f"/accounts/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    gone = Client().get(f"/accounts/join/{secret}/")
    assert gone.status_code == 410
    assert "This invitation was withdrawn" in gone.content.decode()


def test_the_password_must_pass_the_validators(client, admin_user):
    _, secret = invite(admin_user)

    response = client.post(
        f"/accounts/join/{secret}/",
        {"username": "dana", "password1": "password", "password2": "password"},
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not get_user_model().objects.filter(username="dana").exists()


def test_a_taken_username_is_refused(client, admin_user):
    _, secret = invite(admin_user)
    UserFactory(username="dana")

    response = client.post(
        f"/accounts/join/{secret}/",
        {"username": "Dana", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()


def test_an_email_with_an_account_cannot_be_invited(admin_client):
    UserFactory(username="dana", email="dana@example.com")

    response = admin_client.post(
        "/accounts/invitations/", {"email": "DANA@example.com"}
    )

    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_invitations_page_lists_each_status(admin_client, admin_user):
    style = ProductFactory(name="Fabrikam Style")
    invite(admin_user, style, email="pending@example.com")
    expired, _ = invite(admin_user, email="expired@example.com")
    Invitation.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    revoked, _ = invite(admin_user, email="revoked@example.com")
    services.invitation_revoke(invitation=revoked)

    page = admin_client.get("/accounts/invitations/").content.decode()

    assert "Fabrikam Style" in page
    assert "Pending until" in page
    assert "Expired" in page
    assert "Revoked" in page
    assert page.count(">Revoke</button>") == 1


@pytest.mark.parametrize(
    "path", ["/accounts/invitations/", "/accounts/invitations/1/revoke/"]
)
def test_only_an_installation_admin_manages_invitations(client, path):
    client.force_login(UserFactory(username="pm", is_staff=True))

    response = client.post(path, {"email": "x@example.com"})

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_the_invitations_page_needs_a_sign_in(client):
    response = client.get("/accounts/invitations/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_account_page_links_admins_to_invitations(admin_client):
    page = admin_client.get("/accounts/").content.decode()

    assert 'href="/accounts/invitations/"' in page


def test_the_django_admin_lists_and_revokes_invitations(admin_client, admin_user):
    invitation, secret = invite(admin_user)

    listing = admin_client.get("/admin/accounts/invitation/")
    assert "new@example.com" in listing.content.decode()
    admin_client.post(
        "/admin/accounts/invitation/",
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )

    assert Client().get(f"/accounts/join/{secret}/").status_code == 410


def test_an_email_that_cannot_be_sent_still_shows_the_link(admin_client, monkeypatch):
    def fail(**kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(services, "send_mail", fail)

    response = admin_client.post(
        "/accounts/invitations/", {"email": "dana@example.com"}
    )

    page = response.content.decode()
    assert "The email could not be sent" in page
    assert link_in(page)


def test_an_accepted_invitation_cannot_be_revoked(admin_client, admin_user):
    invitation, secret = invite(admin_user)
    Client().post(
        f"/accounts/join/{secret}/",
        {"username": "dana", "password1": PASSWORD, "password2": PASSWORD},
    )

    response = admin_client.post(f"/accounts/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert invitation.accepted_at is not None
