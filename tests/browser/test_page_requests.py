"""Every page the link crawler reaches loads all it asks for, without errors.

In a real browser, as an editor and as a viewer: no stylesheet, script, icon
or htmx request answers 4xx/5xx, none fails, and the console logs no error.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from roadmap.demo import DEMO_USERS, load_demo
from tests.test_links import crawl

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORDS = {user.username: user.password for user in DEMO_USERS}

# Counts the page's fetch and XMLHttpRequest calls (htmx sends the latter)
# still awaiting an answer, so that the check waits until every one has come
# back rather than for a fixed time. A request started while another one's
# answer is handled (htmx loading what it just swapped in) is counted before
# that answer's count drops, so the count never reads zero too early.
COUNT_REQUESTS = """
(() => {
  let pending = 0;
  Object.defineProperty(window, "__pendingRequests", { get: () => pending });
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    pending += 1;
    this.addEventListener("loadend", () => { pending -= 1; }, { once: true });
    return send.apply(this, args);
  };
  const fetch = window.fetch;
  window.fetch = function (...args) {
    pending += 1;
    return fetch.apply(this, args).finally(() => { pending -= 1; });
  };
})();
"""
SETTLED = "() => document.readyState === 'complete' && window.__pendingRequests === 0"
ICONS = "links => links.map(link => link.href)"


def record_problems(page) -> list[str]:
    """Collect every failed sub-request and console error the page reports."""
    problems: list[str] = []

    def on_response(response) -> None:
        if response.status >= 400:
            problems.append(
                f"{response.status} {response.request.method} {response.url}"
            )

    def on_request_failed(request) -> None:
        # Leaving a page aborts what it still loads, such as a board poll.
        if request.failure != "net::ERR_ABORTED":
            problems.append(f"failed {request.method} {request.url}: {request.failure}")

    def on_console(message) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            problems.append(f"console error: {message.text} {where}".rstrip())

    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    return problems


@pytest.mark.parametrize("username", ["pm", "stakeholder"])
def test_every_crawled_page_loads_all_it_asks_for_without_console_errors(
    page, live_server, login, client, username
):
    load_demo(today=dt.date(2026, 11, 23))
    client.force_login(get_user_model().objects.get(username=username))
    pages = sorted(url for url, status in crawl(client).items() if status == 200)
    page.add_init_script(COUNT_REQUESTS)
    problems = record_problems(page)
    login(page, username, PASSWORDS[username])

    found: dict[str, list[str]] = {"/login/": problems[:]} if problems else {}
    icons: dict[str, int] = {}
    for url in pages:
        seen = len(problems)
        page.goto(f"{live_server.url}{url}")
        page.wait_for_function(SETTLED)
        # The browser fetches icons on its own, out of the page's sight.
        for icon in page.eval_on_selector_all("link[rel~=icon]", ICONS):
            if icon not in icons:
                icons[icon] = page.request.get(icon).status
                if icons[icon] >= 400:
                    problems.append(f"{icons[icon]} GET {icon}")
        if problems[seen:]:
            found[url] = problems[seen:]

    assert len(pages) > 10
    assert icons
    assert found == {}
