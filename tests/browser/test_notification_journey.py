from __future__ import annotations

import pytest
from playwright.sync_api import expect

from roadmap.models import Notification
from tests.roadmap.factories import FeatureFactory, InsightFactory, RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_seller_hears_that_the_item_they_asked_for_is_in_progress(
    page, browser, login, live_server
):
    """A seller logged a customer request on a Soon feature; the product
    manager moves it to Current on the board; the seller sees the unread
    count in the header and the notification on their notifications page."""
    pm = UserFactory(username="pm")
    seller = UserFactory(username="seller")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style", editors=[pm])
    roadmap = RoadmapFactory(product=product)
    feature = FeatureFactory(roadmap=roadmap, title="Outfit of the day", horizon="soon")
    InsightFactory(
        product=product,
        feature=feature,
        author=seller,
        account="Contoso Retail",
        text="Wants a daily outfit suggestion in the app.",
    )

    # The product manager moves the feature to Current from its card menu.
    login(page, "pm")
    page.goto(f"{live_server.url}/products/fabrikam-style/roadmap/")
    soon = page.locator('[data-cell="feature-soon"]')
    soon.locator(".card-feature", has_text="Outfit of the day").get_by_role(
        "button", name="Move, edit or delete"
    ).click()
    page.get_by_role("menuitem", name="Move to Current").click()
    expect(
        page.locator('[data-cell="feature-current"]').locator(".card-feature")
    ).to_contain_text("Outfit of the day")
    assert Notification.objects.filter(recipient=seller).count() == 1

    # The seller signs in and sees the count, then the notification.
    seller_context = browser.new_context()
    seller_page = seller_context.new_page()
    login(seller_page, "seller")
    notifications_link = seller_page.get_by_role(
        "link", name="Notifications (1 unread)"
    )
    expect(notifications_link).to_be_visible()
    expect(notifications_link.locator(".nav-count")).to_have_text("1")
    notifications_link.click()

    item = seller_page.locator(".notification", has_text="Outfit of the day")
    expect(item).to_contain_text("«Outfit of the day» in Fabrikam Style")
    expect(item).to_contain_text("now in progress")
    expect(item.locator(".notification-new")).to_have_text("New")

    # Marking everything as read clears the count.
    seller_page.get_by_role("button", name="Mark all as read").click()
    expect(seller_page.locator(".notification-new")).to_have_count(0)
    expect(
        seller_page.get_by_role("link", name="Notifications", exact=True)
    ).to_be_visible()
    seller_context.close()
