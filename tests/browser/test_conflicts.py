"""Two people editing the same thing: the second save shows both versions.

htmx swaps no 4xx answer by default; these journeys prove that each page's
409 conflict view reaches the person instead of being dropped.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from metrics.models import Measurement
from roadmap.models import Challenge
from strategy.models import Product
from tests.metrics.factories import MeasurementFactory, MetricFactory
from tests.roadmap.factories import ChallengeFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def product():
    pm = UserFactory(username="pm")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    RoadmapFactory(product=product)
    return product


def test_a_board_card_saved_meanwhile_shows_both_versions(
    page, live_server, login, product
):
    challenge = ChallengeFactory(roadmap=product.roadmap, title="Cold start")
    login(page, "pm")
    page.goto(f"{live_server.url}/products/fabrikam-style/roadmap/")
    page.locator(".card-challenge .card-title").click()
    expect(page.locator("form.edit-form")).to_be_visible()
    Challenge.objects.filter(pk=challenge.pk).update(title="Cold start risk", version=2)

    title = page.locator("form.edit-form").get_by_label("Title")
    title.fill("Cold start for new users")
    title.press("Enter")

    conflict = page.locator(".card-conflict")
    expect(conflict).to_contain_text("Someone else saved this card")
    expect(conflict).to_contain_text("Cold start risk")
    expect(conflict).to_contain_text("Cold start for new users")


def test_a_vision_saved_meanwhile_shows_both_versions(
    page, live_server, login, product
):
    login(page, "pm")
    page.goto(f"{live_server.url}/products/fabrikam-style/")
    page.get_by_role("button", name="Edit", exact=True).first.click()
    expect(page.locator("#id_vision_statement")).to_be_visible()
    Product.objects.filter(pk=product.pk).update(vision_statement="Theirs", version=2)

    page.fill("#id_vision_statement", "Mine")
    page.get_by_role("button", name="Save").click()

    expect(
        page.get_by_text(
            "Someone else saved this vision board while you were editing it."
        )
    ).to_be_visible()
    expect(page.locator("body")).to_contain_text("Theirs")
    assert Product.objects.get(pk=product.pk).vision_statement == "Theirs"


def test_a_measurement_changed_meanwhile_shows_the_conflict(
    page, live_server, login, product
):
    metric = MetricFactory(product=product, name="weekly signups")
    measurement = MeasurementFactory(
        metric=metric, date=dt.date(2026, 11, 2), value=100
    )
    login(page, "pm")
    page.goto(f"{live_server.url}/products/fabrikam-style/metrics/{metric.pk}/")
    page.locator("#metric-data").get_by_role("button", name="Edit").first.click()
    expect(page.locator("#metric-data input[id^=edit-value]")).to_be_visible()
    Measurement.objects.filter(pk=measurement.pk).update(
        value=Decimal(120), version=measurement.version + 1
    )

    page.locator("#metric-data input[id^=edit-value]").fill("130")
    page.locator("#metric-data").get_by_role("button", name="Save").click()

    expect(
        page.get_by_text(
            "Someone else saved this measurement while you were editing it."
        )
    ).to_be_visible()
    assert Measurement.objects.get(pk=measurement.pk).value == Decimal(120)
