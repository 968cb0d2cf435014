from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from strategy.models import Company, Goal, Product, Theme
from tests.metrics.factories import KeyResultFactory, MeasurementFactory, MetricFactory
from tests.roadmap.factories import OutcomeFactory
from tests.strategy.factories import (
    CompanyFactory,
    GoalFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_superuser=True))
    return client


@pytest.fixture
def theme(product):
    return ThemeFactory(product=product, title="Acquire new customers")


@pytest.fixture
def goal(product, theme):
    return GoalFactory(product=product, theme=theme, title="Grow the user base")


# Pages render for editors and viewers ------------------------------------


def page_urls(product, goal):
    return [
        reverse("strategy:home"),
        reverse("strategy:company"),
        reverse("strategy:product_detail", args=[product.slug]),
        reverse("strategy:goal_detail", args=[product.slug, goal.pk]),
    ]


def test_pages_render_for_editors_with_edit_controls(editor_client, product, goal):
    """Editors see every page, and the product pages offer inline editing."""
    for url in page_urls(product, goal):
        response = editor_client.get(url)
        assert response.status_code == 200, url

    overview = editor_client.get(product.get_absolute_url()).text
    assert reverse("strategy:vision_board_edit", args=[product.slug]) in overview
    assert reverse("strategy:theme_create", args=[product.slug]) in overview


def test_pages_render_for_viewers_without_edit_controls(viewer_client, product, goal):
    """Viewers read every page but are offered no way to change anything."""
    for url in page_urls(product, goal):
        response = viewer_client.get(url)
        assert response.status_code == 200, url
        assert "/edit/" not in response.text, url
        assert "+ Add" not in response.text, url


def test_product_detail_shows_vision_board_themes_goals_and_key_results(
    viewer_client, product, goal
):
    product.target_group = "Busy professionals"
    product.save()
    metric = MetricFactory(product=product, name="MAU")
    MeasurementFactory(metric=metric, date=dt.date(2026, 11, 1), value=300)
    KeyResultFactory(metric=metric, goal=goal)
    OutcomeFactory(roadmap=product.roadmap, goal=goal, horizon="soon")

    response = viewer_client.get(product.get_absolute_url())

    page = response.text
    assert "Every outfit, effortless." in page
    assert "Busy professionals" in page
    assert "Acquire new customers" in page
    assert "2026–2028" in page
    assert "Grow the user base" in page
    assert "Increase MAU from 100 to 500" in page
    assert "50%" in page  # (300 - 100) / (500 - 100)
    assert "1 outcome" in page


def test_product_detail_hides_archived_goals_until_asked(viewer_client, product, theme):
    GoalFactory(product=product, theme=theme, title="Old goal", status="archived")

    hidden = viewer_client.get(product.get_absolute_url())
    shown = viewer_client.get(product.get_absolute_url() + "?archived=1", headers=HTMX)

    assert "Old goal" not in hidden.text
    assert "Show archived goals (1)" in hidden.text
    assert "Old goal" in shown.text
    assert "<html" not in shown.text


def test_company_page_shows_mission_and_vision(viewer_client):
    CompanyFactory(mission="Help everyone dress well.", vision="A wardrobe for all.")

    response = viewer_client.get(reverse("strategy:company"))

    assert "Help everyone dress well." in response.text
    assert "A wardrobe for all." in response.text


@pytest.mark.parametrize("goal_count", [2, 40])
def test_product_detail_query_count_is_constant(
    viewer_client, product, theme, django_assert_num_queries, goal_count
):
    """Goals and their key results are fetched in bulk, not per goal."""
    metric = MetricFactory(product=product)
    for goal in GoalFactory.create_batch(goal_count, product=product, theme=theme):
        KeyResultFactory(metric=metric, goal=goal)
    OutcomeFactory.create_batch(goal_count, roadmap=product.roadmap, goal=None)

    # user (the session is cached), product with its members, themes, goals, key results, archived
    # count, roadmap (read once for the summary, the review schedule and the
    # balance), outcome counts, editor list, the review schedule's reviews; the
    # portfolio balance: outcomes per horizon and category, estimated effort per
    # horizon and category
    with django_assert_num_queries(12):
        response = viewer_client.get(product.get_absolute_url())

    assert response.status_code == 200


@pytest.mark.parametrize("outcome_count", [2, 40])
def test_goal_detail_query_count_is_constant(
    viewer_client, product, goal, django_assert_num_queries, outcome_count
):
    metric = MetricFactory(product=product)
    KeyResultFactory.create_batch(outcome_count, metric=metric, goal=goal)
    OutcomeFactory.create_batch(outcome_count, roadmap=product.roadmap, goal=goal)

    # user (the session is cached), product with its members, goal, key results, outcomes,
    # roadmap, the goal's history
    with django_assert_num_queries(7):
        response = viewer_client.get(
            reverse("strategy:goal_detail", args=[product.slug, goal.pk])
        )

    assert response.status_code == 200


def test_goal_detail_shows_key_results_and_outcomes_by_horizon(
    viewer_client, product, goal
):
    metric = MetricFactory(product=product, name="NPS", unit="")
    MeasurementFactory(metric=metric, date=dt.date(2026, 11, 1), value=200)
    KeyResultFactory(metric=metric, goal=goal)
    OutcomeFactory(
        roadmap=product.roadmap, goal=goal, horizon="future", title="Repeat buyers"
    )

    response = viewer_client.get(
        reverse("strategy:goal_detail", args=[product.slug, goal.pk])
    )

    page = response.text
    assert "Increase NPS from 100 to 500" in page
    assert "25%" in page
    assert "Repeat buyers" in page
    future = page.index('aria-label="Future"')
    assert page.index("Repeat buyers") > future


# Writes are refused for viewers and anonymous visitors -------------------


def write_requests(product, theme, goal):
    slug = product.slug
    return [
        ("get", reverse("strategy:vision_board_edit", args=[slug])),
        ("post", reverse("strategy:vision_board_edit", args=[slug])),
        ("get", reverse("strategy:theme_create", args=[slug])),
        ("post", reverse("strategy:theme_create", args=[slug])),
        ("get", reverse("strategy:theme_edit", args=[slug, theme.pk])),
        ("post", reverse("strategy:theme_edit", args=[slug, theme.pk])),
        ("get", reverse("strategy:goal_create", args=[slug])),
        ("post", reverse("strategy:goal_create", args=[slug])),
        ("get", reverse("strategy:goal_edit", args=[slug, goal.pk])),
        ("post", reverse("strategy:goal_edit", args=[slug, goal.pk])),
        ("post", reverse("strategy:goal_archive", args=[slug, goal.pk])),
        ("get", reverse("strategy:company_edit")),
        ("post", reverse("strategy:company_edit")),
        ("get", reverse("strategy:product_create")),
        ("post", reverse("strategy:product_create")),
        ("get", reverse("strategy:product_settings", args=[slug])),
        ("post", reverse("strategy:product_settings", args=[slug])),
    ]


def test_every_write_is_refused_for_viewers(viewer_client, product, theme, goal):
    """A viewer gets 403 from every write endpoint, and nothing changes."""
    for method, url in write_requests(product, theme, goal):
        response = getattr(viewer_client, method)(
            url, {"title": "Hacked", "version": 1, "name": "Hacked"}
        )
        assert response.status_code == 403, (method, url)

    goal.refresh_from_db()
    assert goal.title == "Grow the user base"
    assert goal.status == Goal.Status.ACTIVE
    assert not Theme.objects.filter(title="Hacked").exists()


def test_every_write_redirects_anonymous_visitors_to_login(
    client, product, theme, goal
):
    for method, url in write_requests(product, theme, goal):
        response = getattr(client, method)(url, {"title": "Hacked"})
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(reverse("login")), (method, url)


def test_editor_of_another_product_cannot_write(client, product, goal):
    other = UserFactory(username="other-editor")
    other.editable_products.add(Product.objects.create(name="Other", slug="other"))
    client.force_login(other)

    response = client.post(
        reverse("strategy:goal_edit", args=[product.slug, goal.pk]),
        {"title": "Hacked", "version": 1},
    )

    assert response.status_code == 403


def test_company_edit_is_refused_for_product_editors(editor_client):
    """Only admins change the company's mission and vision."""
    response = editor_client.post(
        reverse("strategy:company_edit"), {"name": "X", "version": 1}
    )

    assert response.status_code == 403


# Inline edits -------------------------------------------------------------


def test_vision_board_edit_saves_and_returns_the_read_partial(editor_client, product):
    response = editor_client.post(
        reverse("strategy:vision_board_edit", args=[product.slug]),
        {"version": 1, "vision_statement": "Dress with confidence", "needs": "Time"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert '<section id="vision-board"' in response.text
    assert "<html" not in response.text
    product.refresh_from_db()
    assert product.vision_statement == "Dress with confidence"
    assert product.needs == "Time"
    assert product.version == 2


def test_vision_board_edit_with_stale_version_answers_409_and_keeps_theirs(
    editor_client, product
):
    """A stale save shows their text beside yours and overwrites nothing."""
    Product.objects.filter(pk=product.pk).update(
        vision_statement="Their vision", version=2
    )

    response = editor_client.post(
        reverse("strategy:vision_board_edit", args=[product.slug]),
        {"version": 1, "vision_statement": "My vision"},
        headers=HTMX,
    )

    assert response.status_code == 409
    assert "Someone else saved this" in response.text
    assert "Their vision" in response.text
    assert "My vision" in response.text
    assert 'name="version" value="2"' in response.text
    product.refresh_from_db()
    assert product.vision_statement == "Their vision"


def test_vision_board_conflict_keep_mine_saves_over_theirs(editor_client, product):
    """ "Keep mine" re-posts what was typed with their version: a deliberate save."""
    Product.objects.filter(pk=product.pk).update(
        vision_statement="Their vision", version=2
    )
    url = reverse("strategy:vision_board_edit", args=[product.slug])
    conflict = editor_client.post(
        url, {"version": 1, "vision_statement": "My vision"}, headers=HTMX
    )
    keep_mine = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', conflict.text)
    )

    response = editor_client.post(url, keep_mine, headers=HTMX)

    assert keep_mine["version"] == "2"
    assert response.status_code == 200
    assert '<section id="vision-board"' in response.text
    product.refresh_from_db()
    assert (product.vision_statement, product.version) == ("My vision", 3)


def test_vision_board_conflict_without_htmx_is_a_whole_page(editor_client, product):
    """A plain form post gets the conflict as a page, with plain buttons."""
    Product.objects.filter(pk=product.pk).update(version=2)

    response = editor_client.post(
        reverse("strategy:vision_board_edit", args=[product.slug]),
        {"version": 1, "vision_statement": "My vision"},
    )

    assert response.status_code == 409
    assert "<html" in response.text
    assert "Someone else saved this vision board" in response.text
    assert f'href="{product.get_absolute_url()}"' in response.text


def test_vision_board_edit_without_a_version_is_a_conflict(editor_client, product):
    response = editor_client.post(
        reverse("strategy:vision_board_edit", args=[product.slug]),
        {"vision_statement": "My vision"},
        headers=HTMX,
    )

    assert response.status_code == 409
    product.refresh_from_db()
    assert product.vision_statement != "My vision"


def test_company_edit_saves_for_admins(admin_client):
    company = Company.load()

    response = admin_client.post(
        reverse("strategy:company_edit"),
        {"version": company.version, "name": "Fabrikam", "mission": "Dress well"},
        headers=HTMX,
    )

    assert response.status_code == 200
    company.refresh_from_db()
    assert (company.name, company.mission) == ("Fabrikam", "Dress well")


def test_company_edit_with_blank_name_shows_error_and_saves_nothing(admin_client):
    company = CompanyFactory(name="Fabrikam")

    response = admin_client.post(
        reverse("strategy:company_edit"),
        {"version": company.version, "name": "  ", "mission": "New mission"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert "New mission" in response.text
    company.refresh_from_db()
    assert company.mission == "Help everyone dress with confidence."


def test_theme_create_adds_a_theme_and_rerenders_the_strategy(editor_client, product):
    response = editor_client.post(
        reverse("strategy:theme_create", args=[product.slug]),
        {"title": "Retain customers", "start_year": 2026, "end_year": 2027},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#strategy"
    assert "Retain customers" in response.text
    assert product.themes.get().years_label == "2026–2027"


def test_theme_create_form_names_each_field_wrapper(editor_client, product):
    """Field wrappers carry field-<name>, which the form row sizes them by."""
    response = editor_client.get(
        reverse("strategy:theme_create", args=[product.slug]), headers=HTMX
    )

    assert response.status_code == 200
    assert '<div class="field field-title">' in response.text
    assert '<div class="field field-start_year">' in response.text
    assert '<div class="field field-end_year">' in response.text


def test_theme_create_with_end_before_start_shows_error_and_saves_nothing(
    editor_client, product
):
    response = editor_client.post(
        reverse("strategy:theme_create", args=[product.slug]),
        {"title": "Retain customers", "start_year": 2028, "end_year": 2026},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Must be the same year as the start or later." in response.text
    assert 'value="Retain customers"' in response.text
    assert not product.themes.exists()


def test_theme_edit_saves_with_version(editor_client, product, theme):
    response = editor_client.post(
        reverse("strategy:theme_edit", args=[product.slug, theme.pk]),
        {
            "version": 1,
            "title": "Win new markets",
            "start_year": 2026,
            "end_year": 2029,
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Win new markets" in response.text
    theme.refresh_from_db()
    assert (theme.title, theme.end_year, theme.version) == ("Win new markets", 2029, 2)


def test_theme_edit_with_stale_version_answers_409(editor_client, product, theme):
    Theme.objects.filter(pk=theme.pk).update(title="Theirs", version=5)

    response = editor_client.post(
        reverse("strategy:theme_edit", args=[product.slug, theme.pk]),
        {"version": 1, "title": "Mine", "start_year": 2026, "end_year": 2028},
        headers=HTMX,
    )

    assert response.status_code == 409
    theme.refresh_from_db()
    assert theme.title == "Theirs"


def test_goal_create_inline_adds_the_goal_under_its_theme(
    editor_client, product, theme
):
    response = editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        {
            "title": "Double weekly actives",
            "theme": theme.pk,
            "status": "active",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Double weekly actives" in response.text
    goal = product.goals.get()
    assert (goal.theme, goal.title) == (theme, "Double weekly actives")


def test_goal_create_page_redirects_to_the_new_goal(editor_client, product):
    response = editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        {
            "title": "Cut churn",
            "status": "active",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
    )

    goal = product.goals.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "strategy:goal_detail", args=[product.slug, goal.pk]
    )
    assert goal.theme is None


def test_goal_create_with_invalid_dates_shows_error_and_saves_nothing(
    editor_client, product
):
    response = editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        {
            "title": "Cut churn",
            "status": "active",
            "start_date": "2027-06-01",
            "end_date": "2027-01-01",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Must be on or after the start date." in response.text
    assert 'value="Cut churn"' in response.text
    assert not product.goals.exists()


def test_goal_create_refuses_a_theme_of_another_product(editor_client, product):
    foreign = ThemeFactory()

    response = editor_client.post(
        reverse("strategy:goal_create", args=[product.slug]),
        {
            "title": "Cut churn",
            "theme": foreign.pk,
            "status": "active",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not product.goals.exists()


def test_goal_edit_saves_and_returns_the_summary(editor_client, product, goal):
    response = editor_client.post(
        reverse("strategy:goal_edit", args=[product.slug, goal.pk]),
        {
            "version": 1,
            "title": "Grow the paying base",
            "theme": goal.theme_id,
            "status": "achieved",
            "start_date": "2026-07-01",
            "end_date": "2027-12-31",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert '<section id="goal-summary"' in response.text
    goal.refresh_from_db()
    assert (goal.title, goal.status, goal.version) == (
        "Grow the paying base",
        "achieved",
        2,
    )


def test_goal_edit_with_stale_version_shows_both_and_saves_nothing(
    editor_client, product, goal
):
    Goal.objects.filter(pk=goal.pk).update(title="Their title", version=2)

    response = editor_client.post(
        reverse("strategy:goal_edit", args=[product.slug, goal.pk]),
        {
            "version": 1,
            "title": "My title",
            "status": "active",
            "start_date": "2026-07-01",
            "end_date": "2027-12-31",
        },
        headers=HTMX,
    )

    assert response.status_code == 409
    assert "Their title" in response.text
    assert "My title" in response.text
    goal.refresh_from_db()
    assert goal.title == "Their title"


def test_goal_archive_and_restore(editor_client, product, goal):
    url = reverse("strategy:goal_archive", args=[product.slug, goal.pk])

    editor_client.post(url, {"archived": "1"})
    goal.refresh_from_db()
    archived_status = goal.status
    editor_client.post(url, {"archived": "0"})
    goal.refresh_from_db()

    assert archived_status == Goal.Status.ARCHIVED
    assert goal.status == Goal.Status.ACTIVE
    assert goal.version == 3


# Products -----------------------------------------------------------------


def test_product_create_by_admin_sets_editors(admin_client):
    editor = UserFactory(username="pm")

    response = admin_client.post(
        reverse("strategy:product_create"),
        {"name": "Fabrikam Kids", "slug": "", "editors": [editor.pk]},
    )

    product = Product.objects.get(name="Fabrikam Kids")
    assert response.status_code == 302
    assert response["Location"] == product.get_absolute_url()
    assert product.slug == "fabrikam-kids"
    assert list(product.editors.all()) == [editor]
    assert not hasattr(product, "roadmap") or product.roadmap is None


def test_product_create_with_taken_address_shows_error_and_saves_nothing(
    admin_client, product
):
    response = admin_client.post(
        reverse("strategy:product_create"),
        {"name": "Fabrikam Style", "slug": ""},
    )

    assert response.status_code == 200
    assert "Another product already uses" in response.text
    assert Product.objects.count() == 1


def test_product_create_page_lists_people_to_choose_as_editors(admin_client):
    UserFactory(username="pm", first_name="Pat", last_name="Morgan")

    response = admin_client.get(reverse("strategy:product_create"))

    assert response.status_code == 200
    assert "Pat Morgan (pm)" in response.text


def test_product_settings_changes_editors(admin_client, product, editor):
    newcomer = UserFactory(username="newcomer")

    admin_client.post(
        reverse("strategy:product_settings", args=[product.slug]),
        {"name": product.name, "slug": product.slug, "editors": [newcomer.pk]},
    )

    assert list(product.editors.all()) == [newcomer]


def test_product_settings_leave_the_vision_to_the_vision_board(admin_client, product):
    """The vision is edited where edits carry a version, never overwritten here."""
    product.vision_statement = "Saved on the vision board"
    product.save()

    admin_client.post(
        reverse("strategy:product_settings", args=[product.slug]),
        {
            "name": "Renamed",
            "slug": product.slug,
            "vision_statement": "Stale text from an old tab",
        },
    )

    product.refresh_from_db()
    assert product.name == "Renamed"
    assert product.vision_statement == "Saved on the vision board"


def test_home_links_admins_to_product_create(admin_client):
    response = admin_client.get(reverse("strategy:home"))

    assert reverse("strategy:product_create") in response.text


def test_goal_create_form_offers_iso_dates_for_the_date_picker(editor_client, product):
    """Date inputs only accept yyyy-mm-dd, whatever the site's locale."""
    response = editor_client.get(
        reverse("strategy:goal_create", args=[product.slug]), headers=HTMX
    )

    assert re.search(r'name="start_date" value="\d{4}-\d{2}-\d{2}"', response.text)


def test_goal_create_ignores_a_theme_that_is_not_an_ascii_number(
    editor_client, product
):
    response = editor_client.get(
        reverse("strategy:goal_create", args=[product.slug]), {"theme": "²"}
    )

    assert response.status_code == 200
