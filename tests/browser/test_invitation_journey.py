from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.roadmap.factories import RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_admin_invites_a_colleague_who_joins_and_edits_their_product(
    page, browser, login, live_server, settings, mailoutbox
):
    """The admin invites by email from their account page, choosing the
    product the colleague edits; the colleague opens the emailed link in
    their own browser, chooses a username and password, lands signed in,
    and can sign in again later with what they chose."""
    settings.NORTHSTAR_BASE_URL = live_server.url
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    RoadmapFactory(product=ProductFactory(name="Fabrikam Style", slug="fabrikam-style"))
    RoadmapFactory(product=ProductFactory(name="Fabrikam Home", slug="fabrikam-home"))

    login(page, "admin")
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Invite people").click()
    page.get_by_label("Email").fill("dana@example.com")
    page.get_by_label("Fabrikam Style").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        "We emailed this link to dana@example.com"
    )
    expect(page.locator("#invitations-heading + .table-scroll")).to_contain_text(
        "Pending until"
    )

    (message,) = mailoutbox
    link = re.search(r"(http\S+/accounts/join/\S+/)", message.body).group(1)
    colleague = browser.new_context()
    invitee = colleague.new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join Northstar")).to_be_visible()
    expect(invitee.locator("main")).to_contain_text("to edit Fabrikam Style")
    invitee.get_by_label("Username").fill("dana")
    invitee.get_by_label("Password", exact=True).fill("a sunny plan for spring")
    invitee.get_by_label("Password confirmation").fill("a sunny plan for spring")
    invitee.get_by_role("button", name="Create my account").click()

    invitee.wait_for_url(f"{live_server.url}/")
    expect(invitee.get_by_role("status")).to_contain_text("Your account is ready")
    expect(invitee.locator(".who")).to_have_text("dana")
    products = invitee.locator("#product-list")
    expect(products.locator("li", has_text="Fabrikam Style")).to_contain_text(
        "You edit this"
    )
    expect(products.locator("li", has_text="Fabrikam Home")).not_to_contain_text(
        "You edit this"
    )

    # The link is spent; the account signs in with what was chosen.
    invitee.goto(link)
    expect(invitee.get_by_role("heading")).to_have_text(
        "This invitation was already used"
    )
    invitee.locator("form[action='/logout/'] button").click()
    invitee.goto(f"{live_server.url}/login/")
    invitee.fill("#id_username", "dana")
    invitee.fill("#id_password", "a sunny plan for spring")
    invitee.click("main button[type=submit]")
    invitee.wait_for_url(f"{live_server.url}/")
    colleague.close()
