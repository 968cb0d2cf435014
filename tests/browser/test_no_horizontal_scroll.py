"""No page scrolls sideways on a 360 px wide phone.

Every page type is opened at 360x740 with the demo's realistic data and the
document must be no wider than the window. Wide content (the board's grid, a
chart, a table) may scroll inside its own container, never the page: the
board's grid in particular scrolls sideways within itself by design, and this
test only asks that the page around it does not.
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.models import KeyResult, Metric
from roadmap.demo import load_demo
from roadmap.models import Feature, Snapshot
from strategy.models import Goal, Theme

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 360, "height": 740}
OVERFLOW = "[document.documentElement.scrollWidth, window.innerWidth]"


def page_urls(slug: str, share_secret: str) -> dict[str, str]:
    product = f"/products/{slug}"
    theme = Theme.objects.filter(product__slug=slug).first()
    goal = Goal.objects.filter(product__slug=slug).first()
    metric = Metric.objects.filter(product__slug=slug).first()
    key_result = KeyResult.objects.filter(metric__product__slug=slug).first()
    snapshot = Snapshot.objects.filter(product__slug=slug).order_by("taken_at").first()
    released = Feature.objects.filter(
        roadmap__product__slug=slug, released_on__isnull=False
    ).first()
    assert released is not None
    assert theme is not None
    assert goal is not None
    assert metric is not None
    assert key_result is not None
    assert snapshot is not None
    return {
        "board": f"{product}/roadmap/",
        "overview": f"{product}/",
        "vision": f"{product}/vision/",
        "theme": f"{product}/themes/{theme.pk}/",
        "goal": f"{product}/goals/{goal.pk}/",
        "metrics list": f"{product}/metrics/",
        "metric detail": f"{product}/metrics/{metric.pk}/",
        "key result": f"{product}/metrics/key-results/{key_result.pk}/",
        "import": f"{product}/metrics/import/",
        "tokens": f"{product}/metrics/tokens/",
        "line of sight": f"{product}/line-of-sight/",
        "prioritise": f"{product}/prioritise/",
        "prioritise outcomes": f"{product}/prioritise/?tab=outcome",
        "released feature": f"{product}/roadmap/feature/{released.pk}/release/",
        "teams": f"{product}/teams/",
        "dependencies": f"{product}/dependencies/",
        "present": f"{product}/present/",
        "share management": f"{product}/share/",
        "Soon kit": f"{product}/soon/",
        "share page": f"/s/{share_secret}/",
        "snapshots": f"{product}/snapshots/",
        "a snapshot": f"{product}/snapshots/{snapshot.pk}/",
        "compare": f"{product}/compare/?from={snapshot.pk}&to=now",
        "digest": f"{product}/compare/digest/?from={snapshot.pk}&to=now",
    }


def test_no_page_scrolls_sideways_at_360_px(browser, live_server):
    demo = load_demo(today=dt.date(2026, 11, 23))
    urls = page_urls(demo.product.slug, demo.shares[0].secret)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()

    wide = {}
    page.goto(f"{live_server.url}/login/")
    width, window = page.evaluate(OVERFLOW)
    if width > window:
        wide["login"] = width
    page.fill("#id_username", "pm")
    page.fill("#id_password", "northstar-pm")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for name, url in urls.items():
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None
        assert response.status == 200, (name, url, response.status)
        width, window = page.evaluate(OVERFLOW)
        if width > window:
            wide[name] = width

    assert wide == {}, f"pages wider than {PHONE['width']} px: {wide}"
    context.close()
