"""A new editor's first minute: from an empty product to a first outcome."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from metrics.models import KeyResult
from roadmap.models import Feature, Outcome, SuccessMetric
from tests.roadmap.factories import RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_new_editor_puts_an_outcome_its_key_result_and_a_feature_on_an_empty_board(
    page, live_server, login
):
    editor = UserFactory(username="new-pm")
    product = ProductFactory(name="Tailwind", slug="tailwind", editors=[editor])
    RoadmapFactory(product=product)
    login(page, "new-pm")
    actions = 0

    page.goto(f"{live_server.url}/products/tailwind/roadmap/")
    actions += 1
    expect(page.get_by_role("heading", name="This roadmap is empty")).to_be_visible()
    page.get_by_role("link", name="Start your roadmap").click()
    actions += 1
    for label, value in [
        ("Desired outcome", "Riders book a trip in under a minute"),
        ("Success metric", "Median booking time"),
        ("Unit", "s"),
        ("From", "180"),
        ("To", "60"),
        ("A first feature", "One-tap rebooking"),
    ]:
        page.get_by_label(label, exact=True).fill(value)
        actions += 1
    page.get_by_role("button", name="Put it on the roadmap").click()
    actions += 1

    expect(page.get_by_text("is on the roadmap")).to_be_visible()
    grid = page.locator("#board-grid")
    expect(
        grid.get_by_text("Riders book a trip in under a minute").first
    ).to_be_visible()
    expect(grid.get_by_text("One-tap rebooking")).to_be_visible()
    expect(
        grid.get_by_text("Reduce median booking time from 180 to 60", exact=False)
    ).to_be_visible()
    outcome = Outcome.objects.get()
    assert SuccessMetric.objects.get().outcome == outcome
    assert KeyResult.objects.get().metric.name == "Median booking time"
    assert Feature.objects.get().outcome == outcome
    # Open the board, open the form, six fields, one submit.
    assert actions == 9
