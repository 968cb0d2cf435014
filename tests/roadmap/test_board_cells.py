"""Lazy cells: the first paint holds a few cards per cell, the rest load on demand."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from roadmap.board import FIRST_PAGE, MORE_PAGE
from tests.roadmap.factories import FeatureFactory, OutcomeFactory
from tests.roadmap.test_board import HTMX, board_url
from tests.strategy.factories import GoalFactory

pytestmark = pytest.mark.django_db


def more_url(product, kind: str, horizon: str, **params) -> str:
    base = reverse("roadmap:cell_cards", args=[product.slug, kind, horizon])
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{base}?{query}" if query else base


def titles(html: str) -> list[str]:
    return re.findall(r'class="card-title"[^>]*>([^<]+)<', html)


@pytest.fixture
def many_features(product):
    return [
        FeatureFactory(roadmap=product.roadmap, title=f"Feature {i:03}", position=i)
        for i in range(FIRST_PAGE + 30)
    ]


def test_board_paints_the_first_cards_of_a_cell_and_offers_the_rest(
    viewer_client, product, many_features
):
    html = viewer_client.get(board_url(product)).content.decode()

    assert titles(html) == [f"Feature {i:03}" for i in range(FIRST_PAGE)]
    assert "Show 30 more" in html
    # A real button, for keyboards and screen readers, that also loads itself
    # as it nears the screen (board.js) or scrolls into view.
    button = re.search(r"<button[^>]*data-more[^>]*>", html).group(0)
    assert 'hx-trigger="click, near-screen once, intersect once"' in button
    assert f"offset={FIRST_PAGE}" in button


def test_show_more_answers_with_the_next_cards_in_board_order(
    viewer_client, product, many_features
):
    response = viewer_client.get(
        more_url(product, "feature", "current", offset=FIRST_PAGE), headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert titles(html) == [
        f"Feature {i:03}" for i in range(FIRST_PAGE, FIRST_PAGE + 30)
    ]
    assert "Show" not in html  # nothing left to load


def test_show_more_pages_through_a_long_cell(viewer_client, product):
    for i in range(MORE_PAGE + 5):
        FeatureFactory(roadmap=product.roadmap, title=f"Feature {i:03}", position=i)

    html = viewer_client.get(
        more_url(product, "feature", "current", offset=0), headers=HTMX
    ).content.decode()

    assert len(titles(html)) == MORE_PAGE
    assert "Show 5 more" in html
    assert f"offset={MORE_PAGE}" in html


def test_show_more_keeps_the_filters(viewer_client, product):
    goal = GoalFactory(product=product)
    kept = OutcomeFactory(roadmap=product.roadmap, goal=goal)
    for i in range(FIRST_PAGE + 3):
        FeatureFactory(
            roadmap=product.roadmap,
            title=f"Kept {i:03}",
            outcome=kept,
            position=i,
        )
        FeatureFactory(roadmap=product.roadmap, title=f"Other {i:03}", position=i)

    page = viewer_client.get(board_url(product), {"goal": goal.pk}).content.decode()
    more = viewer_client.get(
        more_url(product, "feature", "current", offset=FIRST_PAGE, goal=goal.pk),
        headers=HTMX,
    ).content.decode()

    assert "Show 3 more" in page
    assert f"goal={goal.pk}" in re.search(r"<button[^>]*data-more[^>]*>", page).group(0)
    assert titles(more) == [f"Kept {i:03}" for i in range(FIRST_PAGE, FIRST_PAGE + 3)]


@pytest.mark.parametrize("cards", [20, 200])
def test_show_more_query_count_is_constant(
    viewer_client, product, django_assert_num_queries, cards
):
    """user, product with its members, roadmap, the slice, the counts."""
    for i in range(cards):
        FeatureFactory(roadmap=product.roadmap, position=i)

    with django_assert_num_queries(5):
        viewer_client.get(
            more_url(product, "feature", "current", offset=10), headers=HTMX
        )


def test_a_refresh_keeps_the_cards_a_client_already_loaded(
    viewer_client, product, many_features
):
    """The poll sends how many cards each cell holds; the answer keeps them."""
    html = viewer_client.get(
        board_url(product),
        {"loaded": f"feature-current:{FIRST_PAGE + 20}"},
        headers=HTMX,
    ).content.decode()

    assert len(titles(html)) == FIRST_PAGE + 20
    assert "Show 10 more" in html


def test_show_more_of_an_unknown_horizon_is_not_found(viewer_client, product):
    response = viewer_client.get(more_url(product, "feature", "someday"))

    assert response.status_code == 404


def test_show_more_refuses_a_garbled_offset(viewer_client, product):
    response = viewer_client.get(
        more_url(product, "feature", "current", offset="-3"), headers=HTMX
    )

    assert response.status_code == 400


def test_show_more_without_javascript_returns_to_the_board_with_more_cards(
    viewer_client, product, many_features
):
    response = viewer_client.get(
        more_url(product, "feature", "current", offset=FIRST_PAGE)
    )

    assert response.status_code == 302
    followed = viewer_client.get(response.url).content.decode()
    assert len(titles(followed)) == FIRST_PAGE + 30


def test_show_more_is_for_people_who_may_read_the_product(client, product):
    response = client.get(more_url(product, "feature", "current"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_card_dropped_below_the_last_loaded_card_lands_right_after_it(
    editor_client, product, many_features
):
    """A cell showing 12 of 42 cards: dropping at its end means after card 12."""
    dragged = FeatureFactory(roadmap=product.roadmap, title="Dragged", horizon="soon")

    editor_client.post(
        reverse("roadmap:card_move", args=[product.slug, "feature", dragged.pk]),
        {"version": 1, "horizon": "current", "loaded": f"feature-current:{FIRST_PAGE}"},
        headers=HTMX,
    )

    dragged.refresh_from_db()
    assert dragged.position == FIRST_PAGE
