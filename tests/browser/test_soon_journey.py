"""Sales and stakeholders in a real browser: the Soon kit and a share link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from roadmap.models import Insight, ShareLink
from tests.roadmap.factories import FeatureFactory, OutcomeFactory, RoadmapFactory
from tests.strategy.factories import GoalFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def soon_roadmap():
    editor = UserFactory(username="pm")
    UserFactory(username="sales")
    product = ProductFactory(
        name="Fabrikam Style", slug="fabrikam-style", editors=[editor]
    )
    roadmap = RoadmapFactory(product=product, soon_hint="Q2 2027")
    goal = GoalFactory(product=product, title="Keep shoppers coming back")
    digest = OutcomeFactory(
        roadmap=roadmap,
        goal=goal,
        horizon="soon",
        title="Users come back every week for fresh looks",
        customer_summary="A weekly digest of new looks from your own wardrobe.",
        is_customer_visible=True,
        safe_to_promise=True,
    )
    OutcomeFactory(
        roadmap=roadmap,
        goal=goal,
        horizon="soon",
        title="Shoppers buy clothes that fit the first time",
        customer_summary="Size advice based on what already fits you.",
        is_customer_visible=True,
        confidence="low",
    )
    FeatureFactory(
        roadmap=roadmap, outcome=digest, horizon="soon", title="Churn model rebuild"
    )
    return product, digest


def test_sales_filters_the_kit_copies_a_blurb_and_logs_a_request_the_editor_sees(
    browser, live_server, login, soon_roadmap
):
    product, digest = soon_roadmap
    sales = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = sales.new_page()
    login(page, "sales")
    page.goto(f"{live_server.url}/products/{product.slug}/soon/")

    expect(page.get_by_text("Safe to promise", exact=True)).to_be_visible()
    expect(page.get_by_text("Also in progress (internal only")).to_be_visible()
    page.get_by_label("Search").fill("fits")
    expect(page.get_by_text("A weekly digest of new looks")).to_be_hidden()
    expect(
        page.get_by_text("Size advice based on what already fits you.")
    ).to_be_visible()
    assert "q=fits" in page.url
    page.get_by_label("Search").fill("")
    page.get_by_label("Search").press("Enter")

    item = page.locator(f"#soon-outcome-{digest.pk}")
    copy = item.get_by_role("button", name="Copy")
    copy.focus()
    page.keyboard.press("Enter")
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == (
        "Coming Q2 2027: A weekly digest of new looks from your own wardrobe."
    )

    item.get_by_role("link", name="Log a customer request").click()
    page.get_by_label("Account").fill("Acme Retail")
    page.get_by_label("What they asked for").fill("Wants the digest for its VIPs")
    page.get_by_role("button", name="Log request").click()
    expect(item.get_by_text("Request from Acme Retail logged.")).to_be_visible()
    expect(item.get_by_text("1 account asked")).to_be_visible()
    insight = Insight.objects.get()
    assert insight.outcome_id == digest.pk
    assert insight.source == "sales"
    sales.close()

    editor = browser.new_context()
    page = editor.new_page()
    login(page, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/roadmap/")
    page.locator(f"#outcome-{digest.pk}").click(position={"x": 20, "y": 60})
    requests = page.locator("#side-panel .panel-section").filter(
        has=page.get_by_role("heading", name="Customer requests and insights")
    )
    expect(requests.get_by_text("Wants the digest for its VIPs")).to_be_visible()
    expect(requests.get_by_text("Acme Retail")).to_be_visible()
    editor.close()


def test_a_stakeholder_opens_a_share_link_without_an_account(
    browser, live_server, soon_roadmap
):
    product, digest = soon_roadmap
    _, secret = ShareLink.issue(product=product, label="Board meeting Dec")

    fresh = browser.new_context()
    page = fresh.new_page()
    response = page.goto(f"{live_server.url}/s/{secret}/")

    assert response.status == 200
    assert not [c for c in fresh.cookies() if c["name"] == "sessionid"]
    expect(page.get_by_role("heading", name="Fabrikam Style")).to_be_visible()
    expect(page.get_by_text(digest.title)).to_be_visible()
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)
    assert page.goto(
        f"{live_server.url}/products/{product.slug}/roadmap/"
    ).url.startswith(f"{live_server.url}/login/")
    fresh.close()
