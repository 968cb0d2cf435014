"""Every write to a plan moves its revision; a refused write does not.

Each write goes through the URL a person (or the admin) uses. Caches, ETags
and live refresh key on the revision, so a write that forgot it would leave
pages stale, and a refused write that moved it would empty caches for nothing.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from strategy.models import ApiToken, Company, Goal, Product, Theme
from tests.strategy.factories import (
    ApiTokenFactory,
    GoalFactory,
    ProductFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def revision(product):
    return Product.objects.values_list("revision", flat=True).get(pk=product.pk)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def theme(product):
    return ThemeFactory(product=product, title="Acquire new customers")


@pytest.fixture
def goal(product, theme):
    return GoalFactory(product=product, theme=theme, title="Grow the user base")


def goal_data(**changes):
    return {
        "title": "Grow the user base",
        "status": "active",
        "start_date": "2026-07-01",
        "end_date": "2027-12-31",
        **changes,
    }


# Products and the vision board ----------------------------------------------


def test_product_create_starts_the_new_plan_past_its_first_revision(admin_client):
    admin_client.post(
        reverse("strategy:product_create"), {"name": "Tailwind", "slug": "tailwind"}
    )

    assert revision(Product.objects.get(slug="tailwind")) == 2


def test_product_settings_save_moves_the_revision(admin_client, product):
    before = revision(product)

    admin_client.post(
        reverse("strategy:product_settings", args=[product.slug]),
        {"name": "Renamed", "slug": product.slug},
    )

    assert revision(product) == before + 1


def test_product_settings_refused_as_invalid_leave_the_revision(admin_client, product):
    before = revision(product)

    response = admin_client.post(
        reverse("strategy:product_settings", args=[product.slug]),
        {"name": "Renamed", "slug": "new"},
    )

    assert response.status_code == 200
    assert revision(product) == before


def test_vision_board_edit_moves_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        reverse("strategy:vision_board_edit", args=[product.slug]),
        {"version": 1, "vision_statement": "Dress with confidence"},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_vision_board_edit_with_a_stale_version_leaves_the_revision(
    editor_client, product
):
    Product.objects.filter(pk=product.pk).update(version=2)
    before = revision(product)

    response = editor_client.post(
        reverse("strategy:vision_board_edit", args=[product.slug]),
        {"version": 1, "vision_statement": "Dress with confidence"},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert revision(product) == before


def test_vision_board_edit_by_a_viewer_leaves_the_revision(viewer_client, product):
    before = revision(product)

    response = viewer_client.post(
        reverse("strategy:vision_board_edit", args=[product.slug]),
        {"version": 1, "vision_statement": "Hacked"},
        headers=HTMX,
    )

    assert response.status_code == 403
    assert revision(product) == before


# The company ----------------------------------------------------------------


def test_company_edit_moves_every_plans_revision(admin_client, product):
    other = ProductFactory()
    company = Company.load()
    before = (revision(product), revision(other))

    admin_client.post(
        reverse("strategy:company_edit"),
        {"version": company.version, "name": "Fabrikam", "mission": "Dress well"},
        headers=HTMX,
    )

    assert (revision(product), revision(other)) == (before[0] + 1, before[1] + 1)


def test_company_edit_refused_as_invalid_leaves_the_revision(admin_client, product):
    company = Company.load()
    before = revision(product)

    admin_client.post(
        reverse("strategy:company_edit"),
        {"version": company.version, "name": "  "},
        headers=HTMX,
    )

    assert revision(product) == before


# Themes ---------------------------------------------------------------------


def test_theme_create_moves_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        reverse("strategy:theme_create", args=[product.slug]),
        {"title": "Retain customers", "start_year": 2026, "end_year": 2027},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_theme_create_refused_as_invalid_leaves_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        reverse("strategy:theme_create", args=[product.slug]),
        {"title": "Retain customers", "start_year": 2028, "end_year": 2026},
        headers=HTMX,
    )

    assert revision(product) == before


def test_theme_edit_moves_the_revision(editor_client, product, theme):
    before = revision(product)

    editor_client.post(
        reverse("strategy:theme_edit", args=[product.slug, theme.pk]),
        {"version": 1, "title": "Win", "start_year": 2026, "end_year": 2028},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_theme_edit_with_a_stale_version_leaves_the_revision(
    editor_client, product, theme
):
    Theme.objects.filter(pk=theme.pk).update(version=2)
    before = revision(product)

    editor_client.post(
        reverse("strategy:theme_edit", args=[product.slug, theme.pk]),
        {"version": 1, "title": "Win", "start_year": 2026, "end_year": 2028},
        headers=HTMX,
    )

    assert revision(product) == before


# Goals ----------------------------------------------------------------------


def test_goal_create_moves_the_revision(editor_client, product, theme):
    before = revision(product)

    editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        goal_data(theme=theme.pk),
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_goal_create_refused_as_invalid_leaves_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        goal_data(end_date="2026-01-01"),
        headers=HTMX,
    )

    assert revision(product) == before


def test_goal_edit_moves_the_revision(editor_client, product, goal):
    before = revision(product)

    editor_client.post(
        reverse("strategy:goal_edit", args=[product.slug, goal.pk]),
        goal_data(version=1, title="Double weekly actives"),
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_goal_edit_with_a_stale_version_leaves_the_revision(
    editor_client, product, goal
):
    Goal.objects.filter(pk=goal.pk).update(version=2)
    before = revision(product)

    editor_client.post(
        reverse("strategy:goal_edit", args=[product.slug, goal.pk]),
        goal_data(version=1, title="Double weekly actives"),
        headers=HTMX,
    )

    assert revision(product) == before


def test_goal_archive_and_restore_each_move_the_revision(editor_client, product, goal):
    url = reverse("strategy:goal_archive", args=[product.slug, goal.pk])
    before = revision(product)

    editor_client.post(url, {"archived": "1"})
    archived = revision(product)
    editor_client.post(url, {"archived": "0"})

    assert (archived, revision(product)) == (before + 1, before + 2)


def test_goal_archive_by_a_viewer_leaves_the_revision(viewer_client, product, goal):
    before = revision(product)

    response = viewer_client.post(
        reverse("strategy:goal_archive", args=[product.slug, goal.pk]),
        {"archived": "1"},
    )

    assert response.status_code == 403
    assert revision(product) == before


# API tokens -----------------------------------------------------------------


def test_api_token_create_and_revoke_each_move_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        reverse("metrics:token_list", args=[product.slug]), {"name": "Warehouse"}
    )
    created = revision(product)
    token = ApiToken.objects.get(product=product)
    editor_client.post(reverse("metrics:token_revoke", args=[product.slug, token.pk]))

    assert (created, revision(product)) == (before + 1, before + 2)


# The admin ------------------------------------------------------------------


def test_admin_theme_save_moves_the_revision_and_the_version(
    admin_client, product, theme
):
    before = revision(product)

    response = admin_client.post(
        reverse("admin:strategy_theme_change", args=[theme.pk]),
        {
            "product": product.pk,
            "title": "Renamed in the admin",
            "start_year": 2026,
            "end_year": 2028,
            "position": 0,
        },
    )

    assert response.status_code == 302
    assert revision(product) == before + 1
    theme.refresh_from_db()
    assert (theme.title, theme.version) == ("Renamed in the admin", 2)


def test_admin_theme_moved_to_another_product_moves_both_revisions(
    admin_client, product, theme
):
    other = ProductFactory()
    before = (revision(product), revision(other))

    admin_client.post(
        reverse("admin:strategy_theme_change", args=[theme.pk]),
        {
            "product": other.pk,
            "title": theme.title,
            "start_year": 2026,
            "end_year": 2028,
            "position": 0,
        },
    )

    assert (revision(product), revision(other)) == (before[0] + 1, before[1] + 1)


def test_admin_goal_delete_moves_the_revision(admin_client, product, goal):
    before = revision(product)

    response = admin_client.post(
        reverse("admin:strategy_goal_delete", args=[goal.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Goal.objects.exists()
    assert revision(product) == before + 1


def test_admin_bulk_delete_moves_the_revision(admin_client, product, goal):
    before = revision(product)

    admin_client.post(
        reverse("admin:strategy_goal_changelist"),
        {"action": "delete_selected", "_selected_action": [goal.pk], "post": "yes"},
    )

    assert not Goal.objects.exists()
    assert revision(product) == before + 1


def test_admin_product_save_keeps_the_revision_moving_forward(admin_client):
    product = ProductFactory(slug="tailwind")
    Product.objects.filter(pk=product.pk).update(revision=41)

    response = admin_client.post(
        reverse("admin:strategy_product_change", args=[product.pk]),
        {
            "name": "Tailwind",
            "slug": "tailwind",
            "vision_statement": "Edited in the admin",
            "themes-TOTAL_FORMS": 0,
            "themes-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.revision, product.version) == (42, 2)
    assert product.vision_statement == "Edited in the admin"


def test_admin_company_save_moves_every_plans_revision(admin_client, product):
    company = Company.load()
    before = revision(product)

    admin_client.post(
        reverse("admin:strategy_company_change", args=[company.pk]),
        {"name": "Fabrikam", "mission": "", "vision": ""},
    )

    assert revision(product) == before + 1


def test_admin_token_revoke_moves_the_revision(admin_client, product):
    token = ApiTokenFactory(product=product)
    before = revision(product)

    admin_client.post(
        reverse("admin:strategy_apitoken_change", args=[token.pk]),
        {
            "product": product.pk,
            "name": token.name,
            "created_by": "",
            "revoked_at_0": "2026-11-02",
            "revoked_at_1": "10:00:00",
        },
    )

    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert revision(product) == before + 1


def test_admin_save_refused_as_invalid_leaves_the_revision(
    admin_client, product, theme
):
    before = revision(product)

    response = admin_client.post(
        reverse("admin:strategy_theme_change", args=[theme.pk]),
        {"product": product.pk, "title": "", "start_year": 2026, "end_year": 2028},
    )

    assert response.status_code == 200
    assert revision(product) == before
