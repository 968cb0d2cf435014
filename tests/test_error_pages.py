from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_unknown_product_answers_a_friendly_404(viewer_client):
    response = viewer_client.get(reverse("roadmap:board", args=["no-such-product"]))

    assert response.status_code == 404
    assert "Nothing here" in response.text
    assert "Back to the products" in response.text


def test_a_viewer_asking_for_an_edit_form_gets_a_friendly_403(viewer_client, product):
    response = viewer_client.get(reverse("strategy:goal_create", args=[product.slug]))

    assert response.status_code == 403
    assert "You can read this, not change it" in response.text
