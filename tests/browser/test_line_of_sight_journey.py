from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.roadmap.factories import OutcomeFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def snap(page, name: str) -> None:
    """Keep a screenshot when STRATEGY_SHOTS names a folder to put it in."""
    folder = os.environ.get("STRATEGY_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_an_editor_sets_out_a_goal_and_closes_its_line_of_sight_gap(
    page, live_server, login
):
    """A new goal shows as served by no outcome until an outcome is linked on the board."""
    editor = UserFactory(username="pm")
    product = ProductFactory(
        name="Fabrikam Style", slug="fabrikam-style", vision_statement=""
    )
    product.editors.add(editor)
    roadmap = RoadmapFactory(product=product)
    OutcomeFactory(roadmap=roadmap, goal=None, title="Shoppers come back weekly")
    login(page, "pm")

    page.goto(f"{live_server.url}/products/fabrikam-style/")
    page.get_by_role("button", name="Edit", exact=True).first.click()
    page.fill("#id_vision_statement", "Every outfit, effortless.")
    page.fill("#id_target_group", "Busy professionals")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#vision-board")).to_contain_text("Every outfit, effortless.")

    page.get_by_role("button", name="+ Add theme").click()
    page.fill("#theme-new-form #id_title", "Acquire new customers")
    page.get_by_role("button", name="Add theme", exact=True).click()
    expect(page.locator("#strategy")).to_contain_text("Acquire new customers")

    page.get_by_role("button", name="+ Add goal").click()
    page.fill("#goal-new-form #id_title", "Double weekly active users")
    page.get_by_role("button", name="Add goal", exact=True).click()
    expect(page.locator("#strategy")).to_contain_text("Double weekly active users")
    snap(page, "journey-overview")

    page.get_by_role("link", name="Line of sight").first.click()
    goal_node = page.locator(".node-goal", has_text="Double weekly active users")
    expect(goal_node).to_contain_text("No outcome serves this goal")
    expect(page.locator("#gaps")).to_contain_text("No outcome serves this goal")
    expect(page.locator(".node-vision")).to_contain_text("Every outfit, effortless.")
    snap(page, "journey-line-of-sight-gap")

    page.get_by_role("link", name="Roadmap").first.click()
    page.locator(
        ".card-outcome .card-title", has_text="Shoppers come back weekly"
    ).click()
    edit_form = page.locator("form.edit-form")
    edit_form.get_by_label("Goal").select_option(label="Double weekly active users")
    edit_form.get_by_label("Title").press("Enter")
    expect(page.locator("form.edit-form")).to_have_count(0)
    expect(page.locator("article.card-outcome")).to_contain_text(
        "Double weekly active users"
    )
    page.get_by_role("link", name="Line of sight").first.click()

    expect(goal_node).to_contain_text("Shoppers come back weekly")
    expect(goal_node.locator(".node-row").first).not_to_contain_text(
        "No outcome serves this goal"
    )
    expect(page.locator("#gaps")).not_to_contain_text("No outcome serves this goal")
