"""The large board's first paint in a fresh browser: LCP, layout shift, DOM size.

Timings are reported (printed and written to test-artifacts/), not asserted:
the machine is shared. The DOM size and layout shift are asserted, since they
do not depend on how busy the machine is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from roadmap.board import FIRST_PAGE
from tests.strategy.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Reads the paint entries Chromium buffered while the page loaded.
PAINT_FIGURES = """
() => new Promise((resolve) => {
  const figures = {lcp: 0, cls: 0};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) figures.lcp = entry.startTime;
  }).observe({type: "largest-contentful-paint", buffered: true});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!entry.hadRecentInput) figures.cls += entry.value;
    }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => {
    figures.dom = document.getElementsByTagName("*").length;
    figures.cards = document.querySelectorAll("[data-card]").length;
    const nav = performance.getEntriesByType("navigation")[0];
    figures.response_end = nav.responseEnd;
    figures.transfer_bytes = nav.transferSize;
    figures.html_bytes = nav.decodedBodySize;
    resolve(figures);
  }, 200);
})
"""


def test_the_scale_1_board_paints_a_light_first_screen(browser, live_server):
    """1,900 cards: the first paint holds twelve per cell, about 2,300 elements."""
    UserFactory(username="pm")
    call_command(
        "generate_roadmap", "large", "--scale", "1", "--editor", "pm", verbosity=0
    )
    board_url = f"{live_server.url}/products/large/roadmap/"
    runs = {}
    for run in ("cold caches", "warm caches"):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "pm")
        page.fill("#id_password", "correct horse battery staple")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(board_url, wait_until="load")
        runs[run] = page.evaluate(PAINT_FIGURES)
        context.close()

    report = json.dumps(runs, indent=2)
    print(f"\nLarge board first paint (1,900 cards):\n{report}")  # noqa: T201
    artifacts = Path(settings.BASE_DIR) / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "board-paint.json").write_text(report)
    for figures in runs.values():
        assert figures["cards"] == 12 * FIRST_PAGE
        assert figures["dom"] <= 6_000
        assert figures["cls"] == 0


def test_a_cell_loads_its_next_cards_while_they_are_a_screen_away(
    page, live_server, login
):
    """The cards "Show more" adds push down only what is still off screen, so
    the page does not jump under someone scrolling a phone."""
    UserFactory(username="pm")
    call_command(
        "generate_roadmap", "large", "--scale", "1", "--editor", "pm", verbosity=0
    )
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "pm")
    page.goto(f"{live_server.url}/products/large/roadmap/")
    cards = "#cell-outcome-current .card-list > [data-card]"
    assert page.locator(cards).count() == FIRST_PAGE

    # Scroll until the button is half a screen below the window's bottom.
    page.locator("#cell-outcome-current [data-more]").evaluate(
        "button => window.scrollTo(0, button.getBoundingClientRect().top"
        " + window.scrollY - 1.5 * window.innerHeight)"
    )
    page.locator(cards).nth(FIRST_PAGE).wait_for(state="attached")

    first_new_card_top = (
        page.locator(cards)
        .nth(FIRST_PAGE)
        .evaluate("card => card.getBoundingClientRect().top")
    )
    assert first_new_card_top > page.evaluate("window.innerHeight")
