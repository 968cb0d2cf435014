from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.roadmap.factories import RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_viewer_signs_in_and_finds_the_products(page, login):
    UserFactory(username="stakeholder")
    RoadmapFactory(product=ProductFactory(name="Fabrikam Style"))

    login(page, "stakeholder")

    expect(page.locator("#product-list")).to_contain_text("Fabrikam Style")
