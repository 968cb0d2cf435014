"""The outcome side panel agrees with the grid after a write from the panel."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.roadmap.factories import OutcomeFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_adding_a_challenge_from_the_panel_updates_the_panel_too(
    page, login, live_server
):
    pm = UserFactory(username="pm")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    roadmap = RoadmapFactory(product=product)
    OutcomeFactory(roadmap=roadmap, title="New visitors see value", horizon="current")
    login(page, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/roadmap/")

    page.locator(".card-outcome", has_text="New visitors see value").click()
    side_panel = page.locator("#side-panel")
    challenges = side_panel.locator(".panel-section", has_text="Challenges")
    expect(challenges.locator("h3 .count")).to_have_text("0")

    side_panel.get_by_role("button", name="+ Add a challenge to this outcome").click()
    form = page.locator("form.add-form")
    form.get_by_label("Title").fill("Cold start: no outfits yet")
    form.get_by_label("Title").press("Enter")

    grid_cell = page.locator('[data-cell="challenge-current"]')
    expect(grid_cell.locator(".card-challenge")).to_contain_text(
        "Cold start: no outfits yet"
    )
    expect(challenges.locator("h3 .count")).to_have_text("1")
    expect(challenges).to_contain_text("Cold start: no outfits yet")
    expect(side_panel).to_be_visible()
