"""A move with its reason, from the board's keyboard to a stakeholder's history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from strategy.models import HistoryEntry
from tests.roadmap.factories import OutcomeFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "correct horse battery staple"
REASON = "The pilot showed shoppers want it sooner"


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def product():
    pm = UserFactory(username="pm", first_name="Priya")
    UserFactory(username="stakeholder", first_name="Sam")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    roadmap = RoadmapFactory(product=product, soon_label="Next quarter")
    OutcomeFactory(roadmap=roadmap, horizon="current", title="Outfits people wear")
    return product


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_an_editor_moves_an_outcome_with_a_reason_and_a_stakeholder_reads_it(
    browser, live_server, product, size
):
    width, height = size
    editor = browser.new_page(viewport={"width": width, "height": height})
    sign_in(editor, live_server, "pm")
    editor.goto(f"{live_server.url}/products/{product.slug}/roadmap/")

    # Into the grid from the last stop before it; Alt+ArrowRight moves the
    # outcome to the next horizon, and the toast asks why.
    editor.locator(".filter-clear").focus()
    editor.keyboard.press("Tab")
    card = editor.locator(".card-outcome", has_text="Outfits people wear")
    expect(card).to_be_focused()
    editor.keyboard.press("Alt+ArrowRight")
    toast = editor.locator(".toast", has_text="Next quarter")
    expect(toast.get_by_text("Add a reason")).to_be_visible()
    expect(editor.locator("#board-announcer")).to_have_text(
        "Moved “Outfits people wear” to Next quarter."
    )
    expect(card).to_be_focused()

    # R opens the reason form; Enter saves it; the focus is back on the card.
    editor.keyboard.press("r")
    field = toast.get_by_label("Reason for this change")
    expect(field).to_be_focused()
    editor.keyboard.type(REASON)
    editor.keyboard.press("Enter")
    expect(editor.locator(".toast", has_text="Reason saved")).to_be_visible()
    expect(card).to_be_focused()
    entry = HistoryEntry.objects.get(action="moved")
    assert (entry.before, entry.after, entry.reason) == ("current", "soon", REASON)
    editor.close()

    # A stakeholder reads it on the history page, moves only.
    reader = browser.new_page(viewport={"width": width, "height": height})
    sign_in(reader, live_server, "stakeholder")
    reader.goto(f"{live_server.url}/products/{product.slug}/")
    reader.get_by_role("link", name="History").click()
    reader.get_by_label("Moves only").check()
    reader.get_by_role("button", name="Filter").click()
    row = reader.locator(f"#history-{entry.pk}")
    expect(row).to_contain_text("Priya")
    expect(row).to_contain_text(
        "moved the outcome “Outfits people wear” to Next quarter"
    )
    expect(row).to_contain_text(REASON)
    assert reader.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    ), "the history page scrolls sideways"
    reader.close()
