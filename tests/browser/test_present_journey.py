from __future__ import annotations

import io
import os
import re
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    RoadmapFactory,
)
from tests.strategy.factories import GoalFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

OUTCOME_TITLES = {
    "current": "New visitors see the value in their first minute",
    "soon": "Users come back every week for fresh looks",
    "future": "Brands reach shoppers whose style they match",
}


def snap(page, name: str) -> None:
    """Keep a screenshot when PRESENT_SHOTS names a folder to put it in."""
    folder = os.environ.get("PRESENT_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def pdf_text(pdf: bytes) -> tuple[int, str]:
    """Return a PDF's page count and its text, ligatures spelled out."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture
def presented_product():
    UserFactory(username="stakeholder")
    product = ProductFactory(
        name="Fabrikam Style",
        slug="fabrikam-style",
        vision_statement="Every outfit, effortless.",
    )
    roadmap = RoadmapFactory(product=product, current_hint="Q4 2026")
    goal = GoalFactory(product=product, title="Grow weekly signups fivefold")
    for horizon, title in OUTCOME_TITLES.items():
        outcome = OutcomeFactory(
            roadmap=roadmap, goal=goal, horizon=horizon, title=title
        )
        FeatureFactory(roadmap=roadmap, outcome=outcome, title=f"Feature for {horizon}")
    ChallengeFactory(
        roadmap=roadmap,
        outcome=roadmap.outcomes.get(horizon="current"),
        title="Cold start for brand-new users",
    )
    return product


def test_a_stakeholder_presents_the_roadmap_and_saves_it_as_pdf(
    page, live_server, login, presented_product
):
    """The Present link opens a readable page; printing it gives a clean PDF."""
    login(page, "stakeholder")
    page.goto(f"{live_server.url}/products/fabrikam-style/roadmap/")

    page.get_by_role("link", name="Present", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam Style")
    expect(page.locator(".present-vision")).to_contain_text("Every outfit, effortless.")
    for title in OUTCOME_TITLES.values():
        expect(page.locator(".present-outcome", has_text=title)).to_be_visible()
    expect(page.locator(".present-challenges")).to_contain_text(
        "Cold start for brand-new users"
    )
    snap(page, "present-desktop")

    page.emulate_media(media="print")
    expect(page.locator(".present-filters")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    snap(page, "present-print")
    pages, text = pdf_text(page.pdf(format="A4"))

    assert pages >= 2
    assert "Every outfit, effortless." in text
    for title in OUTCOME_TITLES.values():
        assert title in text
    assert "Print or save as PDF" not in text


def test_a_stakeholder_narrows_the_presentation_by_goal(
    page, live_server, login, presented_product
):
    """Choosing a goal narrows the outcomes and keeps the choice in the address."""
    other = GoalFactory(product=presented_product, title="Open a revenue stream")
    OutcomeFactory(
        roadmap=presented_product.roadmap, goal=other, title="Partners sell here"
    )
    login(page, "stakeholder")
    page.goto(f"{live_server.url}/products/fabrikam-style/present/")
    expect(page.locator(".present-outcome")).to_have_count(4)

    page.get_by_label("Goal", exact=True).select_option(label="Open a revenue stream")

    expect(page.locator(".present-outcome")).to_have_count(1)
    expect(page.locator(".present-outcome")).to_contain_text("Partners sell here")
    expect(page).to_have_url(re.compile(rf"/present/\?goal={other.pk}(&|$)"))
