"""An API token acts for the person who made it.

It works only while they are active and edit its product; it stops (401,
with the reason) the moment they lose either, and works again if they get
both back: the token can always do what its maker may do now, no more.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from strategy.models import ApiToken
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(product, editor):
    return ApiToken.issue(product=product, name="Warehouse", created_by=editor)


def call(client, secret: str):
    return client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {secret}"})


def test_a_token_works_while_its_maker_edits_the_product(client, issued):
    _, secret = issued

    assert call(client, secret).status_code == 200


def test_a_token_stops_when_its_maker_is_no_longer_an_editor(
    client, issued, product, editor
):
    _, secret = issued

    product.editors.remove(editor)
    response = call(client, secret)

    assert response.status_code == 401
    assert response.json()["reason"] == "its maker no longer edits this product"
    assert "stopped working" in response.json()["detail"]


def test_a_token_stops_when_its_maker_is_deactivated(client, issued, editor):
    _, secret = issued

    editor.is_active = False
    editor.save()
    response = call(client, secret)

    assert response.status_code == 401
    assert response.json()["reason"] == "its maker's account is deactivated"


def test_a_token_stops_when_its_makers_account_is_deleted(client, issued, editor):
    _, secret = issued

    editor.delete()

    assert call(client, secret).json()["reason"] == (
        "its maker's account no longer exists"
    )


def test_a_stopped_token_writes_nothing(client, issued, product, editor):
    _, secret = issued
    product.editors.remove(editor)

    response = client.post(
        "/api/v1/metrics/1/measurements",
        {"date": "2026-03-02", "value": 1},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 401


def test_a_token_works_again_when_its_maker_gets_edit_rights_back(
    client, issued, product, editor
):
    _, secret = issued
    product.editors.remove(editor)
    assert call(client, secret).status_code == 401

    product.editors.add(editor)

    assert call(client, secret).status_code == 200


def test_an_installation_admins_token_works_on_any_product(client):
    admin = UserFactory(username="root", is_superuser=True)
    _, secret = ApiToken.issue(product=ProductFactory(), name="Ops", created_by=admin)

    assert call(client, secret).status_code == 200


def test_a_token_made_by_an_editor_of_another_product_does_not_work(client, product):
    other_editor = UserFactory(username="other-editor")
    ProductFactory(editors=[other_editor])
    _, secret = ApiToken.issue(product=product, name="Stray", created_by=other_editor)

    assert call(client, secret).status_code == 401


def test_the_tokens_page_says_which_tokens_stopped_and_why(client, product, editor):
    colleague = UserFactory(username="colleague", first_name="Col")
    product.editors.add(colleague)
    ApiToken.issue(product=product, name="Colleague's sync", created_by=colleague)
    ApiToken.issue(product=product, name="My sync", created_by=editor)
    product.editors.remove(colleague)
    client.force_login(editor)

    response = client.get(reverse("metrics:token_list", args=[product.slug]))

    html = response.content.decode()
    stopped = html[html.index("Colleague&#x27;s sync") :]
    assert "Stopped: its maker no longer edits this product" in stopped[:1200]
    mine = html[html.index("My sync") :]
    assert "Active" in mine[:800]
    assert "Stopped" not in mine[:800]


@pytest.mark.parametrize("count", [2, 30])
def test_the_tokens_page_query_count_is_constant(
    client, product, editor, django_assert_num_queries, count
):
    for n in range(count):
        maker = UserFactory()
        product.editors.add(maker)
        ApiToken.issue(product=product, name=f"T{n}", created_by=maker)
    client.force_login(editor)

    # user (the session is cached), product with its members, tokens with
    # their makers' standing
    with django_assert_num_queries(3):
        client.get(reverse("metrics:token_list", args=[product.slug]))
