"""Rate limits of the JSON API: per token, per client address, failed tokens."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from accounts import ratelimit
from strategy.models import ApiToken
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(product):
    return ApiToken.issue(
        product=product, name="Warehouse", created_by=product.editors.get()
    )[1]


def get(client, token, *, address="203.0.113.7", **headers):
    return client.get(
        "/api/v1/metrics",
        headers={"Authorization": f"Bearer {token}", **headers},
        REMOTE_ADDR=address,
    )


def assert_limited(response, window):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= window
    body = response.json()
    assert body["retry_after"] == int(response["Retry-After"])
    assert body["detail"].startswith("Too many requests.")


def test_a_token_is_limited_per_window(client, settings, token, product):
    settings.API_RATE_PER_TOKEN = 3
    other = ApiToken.issue(
        product=product, name="Other", created_by=product.editors.get()
    )[1]

    answers = [get(client, token).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert_limited(get(client, token), settings.API_RATE_WINDOW_SECONDS)
    assert get(client, other).status_code == 200


def test_a_client_address_is_limited_across_tokens(client, settings, product):
    settings.API_RATE_PER_IP = 4
    tokens = [
        ApiToken.issue(product=product, name=f"T{n}", created_by=product.editors.get())[
            1
        ]
        for n in range(5)
    ]

    answers = [get(client, token).status_code for token in tokens[:4]]

    assert answers == [200] * 4
    assert_limited(get(client, tokens[4]), settings.API_RATE_WINDOW_SECONDS)
    assert get(client, tokens[4], address="198.51.100.2").status_code == 200


def test_failed_tokens_count_per_address_and_then_nothing_is_looked_up(
    client, settings, token, django_assert_num_queries
):
    settings.API_FAILED_TOKENS_PER_IP = 5

    answers = [get(client, f"ns_guess{n}").status_code for n in range(5)]

    assert answers == [401] * 5
    with django_assert_num_queries(0):
        refused = get(client, "ns_guess6")
    assert_limited(refused, settings.API_FAILED_TOKENS_WINDOW_SECONDS)
    # Even the right token is refused from that address until the window ends,
    # and works from any other.
    assert get(client, token).status_code == 429
    assert get(client, token, address="198.51.100.2").status_code == 200


def test_a_thousand_random_tokens_get_ten_401s_then_429s(client, settings, monkeypatch):
    settings.API_FAILED_TOKENS_PER_IP = 10
    # One window for the whole test: a slow run must not cross into the next.
    monkeypatch.setattr(
        ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0)
    )

    answers = [get(client, f"ns_random{n}").status_code for n in range(1000)]

    assert answers.count(401) == 10
    assert answers.count(429) == 990


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(client, settings, token):
    settings.API_RATE_PER_IP = 1
    settings.NORTHSTAR_PROXY_COUNT = 0
    assert get(client, token, x_forwarded_for="192.0.2.1").status_code == 200
    # A client cannot pick a fresh address by sending the header.
    assert get(client, token, x_forwarded_for="192.0.2.2").status_code == 429

    settings.NORTHSTAR_PROXY_COUNT = 1
    # Behind one proxy, the address it appended is the client's.
    assert get(client, token, x_forwarded_for="10.0.0.1, 192.0.2.3").status_code == 200
    assert get(client, token, x_forwarded_for="10.0.0.9, 192.0.2.3").status_code == 429


def test_limits_apply_to_writes_too(client, settings, token, product):
    settings.API_RATE_PER_TOKEN = 1
    ProductFactory()
    assert get(client, token).status_code == 200

    response = client.post(
        "/api/v1/metrics/1/measurements",
        "{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
        REMOTE_ADDR="203.0.113.7",
    )

    assert response.status_code == 429
