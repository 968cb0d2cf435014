"""A private product is seen only by its editors, named viewers and admins.

Everyone else is told it does not exist (404), on every page and in every
list; the rule lives in strategy.permissions (can_view, product_for_viewer)
and Product.objects.visible_to, which every list uses.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.urls import reverse

from accounts.forms import InvitationForm
from accounts.models import Invitation, SecurityEvent
from accounts.services import invitation_accept
from roadmap.models import Notification
from strategy.models import Product, readable_by
from strategy.permissions import can_edit, can_view, product_for_viewer
from tests.roadmap.factories import NotificationFactory, OutcomeFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def private(product):
    product.is_private = True
    product.save(update_fields=["is_private"])
    return product


@pytest.fixture
def named_viewer(private):
    person = UserFactory(username="named")
    private.viewers.add(person)
    return person


@pytest.fixture
def outsider():
    return UserFactory(username="outsider")


@pytest.fixture
def admin():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def fresh(product: Product) -> Product:
    """The product without the permission caches of an earlier check."""
    return Product.objects.get(pk=product.pk)


# The rule -----------------------------------------------------------------


def test_a_product_is_open_to_every_signed_in_person_by_default(product, outsider):
    assert not product.is_private
    assert can_view(outsider, product)
    assert list(Product.objects.visible_to(outsider)) == [product]


def test_a_private_product_is_seen_by_editors_named_viewers_and_admins_only(
    private, editor, named_viewer, outsider, admin
):
    assert can_view(editor, fresh(private))
    assert can_view(named_viewer, fresh(private))
    assert can_view(admin, fresh(private))
    assert not can_view(outsider, fresh(private))
    assert not can_view(AnonymousUser(), fresh(private))


def test_a_named_viewer_reads_but_never_edits(private, named_viewer):
    assert not can_edit(named_viewer, private)


def test_visible_to_follows_can_view_for_every_person(
    private, editor, named_viewer, outsider, admin
):
    public = ProductFactory(name="Open product")
    other_private = ProductFactory(name="Someone else's", is_private=True)

    for person in [editor, named_viewer, outsider, admin, AnonymousUser()]:
        visible = set(Product.objects.visible_to(person))
        expected = {
            p for p in [private, public, other_private] if can_view(person, fresh(p))
        }
        assert visible == expected, person


def test_visible_to_lists_a_product_once_when_someone_both_edits_and_views(
    private, editor
):
    private.viewers.add(editor)

    assert list(Product.objects.visible_to(editor)) == [private]


def test_an_outsider_is_told_the_product_does_not_exist(private, outsider):
    with pytest.raises(Http404):
        product_for_viewer(outsider, private.slug)


def test_a_deactivated_named_viewer_sees_nothing(private, named_viewer):
    named_viewer.is_active = False

    assert not can_view(named_viewer, fresh(private))
    assert list(Product.objects.visible_to(named_viewer)) == []


def test_readable_by_keeps_notifications_of_products_their_recipient_reads(
    private, named_viewer, outsider
):
    outcome = OutcomeFactory(roadmap=private.roadmap)
    NotificationFactory(recipient=named_viewer, outcome=outcome, product=private)
    NotificationFactory(recipient=outsider, outcome=outcome, product=private)

    kept = Notification.objects.filter(readable_by("product", "recipient"))

    assert [n.recipient for n in kept] == [named_viewer]


# Pages --------------------------------------------------------------------

PRODUCT_PAGES = [
    "strategy:product_detail",
    "roadmap:board",
    "roadmap:present",
    "roadmap:soon",
    "roadmap:history",
    "roadmap:line_of_sight",
    "metrics:metric_list",
]


@pytest.mark.parametrize("name", PRODUCT_PAGES)
def test_every_page_of_a_private_product_is_404_for_an_outsider(
    client, private, outsider, name
):
    client.force_login(outsider)

    response = client.get(reverse(name, args=[private.slug]))

    assert response.status_code == 404
    assert private.name not in response.content.decode()


@pytest.mark.parametrize("name", PRODUCT_PAGES)
def test_every_page_of_a_private_product_opens_for_a_named_viewer(
    client, private, named_viewer, name
):
    client.force_login(named_viewer)

    response = client.get(reverse(name, args=[private.slug]))

    assert response.status_code == 200


def test_an_unknown_product_and_a_private_one_answer_alike(client, private, outsider):
    client.force_login(outsider)

    hidden = client.get(reverse("roadmap:board", args=[private.slug]))
    unknown = client.get(reverse("roadmap:board", args=["no-such-product"]))

    assert hidden.status_code == unknown.status_code == 404
    csrf = re.compile(rb"[A-Za-z0-9]{64}")  # each page's masked CSRF token
    assert csrf.sub(b"", hidden.content) == csrf.sub(b"", unknown.content)


def test_the_plan_export_of_a_private_product_is_404_for_an_outsider(
    client, private, outsider
):
    client.force_login(outsider)

    response = client.get(
        reverse("roadmap:plan_export", args=[private.slug]), {"format": "json"}
    )

    assert response.status_code == 404


def test_an_editor_of_another_product_does_not_see_a_private_one(client, private):
    other_editor = UserFactory(username="other-editor")
    ProductFactory(name="Theirs", editors=[other_editor])
    client.force_login(other_editor)

    response = client.get(reverse("strategy:product_detail", args=[private.slug]))

    assert response.status_code == 404


# Lists --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["strategy:home", "strategy:company", "soon:all"])
def test_lists_of_products_leave_a_private_product_out_for_an_outsider(
    client, private, outsider, named_viewer, name
):
    ProductFactory(name="Open product")
    client.force_login(outsider)

    outsider_page = client.get(reverse(name)).content.decode()
    client.force_login(named_viewer)
    viewer_page = client.get(reverse(name)).content.decode()

    assert "Open product" in outsider_page
    assert private.name not in outsider_page
    assert private.name in viewer_page


def test_notifications_of_a_product_gone_private_are_hidden_and_not_counted(
    client, private, outsider
):
    outcome = OutcomeFactory(roadmap=private.roadmap, title="Secret pilot")
    NotificationFactory(recipient=outsider, outcome=outcome, product=private)
    client.force_login(outsider)

    response = client.get(reverse("notifications:notification_list"))

    assert "Secret pilot" not in response.content.decode()
    assert response.wsgi_request.user.unread_notifications == 0


def test_the_invitation_form_offers_only_products_its_user_sees(private, outsider):
    form = InvitationForm(user=outsider)

    assert private not in form.fields["products"].queryset
    assert private not in form.fields["read_products"].queryset


def test_an_invitation_can_grant_read_access_to_a_private_product(
    client, private, admin
):
    client.force_login(admin)
    client.post(
        reverse("accounts:invitation_list"),
        {"email": "new@example.com", "read_products": [private.pk]},
    )
    invitation = Invitation.objects.get(email="new@example.com")

    newcomer = invitation_accept(
        invitation=invitation, username="newcomer", password="a-long-pass-phrase"
    )

    assert can_view(newcomer, fresh(private))
    assert not can_edit(newcomer, fresh(private))


# The Access page ----------------------------------------------------------


def access_url(product: Product) -> str:
    return reverse("strategy:product_access", args=[product.slug])


def test_the_access_page_needs_a_sign_in(client, product):
    response = client.get(access_url(product))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_reader_may_not_open_the_access_page(client, product, viewer):
    client.force_login(viewer)

    assert client.get(access_url(product)).status_code == 403
    assert client.post(access_url(product), {"version": 1}).status_code == 403


def test_an_outsider_of_a_private_product_gets_404_on_its_access_page(
    client, private, outsider
):
    client.force_login(outsider)

    assert client.get(access_url(private)).status_code == 404


def test_an_editor_of_another_product_may_not_change_access(client, product):
    other_editor = UserFactory(username="other-editor")
    ProductFactory(editors=[other_editor])
    client.force_login(other_editor)

    response = client.post(access_url(product), {"version": 1, "is_private": "on"})

    assert response.status_code == 403
    assert not fresh(product).is_private


def test_an_editor_makes_the_product_private_and_names_a_viewer(
    client, editor, product, outsider
):
    client.force_login(editor)
    reader = UserFactory(username="reader")

    response = client.post(
        access_url(product),
        {"version": product.version, "is_private": "on", "viewers": [reader.pk]},
    )

    assert response.status_code == 302
    product = fresh(product)
    assert product.is_private
    assert list(product.viewers.all()) == [reader]
    assert can_view(reader, product)
    assert not can_view(outsider, fresh(product))


def test_an_installation_admin_manages_access_too(client, product, admin):
    client.force_login(admin)

    response = client.post(
        access_url(product), {"version": product.version, "is_private": "on"}
    )

    assert response.status_code == 302
    assert fresh(product).is_private


def test_access_changes_are_security_events(client, editor, product):
    client.force_login(editor)
    reader = UserFactory(username="reader")

    client.post(
        access_url(product),
        {"version": product.version, "is_private": "on", "viewers": [reader.pk]},
    )

    events = SecurityEvent.objects.filter(
        product=product, kind__in=["viewer_added", "made_private"]
    ).order_by("id")
    assert [(e.kind, e.actor, e.user) for e in events] == [
        (SecurityEvent.Kind.VIEWER_ADDED, editor, reader),
        (SecurityEvent.Kind.MADE_PRIVATE, editor, None),
    ]
    assert all(e.ip_address == "127.0.0.1" for e in events)


def test_a_stale_access_form_answers_409_and_overwrites_nothing(
    client, editor, product
):
    client.force_login(editor)
    first = UserFactory(username="first")
    second = UserFactory(username="second")
    version = product.version
    client.post(access_url(product), {"version": version, "viewers": [first.pk]})

    response = client.post(
        access_url(product),
        {"version": version, "is_private": "on", "viewers": [second.pk]},
    )

    assert response.status_code == 409
    assert "Someone else saved" in response.content.decode()
    product = fresh(product)
    assert not product.is_private
    assert list(product.viewers.all()) == [first]


def test_the_access_page_offers_everyone_but_the_editors_as_viewers(
    client, editor, product
):
    UserFactory(username="reader", first_name="Rea")
    client.force_login(editor)

    response = client.get(access_url(product))

    form = response.context["form"]
    assert [u.username for u in form.fields["viewers"].queryset] == ["reader"]
    assert "Who can see Fabrikam Style" in response.content.decode()


@pytest.mark.parametrize("people", [3, 60])
def test_the_access_page_query_count_is_constant(
    client, editor, private, django_assert_num_queries, people
):
    users = UserFactory.create_batch(people)
    private.viewers.add(*users[: people // 2])
    client.force_login(editor)

    # session, user, product with its members, viewers (form initial),
    # editors list, viewer count, viewer choices
    with django_assert_num_queries(7):
        response = client.get(access_url(private))

    assert response.status_code == 200


def test_the_overview_links_editors_to_the_access_page(client, editor, private):
    client.force_login(editor)

    response = client.get(reverse("strategy:product_detail", args=[private.slug]))

    assert access_url(private) in response.content.decode()
    assert "Access (private)" in response.content.decode()


def test_the_overview_does_not_link_readers_to_the_access_page(
    client, private, named_viewer
):
    client.force_login(named_viewer)

    response = client.get(reverse("strategy:product_detail", args=[private.slug]))

    assert access_url(private) not in response.content.decode()


def test_the_demo_has_a_private_product_the_sales_user_cannot_see(client):
    from roadmap.demo import PRIVATE_DEMO_SLUG, load_demo

    load_demo(today=dt.date(2026, 11, 23))
    private = Product.objects.get(slug=PRIVATE_DEMO_SLUG)
    users = {u.username: u for u in [*private.editors.all(), *private.viewers.all()]}

    assert private.is_private
    assert set(users) == {"pm", "stakeholder"}
    assert can_edit(users["pm"], private)
    sales = UserFactory(username="sales")
    client.force_login(sales)
    assert client.get(reverse("roadmap:board", args=[private.slug])).status_code == 404
    assert private.name not in client.get(reverse("strategy:home")).content.decode()
    client.force_login(users["stakeholder"])
    assert client.get(reverse("roadmap:board", args=[private.slug])).status_code == 200
