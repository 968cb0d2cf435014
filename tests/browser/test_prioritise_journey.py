"""An editor re-estimates a feature inline and sees its rank change at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from roadmap.models import Feature
from tests.metrics.factories import KeyResultFactory
from tests.roadmap.factories import FeatureFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def ranked_features():
    editor = UserFactory(username="pm")
    product = ProductFactory(
        name="Fabrikam Style", slug="fabrikam-style", editors=[editor]
    )
    roadmap = RoadmapFactory(product=product)
    key_result = KeyResultFactory(
        metric__product=product, metric__name="Activation", metric__unit="%"
    )
    estimate = {
        "impact": Decimal("2"),
        "impact_key_result": key_result,
        "estimate_confidence": 50,
        "effort_weeks": Decimal("1"),
    }
    leader = FeatureFactory(
        roadmap=roadmap, title="Style quiz", reach=1000, position=0, **estimate
    )
    chaser = FeatureFactory(
        roadmap=roadmap, title="Photo import", reach=100, position=1, **estimate
    )
    return product, leader, chaser


def rank_of(page, feature: Feature):
    return page.locator(f"#row-feature-{feature.pk} .rank-badge")


def test_an_editor_changes_an_estimate_and_sees_the_rank_change(
    page, live_server, login, ranked_features
):
    product, leader, chaser = ranked_features
    login(page, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/prioritise/")
    expect(rank_of(page, leader)).to_have_text("1")
    expect(rank_of(page, chaser)).to_have_text("2")
    reloads = []
    page.on("framenavigated", lambda frame: reloads.append(frame.url))

    reach = page.get_by_label("Reach of “Photo import”, people per quarter")
    reach.fill("5000")
    reach.press("Enter")

    expect(page.get_by_role("status")).to_have_text(
        "Saved “Photo import”: rank 1 of 2."
    )
    expect(rank_of(page, chaser)).to_have_text("1")
    expect(rank_of(page, leader)).to_have_text("2")
    rows = page.locator("table.estimates tbody tr th")
    expect(rows.first).to_contain_text("Photo import")
    assert reloads == []  # swapped in place, no page load
    assert Feature.objects.get(pk=chaser.pk).reach == 5000


def test_zero_effort_is_refused_next_to_the_field(
    page, live_server, login, ranked_features
):
    product, leader, _ = ranked_features
    login(page, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/prioritise/")

    effort = page.get_by_label("Effort of “Style quiz”, person-weeks")
    effort.fill("0")
    page.get_by_role("button", name="Save “Style quiz”").click()

    expect(page.locator(f"#effort-feature-{leader.pk}-error")).to_have_text(
        "Effort must be more than 0 to compute a score."
    )
    expect(page.get_by_label("Effort of “Style quiz”, person-weeks")).to_have_value("0")
    assert Feature.objects.get(pk=leader.pk).effort_weeks == Decimal("1")


def test_a_size_fills_the_effort_before_saving(
    page, live_server, login, ranked_features
):
    product, leader, _ = ranked_features
    login(page, "pm")
    page.goto(f"{live_server.url}/products/{product.slug}/prioritise/")

    page.get_by_label("Size of “Style quiz” (fills the effort)").select_option("l")

    expect(page.get_by_label("Effort of “Style quiz”, person-weeks")).to_have_value("6")
