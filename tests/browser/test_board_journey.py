from __future__ import annotations

import pytest
from playwright.sync_api import expect

from roadmap.models import Feature
from strategy.models import HistoryEntry
from strategy.revision import plan_changed
from tests.roadmap.factories import FeatureFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# The open board polls every BOARD_POLL_SECONDS (10 s by default, 1 s here so
# the journey does not wait on the clock); a busy machine may still be slow to
# answer, so the watcher's expectations wait up to 15 s for the change.
SEEN_WITHIN_MS = 15_000


@pytest.fixture(autouse=True)
def quick_poll(settings):
    settings.BOARD_POLL_SECONDS = 1


def cell(page, kind: str, horizon: str):
    return page.locator(f'[data-cell="{kind}-{horizon}"]')


def test_a_product_manager_shapes_the_roadmap_while_a_colleague_watches(
    page, browser, login, live_server
):
    """Add an outcome and a feature under it, drag, rename, delete and undo;
    a second open board picks the changes up without reloading."""
    pm = UserFactory(username="pm")
    UserFactory(username="sponsor")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    RoadmapFactory(product=product, soon_label="Soon", soon_hint="Q1 2027")
    board_url = f"{live_server.url}/products/{product.slug}/roadmap/"
    watcher_context = browser.new_context()
    watcher = watcher_context.new_page()
    login(watcher, "sponsor")
    watcher.goto(board_url)
    expect(watcher.locator("#board-grid")).to_be_visible()
    login(page, "pm")
    page.goto(board_url)

    # Add an outcome in Current.
    cell(page, "outcome", "current").get_by_role("button", name="Add outcome").click()
    page.get_by_label("Title").fill("New visitors see value in a minute")
    page.keyboard.press("Enter")
    outcome_card = page.locator(".card-outcome", has_text="New visitors see value")
    expect(outcome_card).to_be_visible()

    # Add a feature under it.
    cell(page, "feature", "current").get_by_role("button", name="Add feature").click()
    form = page.locator("form.add-form")
    form.get_by_label("Title").fill("Style quiz")
    form.get_by_label("Outcome").select_option(
        label="New visitors see value in a minute"
    )
    form.get_by_label("Title").press("Enter")
    feature_card = page.locator(".card-feature", has_text="Style quiz")
    expect(feature_card).to_contain_text("New visitors see value in a minute")
    expect(outcome_card).to_contain_text("1 feature")

    # Drag the feature to Soon.
    feature_card.drag_to(cell(page, "feature", "soon"))
    expect(cell(page, "feature", "soon").locator(".card-feature")).to_contain_text(
        "Style quiz"
    )
    expect(cell(page, "feature", "current").locator(".card-feature")).to_have_count(0)

    # Edit its title inline.
    page.locator(".card-feature .card-title").click()
    title = page.locator("form.edit-form").get_by_label("Title")
    title.fill("Style quiz in three taps")
    title.press("Enter")
    renamed = cell(page, "feature", "soon").locator(".card-feature")
    expect(renamed).to_contain_text("Style quiz in three taps")

    # Delete it, then undo from the toast.
    renamed.get_by_role("button", name="Move, edit or delete").click()
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.locator(".card-feature")).to_have_count(0)
    page.locator(".toast").get_by_role("button", name="Undo").click()
    expect(cell(page, "feature", "soon").locator(".card-feature")).to_contain_text(
        "Style quiz in three taps"
    )

    # The colleague's board caught up on its own.
    expect(cell(watcher, "feature", "soon")).to_contain_text(
        "Style quiz in three taps", timeout=SEEN_WITHIN_MS
    )
    expect(cell(watcher, "outcome", "current")).to_contain_text(
        "New visitors see value in a minute"
    )
    assert watcher.locator("[data-action=menu]").count() == 0  # read-only board
    feature = Feature.objects.get()
    assert feature.horizon == "soon"
    assert not feature.is_deleted
    assert set(HistoryEntry.objects.values_list("action", flat=True)) == {
        "created",
        "moved",
        "updated",
        "deleted",
        "restored",
    }
    watcher_context.close()


def test_a_refresh_that_lands_while_a_menu_opens_waits_until_it_closes(
    page, login, live_server
):
    """A colleague's change is on its way when the person opens a card's menu:
    the menu stays, and the board catches up once it is closed."""
    pm = UserFactory(username="pm")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    roadmap = RoadmapFactory(product=product)
    FeatureFactory(roadmap=roadmap, horizon="soon", title="Style quiz")
    login(page, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/roadmap/")
    held, holding = [], [True]

    def hold(route):
        if holding:
            held.append(route)
        else:
            route.continue_()

    page.route("**/roadmap/revision/**", hold)
    FeatureFactory(roadmap=roadmap, horizon="soon", title="Outfit planner")
    plan_changed(product.pk)
    while not held:  # the next poll, held on its way to the server
        page.wait_for_timeout(50)

    page.locator(".card-feature", has_text="Style quiz").get_by_role(
        "button", name="Move, edit or delete"
    ).click()
    delete = page.get_by_role("menuitem", name="Delete")
    expect(delete).to_be_visible()
    holding.clear()
    for route in held:
        route.continue_()
    page.wait_for_timeout(1_500)

    expect(delete).to_be_visible()
    expect(page.locator(".card-feature", has_text="Outfit planner")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.locator(".card-feature", has_text="Outfit planner")).to_be_visible(
        timeout=SEEN_WITHIN_MS
    )
