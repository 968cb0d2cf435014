from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from metrics.models import Measurement
from strategy.models import ApiToken
from tests.metrics.factories import CheckInFactory, KeyResultFactory, MetricFactory
from tests.roadmap.factories import OutcomeFactory, RoadmapFactory, SuccessMetricFactory
from tests.strategy.factories import GoalFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SHOTS = Path(os.environ.get("NORTHSTAR_SHOTS", "/tmp/shots-metrics"))


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def fabrikam():
    editor = UserFactory(username="pm", first_name="Priya")
    product = ProductFactory(
        name="Fabrikam Style", slug="fabrikam-style", editors=[editor]
    )
    roadmap = RoadmapFactory(product=product)
    today = timezone.localdate()
    wau = MetricFactory(product=product, name="Weekly active users", unit="users")
    returns = MetricFactory(
        product=product, name="Return rate", unit="%", direction="down"
    )
    MetricFactory(product=product, name="NPS", unit="")
    start = today - dt.timedelta(days=7 * 20)
    Measurement.objects.bulk_create(
        [
            Measurement(
                metric=wau,
                date=start + dt.timedelta(days=7 * i),
                value=Decimal(1200 + i * 22 + (i % 3) * 15),
            )
            for i in range(20)
        ]
        + [
            Measurement(
                metric=returns,
                date=start + dt.timedelta(days=7 * i),
                value=Decimal(28) - Decimal(i) / 4,
            )
            for i in range(20)
        ]
    )
    goal = GoalFactory(product=product, title="Grow a loyal customer base")
    kr = KeyResultFactory(
        metric=wau,
        goal=goal,
        baseline=1200,
        target=2000,
        start_date=start,
        due_date=today + dt.timedelta(days=120),
    )
    KeyResultFactory(
        metric=returns,
        goal=goal,
        baseline=28,
        target=20,
        start_date=start,
        due_date=today + dt.timedelta(days=60),
    )
    outcome = OutcomeFactory(roadmap=roadmap, title="Shoppers come back every week")
    SuccessMetricFactory(roadmap=roadmap, key_result=kr, outcome=outcome)
    CheckInFactory(
        key_result=kr,
        date=today - dt.timedelta(days=14),
        confidence="medium",
        what_happened="Weekly outfit email lifted returning visits.",
        next_steps="Test a second send on Fridays.",
        author=editor,
    )
    ApiToken.issue(product=product, name="Analytics warehouse", created_by=editor)
    return {"product": product, "wau": wau, "kr": kr, "today": today}


def test_an_editor_tracks_a_metric_and_checks_in(page, live_server, login, fabrikam):
    login(page, "pm")
    base = f"{live_server.url}/products/fabrikam-style/metrics"

    for width, suffix in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/")
        expect(page.locator("#metric-grid")).to_contain_text("Weekly active users")
        shoot(page, f"metric-list-{suffix}")
        page.goto(f"{base}/{fabrikam['wau'].pk}/")
        shoot(page, f"metric-detail-{suffix}")
        page.goto(f"{base}/key-results/{fabrikam['kr'].pk}/")
        shoot(page, f"keyresult-{suffix}")
        page.goto(f"{base}/tokens/")
        shoot(page, f"tokens-{suffix}")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{base}/{fabrikam['wau'].pk}/")
    page.fill("#new-date", fabrikam["today"].isoformat())
    page.fill("#new-value", "1777")
    page.fill("#new-note", "Spring campaign")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#measurement-rows")).to_contain_text("Spring campaign")
    expect(page.locator(".chart-head .metric-latest")).to_have_text("1,777 users")

    page.goto(f"{base}/key-results/{fabrikam['kr'].pk}/")
    page.get_by_text("Record a check-in").click()
    page.select_option("#id_confidence", "high")
    page.fill("#id_what_happened", "Campaign beat the forecast.")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator("#checkins .timeline")).to_contain_text(
        "Campaign beat the forecast."
    )
    shoot(page, "keyresult-after-checkin")

    page.goto(f"{base}/import/")
    page.fill(
        "#id_text",
        "metric,date,value,note\n"
        f"Weekly active users,{fabrikam['today'].isoformat()},1790,corrected\n"
        "Return rate,2026-01-05,23.5,\n"
        "Churn,2026-01-05,3,\n"
        "NPS,5 Jan 2026,forty,\n",
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".import-preview")).to_contain_text("Unknown metric")
    shoot(page, "import-preview-desktop")
    page.set_viewport_size({"width": 390, "height": 900})
    shoot(page, "import-preview-phone")
