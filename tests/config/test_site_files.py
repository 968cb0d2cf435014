"""robots.txt, the favicon, and HEAD on the pages people read."""

from __future__ import annotations

import pytest
from django.template import loader
from django.urls import reverse

from tests.metrics.factories import KeyResultFactory, MetricFactory
from tests.strategy.factories import GoalFactory

pytestmark = pytest.mark.django_db


def test_robots_txt_lets_crawlers_reach_share_pages_only(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == ("User-agent: *\nAllow: /s/\nDisallow: /\n")


def test_robots_txt_allows_the_paths_settings_name(client, settings):
    settings.NORTHSTAR_ROBOTS_ALLOW = ["/s/", "/soon/"]

    lines = client.get("/robots.txt").content.decode().splitlines()

    assert lines == ["User-agent: *", "Allow: /s/", "Allow: /soon/", "Disallow: /"]


def test_robots_txt_disallows_everything_when_settings_allow_nothing(client, settings):
    settings.NORTHSTAR_ROBOTS_ALLOW = []

    lines = client.get("/robots.txt").content.decode().splitlines()

    assert lines == ["User-agent: *", "Disallow: /"]


def test_robots_txt_answers_head_and_refuses_a_post(client):
    assert client.head("/robots.txt").status_code == 200
    assert client.post("/robots.txt").status_code == 405


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"].endswith("favicon.svg")


def test_head_on_the_home_page_and_sign_in_answer_like_get(client):
    """HEAD / used to answer 405: the view took GET only, before sign-in."""
    anonymous = client.head("/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert client.head(reverse("login")).status_code == 200


def test_head_answers_200_on_the_pages_people_read(viewer_client, product):
    goal = GoalFactory(product=product)
    metric = MetricFactory(product=product)
    key_result = KeyResultFactory(metric=metric, goal=goal)
    slug = product.slug
    paths = [
        "/",
        "/company/",
        f"/products/{slug}/",
        f"/products/{slug}/vision/",
        f"/products/{slug}/goals/{goal.pk}/",
        f"/products/{slug}/roadmap/",
        f"/products/{slug}/line-of-sight/",
        f"/products/{slug}/present/",
        f"/products/{slug}/soon/",
        f"/products/{slug}/metrics/",
        f"/products/{slug}/metrics/{metric.pk}/",
        f"/products/{slug}/metrics/key-results/{key_result.pk}/",
        "/soon/",
        "/notifications/",
    ]
    for path in paths:
        get = viewer_client.get(path)
        head = viewer_client.head(path)
        assert (path, head.status_code) == (path, 200)
        assert head.content == b""
        assert head["Content-Type"] == get["Content-Type"]


def test_the_server_error_page_names_its_icon_and_describes_itself():
    html = loader.render_to_string("500.html")

    assert '<link rel="icon" href="/static/favicon.svg"' in html
    assert '<meta name="description" content="Something went wrong' in html
