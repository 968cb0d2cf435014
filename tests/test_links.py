"""Every page reachable from the product list answers, for editors and viewers alike."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urldefrag, urlparse

import pytest
from django.contrib.auth import get_user_model

from roadmap.demo import load_demo

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]+)"')
NOT_CRAWLED = ("/admin/", "/logout/", "/static/", "/api/")
PAGE_LIMIT = 150


def internal_links(html: str) -> set[str]:
    links = set()
    for href in HREF.findall(html):
        url, _ = urldefrag(href.replace("&amp;", "&"))
        parsed = urlparse(url)
        if parsed.scheme or parsed.netloc or not url.startswith("/"):
            continue
        if url.startswith(NOT_CRAWLED):
            continue
        links.add(url)
    return links


def crawl(client) -> dict[str, int]:
    statuses: dict[str, int] = {}
    queue = ["/"]
    while queue and len(statuses) < PAGE_LIMIT:
        url = queue.pop(0)
        if url in statuses:
            continue
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            queue.extend(sorted(internal_links(response.text) - statuses.keys()))
    return statuses


@pytest.mark.parametrize("username", ["pm", "stakeholder", "admin"])
def test_no_page_reachable_from_home_is_a_dead_link(client, username):
    load_demo(today=dt.date(2026, 11, 23))
    client.force_login(get_user_model().objects.get(username=username))

    statuses = crawl(client)

    broken = {url: status for url, status in statuses.items() if status >= 400}
    assert len(statuses) > 10
    assert broken == {}


def test_the_crawl_reaches_every_kind_of_page(client):
    load_demo(today=dt.date(2026, 11, 23))
    client.force_login(get_user_model().objects.get(username="pm"))

    statuses = crawl(client)

    paths = "\n".join(statuses)
    for page in [
        "/company/",
        "/roadmap/",
        "/line-of-sight/",
        "/metrics/",
        "/goals/",
        "/key-results/",
    ]:
        assert page in paths, page
