"""A key result before its start date says "Not started" everywhere it shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import KeyResult
from roadmap.models import ShareLink
from strategy.models import ApiToken
from tests.metrics.factories import KeyResultFactory, MeasurementFactory
from tests.roadmap.factories import OutcomeFactory, SuccessMetricFactory
from tests.strategy.factories import GoalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def future_key_result(product) -> KeyResult:
    """49% of the way already, but its period starts next month."""
    today = timezone.localdate()
    goal = GoalFactory(product=product, title="Grow the wardrobe")
    key_result = KeyResultFactory(
        metric__product=product,
        metric__name="Saved outfits",
        goal=goal,
        baseline=Decimal(100),
        target=Decimal(300),
        start_date=today + dt.timedelta(days=30),
        due_date=today + dt.timedelta(days=365),
    )
    MeasurementFactory(metric=key_result.metric, date=today, value=Decimal(198))
    outcome = OutcomeFactory(roadmap=product.roadmap, goal=goal, title="Dress faster")
    SuccessMetricFactory(
        roadmap=product.roadmap, outcome=outcome, key_result=key_result
    )
    return key_result


def _assert_not_started(html: str) -> None:
    assert "Not started" in html
    assert "On track" not in html
    assert "expected by now" not in html
    assert "by today" not in html


def test_the_board_card_says_not_started(editor_client, product, future_key_result):
    response = editor_client.get(reverse("roadmap:board", args=[product.slug]))

    html = response.content.decode()
    _assert_not_started(html)
    assert "49% of the way" in html


def test_the_key_result_page_says_not_started(
    editor_client, product, future_key_result
):
    url = reverse("metrics:keyresult_detail", args=[product.slug, future_key_result.pk])

    html = editor_client.get(url).content.decode()

    _assert_not_started(html)
    assert "progress-expected" not in html


def test_the_goal_page_says_not_started(editor_client, product, future_key_result):
    url = reverse(
        "strategy:goal_detail", args=[product.slug, future_key_result.goal_id]
    )

    html = editor_client.get(url).content.decode()

    _assert_not_started(html)
    assert 'class="expected"' not in html


def test_the_overview_and_metrics_pages_say_not_started(
    editor_client, product, future_key_result
):
    for name in ("strategy:product_detail", "metrics:metric_list"):
        html = editor_client.get(reverse(name, args=[product.slug])).content.decode()

        _assert_not_started(html)


def test_the_present_and_share_pages_say_not_started(
    client, editor_client, product, future_key_result
):
    present = editor_client.get(reverse("roadmap:present", args=[product.slug]))
    _, secret = ShareLink.issue(product=product, label="Board")
    client.logout()
    share = client.get(reverse("share_page", args=[secret]))

    _assert_not_started(present.content.decode())
    _assert_not_started(share.content.decode())


def test_the_api_says_not_started_with_nothing_expected(
    client, product, future_key_result
):
    _, secret = ApiToken.issue(
        product=product, name="Warehouse", created_by=product.editors.get()
    )

    body = client.get(
        f"/api/v1/key-results/{future_key_result.pk}",
        headers={"Authorization": f"Bearer {secret}"},
    ).json()

    assert body["status"] == "not_started"
    assert body["expected"] is None
    assert body["progress"] == pytest.approx(0.49)
