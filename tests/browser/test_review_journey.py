"""An editor holds a review, closes it and follows the comparison; an outcome
closed from the board lands in the Done archive."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from roadmap.models import Outcome, Review
from roadmap.snapshots import take_snapshot
from tests.roadmap.factories import OutcomeFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "correct horse battery staple"
SIZES = pytest.mark.parametrize(
    "size", [(1440, 900), (390, 844)], ids=["desktop", "phone"]
)
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/")


def axe_violations(page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']}: {node['target']}"
        for v in results["violations"]
        for node in v["nodes"]
    ]


@pytest.fixture
def product():
    pm = UserFactory(username="pm", first_name="Priya")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    roadmap = RoadmapFactory(product=product)
    OutcomeFactory(roadmap=roadmap, horizon="current", title="Fast onboarding")
    OutcomeFactory(roadmap=roadmap, horizon="soon", title="Share outfits")
    # Last month's review, closed with its snapshot.
    last = Review.objects.create(
        roadmap=roadmap,
        held_on=timezone.localdate() - dt.timedelta(days=30),
        status=Review.Status.CLOSED,
        closed_at=timezone.now(),
    )
    last.snapshot = take_snapshot(product, name=str(last), kind="review", user=pm)
    last.save(update_fields=["snapshot"])
    return product


@SIZES
def test_an_editor_holds_a_review_closes_it_and_opens_the_comparison(
    browser, live_server, product, size
):
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    sign_in(page, live_server, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/")
    page.get_by_role("link", name="Reviews", exact=True).first.click()
    page.get_by_role("button", name="Start a review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review of")
    assert axe_violations(page) == []

    onboarding = page.locator(".verdict-row", has_text="Fast onboarding")
    onboarding.get_by_label("Keep").check()
    sharing = page.locator(".verdict-row", has_text="Share outfits")
    sharing.get_by_label("Drop").check()
    sharing.get_by_label("Why").fill("People share in their own chat apps.")
    page.get_by_label("Attendees").fill("Priya, Tom")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_text("Review saved.")).to_be_visible()

    page.get_by_role("link", name="Close the review").click()
    drop = page.get_by_label("Share outfits")
    expect(drop).to_be_checked()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Close the review").click()

    expect(page.get_by_text("Closed the review of")).to_be_visible()
    review = Review.objects.latest("id")
    assert not review.is_open
    assert review.snapshot is not None
    assert Outcome.objects.get(title="Share outfits").status == "dropped"
    assert axe_violations(page) == []
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="Compare with the review of").click()
    assert navigation.value is not None
    assert navigation.value.status == 200
    previous = Review.objects.exclude(pk=review.pk).get()
    assert page.url.endswith(
        f"/products/{product.slug}/compare/"
        f"?from={previous.snapshot_id}&to={review.snapshot_id}"
    )
    # The outcome the review dropped is among what changed since the last one.
    expect(page.locator("main")).to_contain_text("Share outfits")
    page.close()


@SIZES
def test_an_editor_closes_an_outcome_from_its_menu_and_finds_it_in_done(
    browser, live_server, product, size
):
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    sign_in(page, live_server, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/roadmap/")
    outcome = Outcome.objects.get(title="Fast onboarding")
    card = page.locator(f'[data-kind="outcome"][data-id="{outcome.pk}"]')
    card.locator("[data-action=menu]").click()
    page.get_by_role("menuitem", name="Close as achieved").click()

    panel = page.locator("#side-panel")
    panel.get_by_label("Missed").check()
    panel.get_by_label("What we learned").fill("A shorter quiz was not enough.")
    assert axe_violations(page) == []
    panel.get_by_role("button", name="Close the outcome").click()

    expect(panel).to_contain_text("Done archive")
    expect(card).to_have_count(0)
    panel.get_by_role("link", name="Done archive").click()
    entry = page.locator(f"#done-{outcome.pk}")
    expect(entry).to_contain_text("Missed")
    expect(entry).to_contain_text("A shorter quiz was not enough.")
    page.close()
