"""Notifications for people who logged customer requests: events, email, page, header."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from roadmap import notifications, services
from roadmap.models import Notification
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    InsightFactory,
    NotificationFactory,
    OutcomeFactory,
)
from tests.strategy.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
LIST_URL = "/notifications/"
HOME_QUERIES = 3


def url(product, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, *args])


@pytest.fixture
def seller():
    return UserFactory(username="seller", email="seller@example.com")


@pytest.fixture
def outcome(product):
    return OutcomeFactory(
        roadmap=product.roadmap, title="Shoppers find outfits fast", horizon="soon"
    )


@pytest.fixture
def feature(product, outcome):
    return FeatureFactory(
        roadmap=product.roadmap, title="Style quiz", outcome=outcome, horizon="soon"
    )


def request_on(item, author, **kwargs):
    """Log a customer request on an outcome or a feature."""
    field = "feature" if hasattr(item, "stage") else "outcome"
    return InsightFactory(
        product=item.roadmap.product, author=author, **{field: item}, **kwargs
    )


def move(client, product, kind: str, card, horizon: str):
    return client.post(
        url(product, "card_move", kind, card.pk),
        {"version": card.version, "horizon": horizon},
        headers=HTMX,
    )


def kinds_for(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).values_list("kind", flat=True)
    )


# Events ----------------------------------------------------------------------


def test_move_to_current_notifies_each_requester_once(
    editor_client, product, outcome, seller
):
    """Two requests by the same person are one notification; a requester of
    another item hears nothing."""
    other_seller = UserFactory(username="other-seller")
    request_on(outcome, seller, account="Contoso")
    request_on(outcome, seller, account="Northwind")
    request_on(outcome, None)
    request_on(OutcomeFactory(roadmap=product.roadmap), other_seller)

    response = move(editor_client, product, "outcome", outcome, "current")

    assert response.status_code == 200
    notification = Notification.objects.get()
    assert notification.recipient == seller
    assert notification.kind == Notification.Kind.ENTERED_CURRENT
    assert notification.outcome == outcome
    assert notification.feature is None
    assert notification.product == product
    assert notification.item_title == "Shoppers find outfits fast"
    assert notification.read_at is None
    assert kinds_for(other_seller) == []


def test_move_from_future_to_current_notifies(editor_client, product, seller):
    feature = FeatureFactory(roadmap=product.roadmap, horizon="future")
    request_on(feature, seller)

    move(editor_client, product, "feature", feature, "current")

    assert kinds_for(seller) == ["entered_current"]
    assert Notification.objects.get().feature == feature


def test_every_requester_of_the_item_is_notified(
    editor_client, product, feature, seller
):
    support = UserFactory(username="support")
    request_on(feature, seller)
    request_on(feature, support, source="support")

    move(editor_client, product, "feature", feature, "current")

    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "seller",
        "support",
    }


def test_a_requester_whose_account_is_deactivated_is_not_notified(
    editor_client, product, feature
):
    request_on(feature, UserFactory(username="left-the-company", is_active=False))

    move(editor_client, product, "feature", feature, "current")

    assert Notification.objects.count() == 0


def test_the_editor_who_moved_an_item_they_requested_is_notified_too(
    editor_client, editor, product, feature
):
    """The list is the record of every request's fate, whoever moved the item."""
    request_on(feature, editor)

    move(editor_client, product, "feature", feature, "current")

    assert kinds_for(editor) == ["entered_current"]


def test_soon_to_future_notifies_moved_back(editor_client, product, feature, seller):
    request_on(feature, seller)

    move(editor_client, product, "feature", feature, "future")

    assert kinds_for(seller) == ["back_to_future"]


@pytest.mark.parametrize(
    ("start", "target"),
    [("current", "soon"), ("current", "future"), ("future", "soon")],
)
def test_other_horizon_moves_notify_nobody(
    editor_client, product, seller, start, target
):
    feature = FeatureFactory(roadmap=product.roadmap, horizon=start)
    request_on(feature, seller)

    move(editor_client, product, "feature", feature, target)

    assert Notification.objects.count() == 0


def test_moving_within_the_same_horizon_notifies_nobody(
    editor_client, product, feature, seller
):
    FeatureFactory(roadmap=product.roadmap, horizon="soon")
    request_on(feature, seller)

    editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": feature.version, "direction": "down"},
        headers=HTMX,
    )
    editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": feature.version + 1, "horizon": "soon"},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert feature.version == 3  # both moves were saved
    assert Notification.objects.count() == 0


def test_a_challenge_moving_to_current_notifies_nobody(editor_client, product):
    """Only outcomes and features carry customer requests."""
    challenge = ChallengeFactory(roadmap=product.roadmap, horizon="soon")

    move(editor_client, product, "challenge", challenge, "current")

    assert Notification.objects.count() == 0


def test_released_through_the_edit_form_notifies(
    editor_client, product, feature, seller
):
    request_on(feature, seller)

    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {
            "version": feature.version,
            "title": "Style quiz in three taps",
            "stage": "released",
            "outcome": feature.outcome_id,
        },
        headers=HTMX,
    )

    notification = Notification.objects.get()
    assert notification.kind == Notification.Kind.RELEASED
    assert notification.item_title == "Style quiz in three taps"  # its new name


def test_editing_a_released_feature_again_notifies_nobody(
    editor_client, product, seller
):
    feature = FeatureFactory(roadmap=product.roadmap, stage="released")
    request_on(feature, seller)

    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {"version": feature.version, "title": "Renamed", "stage": "released"},
        headers=HTMX,
    )

    feature.refresh_from_db()
    assert feature.title == "Renamed"
    assert Notification.objects.count() == 0


def test_card_update_of_the_horizon_notifies(editor, product, outcome, seller):
    """A horizon changed through the update service counts like a move."""
    request_on(outcome, seller)

    with transaction.atomic():
        services.card_update(
            roadmap=product.roadmap,
            card=outcome,
            version=outcome.version,
            values={"horizon": "current"},
            actor=editor,
        )

    assert kinds_for(seller) == ["entered_current"]


def test_features_moved_with_their_outcome_notify_their_requesters(
    editor_client, product, outcome, feature, seller
):
    """Moving the outcome tells its requesters; moving its features along
    tells theirs, one notification per feature."""
    second = FeatureFactory(roadmap=product.roadmap, outcome=outcome, horizon="soon")
    support = UserFactory(username="support")
    request_on(outcome, support)
    request_on(feature, seller)
    request_on(second, seller)
    move(editor_client, product, "outcome", outcome, "current")

    editor_client.post(
        url(product, "outcome_move_linked", outcome.pk),
        {"version": outcome.version + 1},
        headers=HTMX,
    )

    assert kinds_for(support) == ["entered_current"]
    assert sorted(
        Notification.objects.filter(recipient=seller).values_list(
            "feature_id", flat=True
        )
    ) == sorted([feature.pk, second.pk])


def test_delete_notifies_removed(editor_client, product, feature, seller):
    request_on(feature, seller)

    editor_client.post(
        url(product, "card_delete", "feature", feature.pk),
        {"version": feature.version},
        headers=HTMX,
    )

    notification = Notification.objects.get()
    assert notification.kind == Notification.Kind.DELETED
    assert notification.feature == feature  # the soft-deleted card stays linked


def test_a_refused_move_notifies_nobody(editor_client, product, feature, seller):
    """A stale version changes nothing, so nobody is told anything."""
    request_on(feature, seller)

    response = editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": feature.version + 5, "horizon": "current"},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert Notification.objects.count() == 0


# Email -------------------------------------------------------------------------


@pytest.fixture
def email_on(settings):
    settings.NORTHSTAR_EMAIL_NOTIFICATIONS = True
    settings.NORTHSTAR_BASE_URL = "https://northstar.example.com/"
    settings.DEFAULT_FROM_EMAIL = "Northstar <northstar@example.com>"


def mail_callbacks(callbacks) -> list:
    """The on-commit callbacks that send mail (the board keeps its own)."""
    return [
        callback
        for callback in callbacks
        if isinstance(callback, partial)
        and callback.func is notifications.send_mass_mail
    ]


@pytest.mark.usefixtures("email_on")
def test_email_goes_out_after_the_commit(
    editor_client,
    product,
    feature,
    seller,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    request_on(feature, seller)
    request_on(feature, seller)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        move(editor_client, product, "feature", feature, "current")
        assert mailoutbox == []  # not before the commit

    assert len(mail_callbacks(callbacks)) == 1
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["seller@example.com"]
    assert email.from_email == "Northstar <northstar@example.com>"
    assert email.subject == "“Style quiz” in Fabrikam Style: now in progress"
    assert "“Style quiz” in Fabrikam Style: now in progress." in email.body
    assert "https://northstar.example.com/products/fabrikam-style/soon/" in email.body


@pytest.mark.usefixtures("email_on")
def test_no_email_when_the_change_rolls_back(
    editor, product, feature, seller, mailoutbox, django_capture_on_commit_callbacks
):
    request_on(feature, seller)

    @transaction.atomic
    def move_then_fail():
        services.card_move(
            roadmap=product.roadmap,
            card=feature,
            version=feature.version,
            horizon="current",
            actor=editor,
        )
        raise RuntimeError("Something later in the same write failed.")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        move_then_fail()

    assert callbacks == []
    assert mailoutbox == []
    assert Notification.objects.count() == 0


@pytest.mark.usefixtures("email_on")
def test_a_requester_without_an_email_address_gets_only_the_notification(
    editor_client, product, feature, mailoutbox, django_capture_on_commit_callbacks
):
    request_on(feature, UserFactory(username="no-email", email=""))

    with django_capture_on_commit_callbacks(execute=True):
        move(editor_client, product, "feature", feature, "current")

    assert mailoutbox == []
    assert Notification.objects.count() == 1


def test_no_email_when_email_notifications_are_off(
    settings,
    editor_client,
    product,
    feature,
    seller,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    settings.NORTHSTAR_EMAIL_NOTIFICATIONS = False
    request_on(feature, seller)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        move(editor_client, product, "feature", feature, "current")

    assert mail_callbacks(callbacks) == []
    assert mailoutbox == []
    assert Notification.objects.count() == 1


# The notifications page ----------------------------------------------------------


def test_notifications_page_asks_an_anonymous_visitor_to_sign_in(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_notifications_page_lists_only_the_users_own_newest_first(client, seller):
    older = NotificationFactory(recipient=seller, item_title="Style quiz")
    newer = NotificationFactory(
        recipient=seller, item_title="Outfit of the day", kind="released"
    )
    Notification.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    NotificationFactory(item_title="Someone else's item")
    client.force_login(seller)

    response = client.get(LIST_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert f"«Outfit of the day»</a> in {newer.product.name}: released" in content
    assert f"«Style quiz»</a> in {older.product.name}: now in progress" in content
    assert content.index("Outfit of the day") < content.index("Style quiz")
    assert "Someone else" not in content
    soon = reverse("roadmap:soon", args=[newer.product.slug])
    assert f'href="{soon}"' in content


def test_notifications_page_marks_unread_ones_in_words(client, seller):
    NotificationFactory(recipient=seller, item_title="Unread item")
    NotificationFactory(
        recipient=seller, item_title="Read item", read_at=timezone.now()
    )
    client.force_login(seller)

    response = client.get(LIST_URL)

    content = response.content.decode()
    assert content.count('<span class="notification-new">New</span>') == 1
    assert content.count("is-unread") == 1


def test_notifications_page_is_paged_by_25(client, seller):
    NotificationFactory.create_batch(26, recipient=seller)
    client.force_login(seller)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL + "?page=2")

    assert first.content.decode().count('<li id="notification-') == 25
    assert "Page 1 of 2" in first.content.decode()
    assert second.content.decode().count('<li id="notification-') == 1


def test_notifications_page_does_not_write(client, seller):
    NotificationFactory(recipient=seller)
    client.force_login(seller)

    client.get(LIST_URL)

    assert Notification.objects.unread().count() == 1


def test_mark_all_as_read_reads_only_the_users_own(client, seller):
    NotificationFactory.create_batch(3, recipient=seller)
    someone_elses = NotificationFactory()
    client.force_login(seller)

    response = client.post(reverse("notifications:notification_read_all"))

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    assert not Notification.objects.filter(recipient=seller).unread().exists()
    someone_elses.refresh_from_db()
    assert someone_elses.read_at is None


def test_mark_all_as_read_refuses_get(client, seller):
    NotificationFactory(recipient=seller)
    client.force_login(seller)

    response = client.get(reverse("notifications:notification_read_all"))

    assert response.status_code == 405
    assert Notification.objects.unread().count() == 1


def test_mark_one_as_read(client, seller):
    first, second = NotificationFactory.create_batch(2, recipient=seller)
    client.force_login(seller)

    client.post(reverse("notifications:notification_read", args=[first.pk]))

    assert list(Notification.objects.unread()) == [second]


def test_mark_one_as_read_cannot_touch_someone_elses(client, seller):
    someone_elses = NotificationFactory()
    client.force_login(seller)

    client.post(reverse("notifications:notification_read", args=[someone_elses.pk]))

    someone_elses.refresh_from_db()
    assert someone_elses.read_at is None


def test_marking_as_read_is_refused_to_an_anonymous_visitor(client):
    notification = NotificationFactory()

    response = client.post(reverse("notifications:notification_read_all"))

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.parametrize("count", [1, 30])
def test_notifications_page_query_count_is_constant(
    client, seller, django_assert_num_queries, count
):
    """User with its unread count, the page count, the page's rows with their
    products (the session is cached)."""
    NotificationFactory.create_batch(count, recipient=seller)
    client.force_login(seller)

    with django_assert_num_queries(3):
        response = client.get(LIST_URL)

    assert response.status_code == 200


# The header count ----------------------------------------------------------------


def test_header_shows_the_unread_count(client, seller):
    NotificationFactory.create_batch(3, recipient=seller)
    NotificationFactory(recipient=seller, read_at=timezone.now())
    NotificationFactory()
    client.force_login(seller)

    response = client.get(reverse("strategy:home"))

    content = response.content.decode()
    assert '<span class="nav-count" aria-hidden="true">3</span>' in content
    assert '<span class="visually-hidden">(3 unread)</span>' in content


def test_header_count_after_signing_in_through_the_login_form(client, seller):
    NotificationFactory.create_batch(2, recipient=seller)

    client.post(
        reverse("login"),
        {"username": "seller", "password": "correct horse battery staple"},
    )
    response = client.get(reverse("strategy:home"))

    assert '<span class="nav-count" aria-hidden="true">2</span>' in response.text


def test_header_shows_no_count_when_all_are_read(client, seller):
    NotificationFactory(recipient=seller, read_at=timezone.now())
    client.force_login(seller)

    response = client.get(reverse("strategy:home"))

    assert 'href="/notifications/"' in response.text
    assert "nav-count" not in response.text


def test_a_session_begun_with_the_plain_model_backend_stays_signed_in(client, seller):
    """Sessions from before the notification count keep working, without it."""
    NotificationFactory(recipient=seller)
    client.force_login(seller, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("strategy:home"))

    assert response.status_code == 200
    assert 'href="/notifications/"' in response.text
    assert "nav-count" not in response.text


@pytest.mark.parametrize("count", [0, 12])
def test_header_count_costs_no_query(
    client, seller, product, django_assert_num_queries, count
):
    """The count rides along with the user query: the product list costs the
    same queries with or without notifications (user, products)."""
    NotificationFactory.create_batch(count, recipient=seller)
    client.force_login(seller)

    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("strategy:home"))

    assert (f'aria-hidden="true">{count}</span>' in response.text) is bool(count)


def test_a_session_whose_person_was_deleted_is_signed_out(client, seller):
    client.force_login(seller)
    seller.delete()

    response = client.get(reverse("notifications:notification_list"))

    assert response.status_code == 302
    assert response.wsgi_request.user.is_anonymous


def test_a_session_whose_person_was_deactivated_is_signed_out(client, seller):
    client.force_login(seller)
    seller.is_active = False
    seller.save()

    response = client.get(reverse("notifications:notification_list"))

    assert response.status_code == 302
    assert response.wsgi_request.user.is_anonymous
