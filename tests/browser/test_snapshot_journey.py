"""A move with its reason, a snapshot, more changes, and the comparison."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from roadmap.models import Snapshot
from roadmap.snapshots import take_snapshot
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
    OutcomeFactory(
        roadmap=roadmap, horizon="current", position=0, title="Outfits people wear"
    )
    OutcomeFactory(
        roadmap=roadmap, horizon="current", position=1, title="Fewer returns"
    )
    take_snapshot(product, name="Start of the month", kind="monthly", user=None)
    return product


def move_right(page, title: str) -> None:
    card = page.locator(".card-outcome", has_text=title)
    card.focus()
    expect(card).to_be_focused()
    page.keyboard.press("Alt+ArrowRight")
    expect(page.locator("#board-announcer")).to_have_text(
        f"Moved “{title}” to Next quarter."
    )


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_an_editor_compares_a_snapshot_and_sees_the_move_with_its_reason(
    browser, live_server, product, size
):
    width, height = size
    editor = browser.new_page(viewport={"width": width, "height": height})
    sign_in(editor, live_server, "pm")
    board = f"{live_server.url}/products/{product.slug}/roadmap/"
    editor.goto(board)

    # The move, and its reason through the undo toast's "Add a reason".
    move_right(editor, "Outfits people wear")
    toast = editor.locator(".toast", has_text="Next quarter")
    toast.get_by_text("Add a reason").click()
    field = toast.get_by_label("Reason for this change")
    field.fill(REASON)
    field.press("Enter")
    expect(editor.locator(".toast", has_text="Reason saved")).to_be_visible()

    # A snapshot taken by hand from the snapshots page.
    editor.goto(f"{live_server.url}/products/{product.slug}/snapshots/")
    editor.get_by_label("Name").fill("Before Q1 planning")
    editor.get_by_role("button", name="Take snapshot").click()
    expect(editor.locator(".messages")).to_contain_text(
        "Took the snapshot “Before Q1 planning”"
    )
    assert Snapshot.objects.filter(name="Before Q1 planning").exists()

    # More changes after it.
    editor.goto(board)
    move_right(editor, "Fewer returns")

    # The comparison from the start of the month to the new snapshot.
    editor.goto(f"{live_server.url}/products/{product.slug}/snapshots/")
    editor.get_by_label("From").select_option(label=_option("Start of the month"))
    editor.get_by_label("To").select_option(label=_option("Before Q1 planning"))
    editor.get_by_role("button", name="Compare").click()
    moved = editor.locator(".compare-moved")
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text("Outfits people wear")
    expect(moved.locator(".compare-move")).to_have_text(
        re.compile(r"^\s*Current\s*→\s*to\s*Next quarter\s*$")
    )
    expect(moved).to_contain_text(REASON)
    expect(moved).to_contain_text("Priya")

    # And from that snapshot to now: the later move, without a reason.
    editor.get_by_role("link", name="“Before Q1 planning”").click()
    expect(editor.locator(".snapshot-banner")).to_contain_text("Snapshot of")
    editor.get_by_role("link", name="Compare with now").click()
    moved = editor.locator(".compare-moved")
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text("Fewer returns")
    expect(moved).to_contain_text("No reason recorded.")
    assert editor.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    ), "the comparison scrolls sideways"
    editor.close()

    # A stakeholder reads the move and its reason on the history page.
    entry = HistoryEntry.objects.get(action="moved", reason=REASON)
    reader = browser.new_page(viewport={"width": width, "height": height})
    sign_in(reader, live_server, "stakeholder")
    reader.goto(f"{live_server.url}/products/{product.slug}/history/")
    row = reader.locator(f"#history-{entry.pk}")
    expect(row).to_contain_text("moved the outcome “Outfits people wear”")
    expect(row).to_contain_text(REASON)
    reader.close()


def _option(name: str) -> str:
    snapshot = Snapshot.objects.get(name=name)
    return f"{name} ({snapshot.taken_at:%-d %b %Y})"
