from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_redirects_anonymous_visitors_to_login(client):
    response = client.get(reverse("strategy:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_renders_its_fields_through_the_field_template(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert '<div class="field field-username">' in response.text
    assert '<div class="field field-password">' in response.text
    assert 'autocomplete="username"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_home_lists_products_with_links_to_their_pages(viewer_client, product):
    response = viewer_client.get(reverse("strategy:home"))

    assert response.status_code == 200
    assert "Fabrikam Style" in response.text
    assert reverse("roadmap:board", args=[product.slug]) in response.text
