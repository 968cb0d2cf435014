"""The security log: what is recorded, who reads it, and that it is append-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import get_resolver, reverse

from accounts.models import AppendOnly, Invitation, SecurityEvent
from accounts.services import invitation_accept
from roadmap.models import ShareLink
from strategy.audit import SecurityKind, security_event
from strategy.models import ApiToken
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def kinds() -> list[str]:
    return list(SecurityEvent.objects.order_by("id").values_list("kind", flat=True))


def last(kind: str) -> SecurityEvent:
    return SecurityEvent.objects.filter(kind=kind).latest("id")


# What is recorded ----------------------------------------------------------


def test_a_sign_in_is_recorded_with_its_address(client, editor):
    client.post(
        reverse("login"),
        {"username": "editor", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )

    event = last(Kind.LOGIN)
    assert event.actor == editor
    assert event.user == editor
    assert event.ip_address == "203.0.113.9"


def test_a_failed_sign_in_names_the_account_tried(client, editor):
    client.post(reverse("login"), {"username": "editor", "password": "wrong"})

    event = last(Kind.LOGIN_FAILED)
    assert event.user == editor
    assert event.user_label == "editor"
    assert event.actor is None
    assert event.ip_address == "127.0.0.1"


def test_a_failed_sign_in_for_an_unknown_name_keeps_the_name(client):
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})

    event = last(Kind.LOGIN_FAILED)
    assert event.user is None
    assert event.user_label == "nobody"


def test_a_lockout_is_recorded(client, editor, settings):
    settings.AXES_ENABLED = True  # off in the tests' settings
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "editor", "password": "wrong"})

    event = last(Kind.LOCKED_OUT)
    assert event.user == editor
    assert event.ip_address == "127.0.0.1"


def test_a_password_change_is_recorded(client, editor):
    client.force_login(editor)

    client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long pass phrase",
            "new_password2": "another long pass phrase",
        },
    )

    event = last(Kind.PASSWORD_CHANGED)
    assert (event.actor, event.user) == (editor, editor)


def test_a_password_reset_asked_and_done_are_recorded(client, editor, mailoutbox):
    client.post(reverse("password_reset"), {"email": editor.email})
    asked = last(Kind.PASSWORD_RESET_ASKED)
    link = next(
        line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line
    )
    path = link[link.index("/accounts/reset/") :].strip()
    form_page = client.get(path, follow=True)

    client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "brand new pass phrase",
            "new_password2": "brand new pass phrase",
        },
    )

    assert asked.user == editor
    assert last(Kind.PASSWORD_RESET).user == editor


def test_invitations_sent_revoked_and_accepted_are_recorded(admin_client, admin):
    product = ProductFactory(name="Atelier")
    admin_client.post(
        reverse("accounts:invitation_list"),
        {"email": "one@example.com", "products": [product.pk]},
    )
    admin_client.post(reverse("accounts:invitation_list"), {"email": "two@example.com"})
    revoked = Invitation.objects.get(email="two@example.com")
    admin_client.post(reverse("accounts:invitation_revoke", args=[revoked.pk]))

    user = invitation_accept(
        invitation=Invitation.objects.get(email="one@example.com"),
        username="newcomer",
        password="a-long-pass-phrase",
    )

    sent = last(Kind.INVITATION_SENT)
    assert sent.actor == admin
    assert (
        "Atelier"
        in SecurityEvent.objects.filter(kind=Kind.INVITATION_SENT).earliest("id").detail
    )
    assert last(Kind.INVITATION_REVOKED).user_label == "two@example.com"
    assert last(Kind.INVITATION_ACCEPTED).user == user
    added = last(Kind.EDITOR_ADDED)
    assert (added.user, added.product_id) == (user, product.pk)


def test_editors_changed_in_the_settings_are_recorded(admin_client, admin, editor):
    product = ProductFactory(name="Atelier", editors=[editor])
    newcomer = UserFactory(username="newcomer")

    admin_client.post(
        reverse("strategy:product_settings", args=[product.slug]),
        {"name": "Atelier", "slug": product.slug, "editors": [newcomer.pk]},
    )

    added, removed = last(Kind.EDITOR_ADDED), last(Kind.EDITOR_REMOVED)
    assert (added.user, added.actor, added.product) == (newcomer, admin, product)
    assert (removed.user, removed.actor, removed.product) == (editor, admin, product)


def test_staff_and_admin_flags_changed_in_the_admin_are_recorded(admin_client, admin):
    person = UserFactory(username="person")

    person.is_staff = True
    person.save()
    person.is_active = False
    person.save(update_fields=["is_active"])

    staff, deactivated = SecurityEvent.objects.filter(
        kind=Kind.ACCOUNT_FLAGS, user=person
    ).order_by("id")
    assert "staff" in staff.detail
    assert "no → yes" in staff.detail
    assert "active: yes → no" in deactivated.detail


def test_a_sign_in_stamp_records_no_flag_change(editor):
    editor.last_login = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    editor.save(update_fields=["last_login"])

    assert not SecurityEvent.objects.filter(kind=Kind.ACCOUNT_FLAGS).exists()


def test_token_creation_and_revocation_are_recorded(client, editor, product):
    client.force_login(editor)
    client.post(reverse("metrics:token_list", args=[product.slug]), {"name": "CI"})
    token = ApiToken.objects.get(name="CI")

    client.post(reverse("metrics:token_revoke", args=[product.slug, token.pk]))

    created, revoked = last(Kind.TOKEN_CREATED), last(Kind.TOKEN_REVOKED)
    assert (created.actor, created.product) == (editor, product)
    assert "CI" in created.detail
    assert token.hint in created.detail
    assert (revoked.actor, revoked.product) == (editor, product)


def test_share_link_creation_and_revocation_are_recorded(client, editor, product):
    client.force_login(editor)
    client.post(
        reverse("roadmap:share_links", args=[product.slug]),
        {"label": "Board meeting", "scope": "customer_safe"},
    )
    link = ShareLink.objects.get(label="Board meeting")

    client.post(reverse("roadmap:share_link_revoke", args=[product.slug, link.pk]))

    created, revoked = last(Kind.SHARE_LINK_CREATED), last(Kind.SHARE_LINK_REVOKED)
    assert (created.actor, created.product) == (editor, product)
    assert "customer" in created.detail
    assert (revoked.actor, revoked.product) == (editor, product)


def test_an_event_keeps_its_names_when_the_product_and_account_go(editor):
    product = ProductFactory(name="Short-lived")
    product.editors.add(editor)

    product.delete()
    editor.delete()

    event = last(Kind.EDITOR_ADDED)
    assert event.product_label == "Short-lived"
    assert event.user_label == "editor"


# Append-only ---------------------------------------------------------------


@pytest.fixture
def event(editor):
    security_event(SecurityKind.LOGIN, actor=editor, user=editor)
    return last(Kind.LOGIN)


def test_a_saved_event_cannot_be_changed(event):
    event.detail = "edited"

    with pytest.raises(AppendOnly):
        event.save()


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AppendOnly):
        event.delete()


def test_events_cannot_be_updated_or_deleted_in_bulk(event):
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.update(detail="edited")
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_securityevent SET detail = 'edited'",
        "DELETE FROM accounts_securityevent",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(event, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
        c.execute(sql)

    assert SecurityEvent.objects.get(pk=event.pk).detail == event.detail


def test_the_admin_lists_and_shows_events_read_only(admin_client, event):
    changelist = admin_client.get(reverse("admin:accounts_securityevent_changelist"))
    detail = admin_client.get(
        reverse("admin:accounts_securityevent_change", args=[event.pk])
    )

    assert changelist.status_code == 200
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert b"action-select" not in changelist.content


def test_the_admin_refuses_to_add_change_or_delete_an_event(admin_client, event):
    add = admin_client.post(reverse("admin:accounts_securityevent_add"), {})
    change = admin_client.post(
        reverse("admin:accounts_securityevent_change", args=[event.pk]),
        {"detail": "edited", "kind": "login"},
    )
    delete = admin_client.post(
        reverse("admin:accounts_securityevent_delete", args=[event.pk]),
        {"post": "yes"},
    )
    bulk = admin_client.post(
        reverse("admin:accounts_securityevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in {200, 302}
    assert SecurityEvent.objects.get(pk=event.pk).detail == event.detail
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


def test_no_route_of_the_app_writes_to_the_log_but_through_events():
    """The log's only page is a GET; no other URL names security events."""
    names = [
        name
        for name in get_resolver().reverse_dict
        if isinstance(name, str) and "security" in name
    ]
    accounts_names = get_resolver().namespace_dict["accounts"][1].reverse_dict

    assert names == []
    assert [n for n in accounts_names if isinstance(n, str) and "security" in n] == [
        "security_log"
    ]


def test_the_log_page_refuses_a_post(admin_client, event):
    response = admin_client.post(reverse("accounts:security_log"), {"detail": "x"})

    assert response.status_code == 405
    assert SecurityEvent.objects.get(pk=event.pk).detail == event.detail


# The log page ---------------------------------------------------------------

LOG = "accounts:security_log"


def test_the_log_needs_a_sign_in(client):
    response = client.get(reverse(LOG))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_an_installation_admin_reads_the_log(client, product, role):
    client.force_login(
        get_user_model().objects.get(username=role)
        if role == "editor"
        else UserFactory(username=role)
    )

    assert client.get(reverse(LOG)).status_code == 403


def test_the_log_lists_events_newest_first(admin_client, editor, product):
    security_event(
        SecurityKind.TOKEN_CREATED, actor=editor, product=product, detail="A"
    )
    security_event(
        SecurityKind.TOKEN_REVOKED, actor=editor, product=product, detail="B"
    )

    response = admin_client.get(reverse(LOG))

    html = response.content.decode()
    table = html[html.index("<tbody>") :]
    assert table.index("API token revoked") < table.index("API token created")
    assert "Fabrikam Style" in html


def test_the_log_filters_by_kind_product_person_and_date(admin_client, editor):
    one, two = ProductFactory(name="One"), ProductFactory(name="Two")
    other = UserFactory(username="other")
    security_event(SecurityKind.TOKEN_CREATED, actor=editor, product=one)
    security_event(SecurityKind.TOKEN_CREATED, actor=other, product=two)
    security_event(SecurityKind.SHARE_LINK_CREATED, actor=editor, product=one)

    def shown(**params: object) -> list[tuple[str, str]]:
        page = admin_client.get(reverse(LOG), params).context["page"]
        return [(e.kind, e.product_label) for e in page.object_list]

    assert shown(kind="token_created", product=one.pk) == [("token_created", "One")]
    assert shown(person="other") == [("token_created", "Two")]
    assert shown(kind="token_created", person="editor") == [("token_created", "One")]
    assert shown(since="2999-01-01") == []


def test_the_log_is_paged(admin_client, editor):
    for n in range(55):
        security_event(SecurityKind.LOGIN_FAILED, user_label=f"name{n}")

    first = admin_client.get(reverse(LOG), {"kind": "login_failed"})
    second = admin_client.get(reverse(LOG), {"kind": "login_failed", "page": 2})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 5
    assert "kind=login_failed&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("count", [10, 200])
def test_the_log_query_count_is_constant(
    admin_client, editor, django_assert_num_queries, count
):
    products = ProductFactory.create_batch(3)
    for n in range(count):
        security_event(
            SecurityKind.TOKEN_CREATED,
            actor=editor,
            user=editor,
            product=products[n % 3],
        )

    # session, user, count, page of events (people and products joined)
    with django_assert_num_queries(4):
        response = admin_client.get(reverse(LOG), {"page": 2})

    assert response.status_code == 200


def test_the_account_page_links_admins_to_the_log(admin_client):
    response = admin_client.get(reverse("accounts:account"))

    assert reverse(LOG) in response.content.decode()
