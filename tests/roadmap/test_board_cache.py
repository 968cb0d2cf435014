"""The board's caches: the grid while the plan's revision holds, cards as pieces.

A cached grid is served while the product's revision is unchanged; every
write bumps it (tests/roadmap/test_revision.py). Card pieces are keyed on what
they show, so after a write only the cards it touched are rendered again.
Every "shows ..." test renders the board (filling the caches), changes one
thing by the route a person would use, and checks the next render shows it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from roadmap import board as engine
from roadmap.models import Horizon
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    TeamFactory,
)
from tests.roadmap.test_board import HTMX, board_url, build_board, metric_card
from tests.strategy.factories import GoalFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def url(product, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, *args])


def grid(client, product, **params) -> str:
    return client.get(board_url(product), params, headers=HTMX).content.decode()


def cell(html: str, kind: str, horizon: str) -> str:
    """The markup of one cell of the grid."""
    start = html.index(f'data-cell="{kind}-{horizon}"')
    end = html.find('role="gridcell"', start)
    return html[start : end if end != -1 else len(html)]


@pytest.fixture
def renders(monkeypatch):
    """Count the cards rendered from their templates (pieces not in the cache)."""
    rendered: list[str] = []
    real = engine.render_card

    def counting(card, page):
        rendered.append(card.dom_id)
        return real(card, page)

    monkeypatch.setattr(engine, "render_card", counting)
    return rendered


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)
    return client


# Serving from the cache ------------------------------------------------------


@pytest.mark.parametrize("cards", [5, 500])
def test_board_cache_hit_query_count_is_constant(
    editor_client, product, django_assert_num_queries, cards
):
    """An unchanged board is answered from the cache in two queries.

    user (the session is cached), product with its revision and members.
    """
    build_board(product.roadmap, cards)
    first = editor_client.get(board_url(product))

    with django_assert_num_queries(2):
        again = editor_client.get(board_url(product))

    # The page around the grid carries a per-request CSRF token.
    grid_part = 'id="board-grid"'
    assert (
        again.content.decode().partition(grid_part)[2]
        == (first.content.decode().partition(grid_part)[2])
    )


@pytest.mark.parametrize("cards", [5, 500])
def test_board_grid_cache_hit_query_count_is_constant(
    editor_client, product, django_assert_num_queries, cards
):
    build_board(product.roadmap, cards)
    first = grid(editor_client, product)

    with django_assert_num_queries(2):
        again = grid(editor_client, product)

    assert again == first


def test_board_cache_keeps_editors_and_viewers_apart(editor_client, viewer, product):
    """A viewer is never served the grid rendered for an editor."""
    OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    editor_html = grid(editor_client, product)
    viewer_client = Client()
    viewer_client.force_login(viewer)

    viewer_html = grid(viewer_client, product)

    assert 'draggable="true"' in editor_html
    assert 'draggable="true"' not in viewer_html
    assert "Faster checkout" in viewer_html


def test_board_cache_keeps_filters_apart(editor_client, product):
    goal = GoalFactory(product=product, title="Grow")
    OutcomeFactory(roadmap=product.roadmap, title="Kept", goal=goal)
    OutcomeFactory(roadmap=product.roadmap, title="Hidden")
    grid(editor_client, product)

    filtered = grid(editor_client, product, goal=goal.pk)

    assert "Kept" in filtered
    assert "Hidden" not in filtered


def test_board_cache_renders_again_on_a_new_day(
    editor_client, product, monkeypatch, django_assert_num_queries
):
    """Progress depends on today's date, so a cached grid lasts one day."""
    metric_card(product.roadmap, values=[100, 150])
    grid(editor_client, product)
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *args: dt.date(2030, 1, 1)
    )

    with django_assert_num_queries(10):
        grid(editor_client, product)


# Pieces: a write re-renders only what it touched -------------------------------


def test_unchanged_cards_are_not_rendered_again_after_a_write(
    editor_client, product, renders
):
    """Renaming one card re-renders that card only; the rest come from pieces."""
    build_board(product.roadmap, 40)
    feature = FeatureFactory(roadmap=product.roadmap, title="Wishlist", outcome=None)
    grid(editor_client, product)
    renders.clear()

    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {"version": 1, "title": "Saved looks", "stage": "idea"},
        headers=HTMX,
    )
    html = grid(editor_client, product)

    assert renders == [f"feature-{feature.pk}"]  # once, for the save's answer
    assert "Saved looks" in html


def test_a_new_measurement_re_renders_its_card_and_the_outcome_it_moves(
    editor_client, product, renders
):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Faster signups")
    card = metric_card(product.roadmap, outcome=outcome, values=[100, 150])
    build_board(product.roadmap, 20)
    grid(editor_client, product)
    renders.clear()

    editor_client.post(
        reverse(
            "metrics:measurement_create",
            args=[product.slug, card.key_result.metric_id],
        ),
        {"date": "2026-03-01", "value": "400"},
        headers=HTMX,
    )
    html = grid(editor_client, product)

    assert sorted(renders) == sorted(
        [f"success_metric-{card.pk}", f"outcome-{outcome.pk}"]
    )
    assert "400 signups" in html or "400" in cell(html, "success_metric", "current")


def test_a_move_answers_with_the_two_cells_and_the_counter(editor_client, product):
    feature = FeatureFactory(roadmap=product.roadmap, title="Wishlist")
    FeatureFactory(roadmap=product.roadmap, title="Outfit planner", horizon="future")

    response = editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": 1, "horizon": Horizon.FUTURE},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response["HX-Reswap"] == "none"
    assert html.count('role="gridcell"') == 2
    assert 'id="cell-feature-current"' in html
    assert 'id="cell-feature-future"' in html
    assert 'id="board-summary" role="status" hx-swap-oob="true"' in html
    assert "Outfit planner" in html
    assert 'id="board-grid"' not in html


# Changes through the board ---------------------------------------------------


def test_board_shows_a_card_edited_on_the_board(editor_client, product):
    challenge = ChallengeFactory(roadmap=product.roadmap, title="Old risk")
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_edit", "challenge", challenge.pk),
        {"version": 1, "title": "New risk", "status": "open", "outcome": ""},
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "New risk" in html
    assert "Old risk" not in html


def test_board_shows_a_card_moved_on_the_board(editor_client, product):
    feature = FeatureFactory(roadmap=product.roadmap, title="Wishlist")
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": 1, "horizon": Horizon.FUTURE},
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "Wishlist" in cell(html, "feature", Horizon.FUTURE)
    assert "Wishlist" not in cell(html, "feature", Horizon.CURRENT)


def test_board_shows_a_card_deleted_and_restored_on_the_board(editor_client, product):
    feature = FeatureFactory(roadmap=product.roadmap, title="Wishlist")
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_delete", "feature", feature.pk),
        {"version": 1},
        headers=HTMX,
    )
    after_delete = grid(editor_client, product)
    editor_client.post(
        url(product, "card_restore", "feature", feature.pk),
        {"version": 2},
        headers=HTMX,
    )
    after_undo = grid(editor_client, product)

    assert "Wishlist" not in after_delete
    assert "Wishlist" in after_undo


def test_board_saved_card_matches_the_card_the_board_renders(editor_client, product):
    """A save answers with the card from the values in hand, as the board shows it."""
    team = TeamFactory(name="Checkout crew")
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    feature = FeatureFactory(roadmap=product.roadmap, title="One-click pay")

    saved = editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {
            "version": 1,
            "title": "Two-click pay",
            "stage": "building",
            "team": team.pk,
            "outcome": outcome.pk,
        },
        headers=HTMX,
    )

    shown = editor_client.get(
        url(product, "card_detail", "feature", feature.pk), headers=HTMX
    )
    assert saved.status_code == 200
    assert saved.content == shown.content
    assert "Checkout crew" in saved.content.decode()
    assert "Faster checkout" in saved.content.decode()


def test_board_shows_a_linked_outcome_deleted_on_the_board(editor_client, product):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    FeatureFactory(roadmap=product.roadmap, outcome=outcome)
    grid(editor_client, product)

    editor_client.post(
        url(product, "card_delete", "outcome", outcome.pk),
        {"version": 1},
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "Faster checkout" not in html
    assert "No outcome" in html


# Changes made on other pages ----------------------------------------------------


def admin_change(admin_client, obj, **changes):
    """Save obj through its admin change form with some fields changed."""
    opts = obj._meta
    change_url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
    )
    page = admin_client.get(change_url)
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if hasattr(value, "__iter__") and not isinstance(value, str):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is None:
            data[name] = ""
        else:
            data[name] = getattr(value, "pk", value)
    data.update(changes)
    for name, value in list(data.items()):
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            else:
                del data[name]
    response = admin_client.post(change_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize(
    ("factory", "extra"),
    [(OutcomeFactory, {"goal": None}), (ChallengeFactory, {}), (FeatureFactory, {})],
)
def test_board_shows_a_card_saved_in_the_admin(
    editor_client, admin_client, product, factory, extra
):
    card = factory(roadmap=product.roadmap, title="Old title", **extra)
    grid(editor_client, product)

    admin_change(admin_client, card, title="New title")

    html = grid(editor_client, product)
    assert "New title" in html
    assert "Old title" not in html


def test_board_shows_a_key_result_card_linked_in_the_admin(
    editor_client, admin_client, product
):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Faster checkout")
    card = metric_card(product.roadmap, values=[100])
    grid(editor_client, product)

    admin_change(admin_client, card, outcome=outcome.pk)

    html = grid(editor_client, product)
    assert cell(html, "success_metric", card.horizon).count("Faster checkout") == 1


def test_board_shows_a_new_measurement_sent_through_the_api(editor_client, product):
    from strategy.models import ApiToken

    card = metric_card(product.roadmap, values=[100, 150], name="Weekly signups")
    metric = card.key_result.metric
    _, secret = ApiToken.issue(
        product=product, name="Warehouse", created_by=product.editors.get()
    )
    before = grid(editor_client, product)

    response = Client().post(
        f"/api/v1/metrics/{metric.pk}/measurements",
        {"date": "2026-03-01", "value": 987},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code in (200, 201), response.content
    after = grid(editor_client, product)
    assert metric.format(Decimal("987")) not in before
    assert metric.format(Decimal("987")) in after


def test_board_shows_a_changed_measurement_value(editor_client, product):
    card = metric_card(product.roadmap, values=[100, 150], name="Weekly signups")
    metric = card.key_result.metric
    measurement = metric.measurements.get(value=150)
    grid(editor_client, product)

    editor_client.post(
        reverse(
            "metrics:measurement_edit", args=[product.slug, metric.pk, measurement.pk]
        ),
        {
            "date": measurement.date.isoformat(),
            "value": "432",
            "note": "",
            "version": measurement.version,
        },
        headers=HTMX,
    )

    assert metric.format(Decimal("432")) in grid(editor_client, product)


def test_board_shows_a_goal_renamed_on_its_page(editor_client, product):
    goal = GoalFactory(product=product, title="Grow revenue")
    OutcomeFactory(roadmap=product.roadmap, goal=goal)
    grid(editor_client, product)

    editor_client.post(
        reverse("strategy:goal_edit", args=[product.slug, goal.pk]),
        {
            "version": goal.version,
            "title": "Grow margin",
            "theme": goal.theme_id or "",
            "status": goal.status,
            "start_date": goal.start_date.isoformat(),
            "end_date": goal.end_date.isoformat(),
        },
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "Grow margin" in html
    assert "Grow revenue" not in html


def test_board_shows_a_renamed_theme(editor_client, product):
    theme = ThemeFactory(product=product, title="Acquire")
    goal = GoalFactory(product=product, theme=theme)
    OutcomeFactory(roadmap=product.roadmap, goal=goal)
    grid(editor_client, product)

    editor_client.post(
        reverse("strategy:theme_edit", args=[product.slug, theme.pk]),
        {
            "version": theme.version,
            "title": "Retain",
            "start_year": theme.start_year,
            "end_year": theme.end_year,
        },
        headers=HTMX,
    )

    html = grid(editor_client, product)
    assert "theme Retain" in html
    assert "theme Acquire" not in html


def test_board_shows_a_team_renamed_in_the_admin(editor_client, admin_client, product):
    team = TeamFactory(name="Checkout crew")
    FeatureFactory(roadmap=product.roadmap, team=team)
    OutcomeFactory(roadmap=product.roadmap, teams=[team])
    grid(editor_client, product)

    admin_change(admin_client, team, name="Payments crew")

    html = grid(editor_client, product)
    assert html.count("Payments crew") == 2
    assert "Checkout crew" not in html


def test_board_shows_a_team_added_to_an_outcome_in_the_admin(
    editor_client, admin_client, product
):
    outcome = OutcomeFactory(roadmap=product.roadmap, goal=None)
    team = TeamFactory(name="Growth crew")
    grid(editor_client, product)

    admin_change(admin_client, outcome, teams=[team.pk])

    assert "Growth crew" in grid(editor_client, product)


def test_board_shows_a_changed_key_result_target(editor_client, product):
    card = metric_card(product.roadmap, values=[100], name="Weekly signups")
    key_result = card.key_result
    grid(editor_client, product)

    editor_client.post(
        reverse("metrics:keyresult_edit", args=[product.slug, key_result.pk]),
        {
            "metric": key_result.metric_id,
            "baseline": "100",
            "target": "900",
            "start_date": key_result.start_date.isoformat(),
            "due_date": key_result.due_date.isoformat(),
            "version": key_result.version,
        },
    )

    html = grid(editor_client, product)
    assert "from 100 to 900" in html
    assert "from 100 to 500" not in html


def test_board_shows_a_renamed_metric(editor_client, product):
    card = metric_card(product.roadmap, values=[100], name="Weekly signups")
    metric = card.key_result.metric
    grid(editor_client, product)

    editor_client.post(
        reverse("metrics:metric_edit", args=[product.slug, metric.pk]),
        {
            "name": "Daily signups",
            "unit": metric.unit,
            "direction": metric.direction,
            "review_cadence": metric.review_cadence,
            "version": metric.version,
        },
    )

    assert "daily signups" in grid(editor_client, product)


def test_board_shows_a_linked_outcome_deleted_in_the_admin(
    editor_client, admin_client, product
):
    """Deleting an outcome unlinks its cards through SET_NULL."""
    outcome = OutcomeFactory(
        roadmap=product.roadmap, title="Faster checkout", goal=None
    )
    ChallengeFactory(roadmap=product.roadmap, outcome=outcome)
    grid(editor_client, product)

    response = admin_client.post(
        reverse("admin:roadmap_outcome_delete", args=[outcome.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    html = grid(editor_client, product)
    assert "Faster checkout" not in html
    assert "No outcome" in html
