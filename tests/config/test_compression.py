"""Pages and JSON travel gzip-compressed to clients that accept it."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Django masks the CSRF token afresh on every response (the BREACH
# mitigation), so two renders of one page differ only there.
CSRF_TOKEN = re.compile(rb"[A-Za-z0-9]{64}")


def without_csrf_tokens(html: bytes) -> bytes:
    return CSRF_TOKEN.sub(b"<csrf-token>", html)


def test_a_page_is_gzipped_when_the_client_accepts_it(viewer_client, product):
    url = reverse("strategy:product_detail", args=[product.slug])
    plain = viewer_client.get(url)

    response = viewer_client.get(url, headers={"Accept-Encoding": "gzip, br"})

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content)
    assert b"Fabrikam Style" in html
    assert without_csrf_tokens(html) == without_csrf_tokens(plain.content)


def test_a_page_is_plain_when_the_client_does_not_accept_gzip(viewer_client, product):
    response = viewer_client.get(
        reverse("strategy:product_detail", args=[product.slug])
    )

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert "Accept-Encoding" in response["Vary"]
    assert b"Fabrikam Style" in response.content


def test_an_htmx_partial_is_gzipped_too(viewer_client, product):
    response = viewer_client.get(
        reverse("strategy:product_detail", args=[product.slug]),
        headers={"HX-Request": "true", "Accept-Encoding": "gzip"},
    )

    assert response["Content-Encoding"] == "gzip"
    assert b"<html" not in gzip.decompress(response.content)


def test_json_is_gzipped_when_the_client_accepts_it(client):
    url = reverse("api:openapi-json")
    plain = client.get(url)

    response = client.get(url, headers={"Accept-Encoding": "gzip"})

    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content)) == plain.json()


def test_each_compressed_page_carries_a_differently_masked_csrf_token(
    viewer_client, product
):
    """The token's bytes change per response, so its compressed size leaks nothing."""
    url = reverse("strategy:product_detail", args=[product.slug])

    first, second = (
        gzip.decompress(
            viewer_client.get(url, headers={"Accept-Encoding": "gzip"}).content
        )
        for _ in range(2)
    )

    assert CSRF_TOKEN.findall(first)
    assert CSRF_TOKEN.findall(first) != CSRF_TOKEN.findall(second)
