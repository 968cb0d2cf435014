"""Every kind of page works under the strict Content-Security-Policy.

The browser loads each page type (one per template) as the role that sees it,
with the policy the app sends, and fails on any violation: a
`securitypolicyviolation` event or the console's "violates the following
Content Security Policy directive" error. The board, the Soon kit and the
Present page are also used (panel, menu, inline edit, drag and drop, keyboard
move, toast, copy, print), since htmx swaps and scripts can break a policy that
the first paint keeps.

To cover a new page, add one line to PAGES.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.urls import path, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    expect,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from accounts import services as account_services
from accounts.views import locked_out
from config.urls import urlpatterns as site_urlpatterns
from metrics.models import KeyResult, Metric
from roadmap.demo import DEMO_SLUG, DEMO_USERS, load_demo
from roadmap.models import Challenge, Feature, Outcome, Review, Snapshot
from strategy.models import ApiToken, Goal, Theme

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORDS = {user.username: user.password for user in DEMO_USERS}
HTMX_IDLE = "() => !document.querySelector('.htmx-request')"
# Run before any page script: every violation is written to the console, where
# the listener below collects it with the rest.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber} ${event.sample || ""}`);
});
"""


def broken_view(request: Any) -> Any:
    raise RuntimeError("a deliberate failure, to render the server error page")


# The site's URLs plus one that fails, so the 500 page is served as in
# production, and the lockout page as a sign-in that axes refused gets it (the
# tests run with lockouts off).
urlpatterns = [
    path("__fail__/", broken_view),
    path("__locked_out__/", locked_out),
    *site_urlpatterns,
]


@dataclass
class Site:
    """Addresses in the demo product, and secrets only a browser test may know."""

    slug: str
    ids: dict[str, int]
    share_paths: dict[str, str]
    invitation_path: str
    used_invitation_path: str
    reset_path: str

    def product(self, rest: str = "") -> str:
        return f"/products/{self.slug}/{rest}"

    def url(self, name: str, *ids: str) -> str:
        return reverse(name, args=[self.slug, *(self.ids[key] for key in ids)])


@dataclass(frozen=True)
class Visit:
    label: str
    role: str  # a demo username, or "anonymous"
    address: Callable[[Site], str]
    status: int = 200


PAGES: list[Visit] = [
    # Without an account
    Visit("sign in", "anonymous", lambda s: reverse("login")),
    Visit("password reset", "anonymous", lambda s: reverse("password_reset")),
    Visit("password reset sent", "anonymous", lambda s: reverse("password_reset_done")),
    Visit("password reset link", "anonymous", lambda s: s.reset_path),
    Visit("invitation", "anonymous", lambda s: s.invitation_path),
    Visit("used invitation", "anonymous", lambda s: s.used_invitation_path, 410),
    Visit("share page, internal", "anonymous", lambda s: s.share_paths["Internal"]),
    Visit(
        "share page, customer-safe",
        "anonymous",
        lambda s: s.share_paths["Customer-safe"],
    ),
    Visit("unknown share link", "anonymous", lambda s: "/s/no-such-link/", 404),
    Visit("admin sign in", "anonymous", lambda s: reverse("admin:login")),
    Visit("not found", "anonymous", lambda s: "/no-such-page/", 404),
    Visit("server error", "anonymous", lambda s: "/__fail__/", 500),
    Visit("locked out", "anonymous", lambda s: "/__locked_out__/", 429),
    # A product's readers
    Visit("product list", "stakeholder", lambda s: reverse("strategy:home")),
    Visit("company", "stakeholder", lambda s: reverse("strategy:company")),
    Visit(
        "product overview", "stakeholder", lambda s: s.url("strategy:product_detail")
    ),
    Visit("vision board", "stakeholder", lambda s: s.url("strategy:vision_board")),
    Visit("theme", "stakeholder", lambda s: s.url("strategy:theme_detail", "theme")),
    Visit("goal", "stakeholder", lambda s: s.url("strategy:goal_detail", "goal")),
    Visit("board", "stakeholder", lambda s: s.url("roadmap:board")),
    Visit(
        "card page",
        "stakeholder",
        lambda s: reverse(
            "roadmap:card_detail", args=[s.slug, "outcome", s.ids["outcome"]]
        ),
    ),
    Visit(
        "outcome panel page",
        "stakeholder",
        lambda s: s.url("roadmap:outcome_panel", "outcome"),
    ),
    Visit("line of sight", "stakeholder", lambda s: s.url("roadmap:line_of_sight")),
    Visit("present", "stakeholder", lambda s: s.url("roadmap:present")),
    Visit("history", "stakeholder", lambda s: s.url("roadmap:history")),
    Visit("metrics", "stakeholder", lambda s: s.url("metrics:metric_list")),
    Visit("metric", "stakeholder", lambda s: s.url("metrics:metric_detail", "metric")),
    Visit(
        "key result",
        "stakeholder",
        lambda s: s.url("metrics:keyresult_detail", "key_result"),
    ),
    Visit("forbidden", "stakeholder", lambda s: s.url("strategy:goal_create"), 403),
    Visit("your account", "stakeholder", lambda s: reverse("accounts:account")),
    Visit("password change", "stakeholder", lambda s: reverse("password_change")),
    # Sales and support
    Visit("Soon kit of the product", "sales", lambda s: s.url("roadmap:soon")),
    Visit("Soon kit of every product", "sales", lambda s: reverse("soon:all")),
    Visit(
        "customer request form",
        "sales",
        lambda s: reverse(
            "roadmap:customer_request", args=[s.slug, "outcome", s.ids["outcome"]]
        ),
    ),
    Visit(
        "notifications",
        "sales",
        lambda s: reverse("notifications:notification_list"),
    ),
    # The product's editor
    Visit("guided start", "pm", lambda s: s.url("roadmap:guided_start")),
    Visit("deleted cards", "pm", lambda s: s.url("roadmap:deleted_cards")),
    Visit("vision board form", "pm", lambda s: s.url("strategy:vision_board_edit")),
    Visit("theme form", "pm", lambda s: s.url("strategy:theme_edit", "theme")),
    Visit("goal form", "pm", lambda s: s.url("strategy:goal_edit", "goal")),
    Visit("metric form", "pm", lambda s: s.url("metrics:metric_edit", "metric")),
    Visit(
        "key result form",
        "pm",
        lambda s: s.url("metrics:keyresult_edit", "key_result"),
    ),
    Visit("measurement import", "pm", lambda s: s.url("metrics:measurement_import")),
    Visit("API tokens", "pm", lambda s: s.url("metrics:token_list")),
    Visit("share links", "pm", lambda s: s.url("roadmap:share_links")),
    Visit("plan import", "pm", lambda s: s.url("roadmap:plan_import")),
    Visit("API reference", "pm", lambda s: "/api/v1/docs"),
    Visit("snapshots", "pm", lambda s: s.url("roadmap:snapshots")),
    Visit(
        "a snapshot as it was",
        "stakeholder",
        lambda s: s.url("roadmap:snapshot", "snapshot"),
    ),
    Visit("compare with now", "stakeholder", lambda s: s.url("roadmap:compare_latest")),
    Visit(
        "digest",
        "stakeholder",
        lambda s: s.product(f"compare/digest/?from={s.ids['snapshot']}&to=now"),
    ),
    Visit("done archive", "stakeholder", lambda s: s.url("roadmap:done")),
    Visit("reviews", "stakeholder", lambda s: s.url("roadmap:review_list")),
    Visit("a review", "pm", lambda s: s.url("roadmap:review_detail", "review")),
    Visit("prioritise", "pm", lambda s: s.url("roadmap:prioritise")),
    Visit("prioritise outcomes", "pm", lambda s: s.product("prioritise/?tab=outcomes")),
    Visit(
        "released feature",
        "pm",
        lambda s: s.url("roadmap:feature_release", "released_feature"),
    ),
    Visit("teams", "pm", lambda s: s.url("roadmap:teams")),
    Visit("dependencies", "stakeholder", lambda s: s.url("roadmap:dependencies")),
    Visit("assumption", "pm", lambda s: s.url("roadmap:assumption", "assumption")),
    Visit(
        "product access",
        "pm",
        lambda s: reverse("strategy:product_access", args=[s.slug]),
    ),
    # The installation admin
    Visit("new product", "admin", lambda s: reverse("strategy:product_create")),
    Visit("product settings", "admin", lambda s: s.url("strategy:product_settings")),
    Visit("company form", "admin", lambda s: reverse("strategy:company_edit")),
    Visit("invitations", "admin", lambda s: reverse("accounts:invitation_list")),
    Visit("security log", "admin", lambda s: reverse("accounts:security_log")),
    Visit("admin", "admin", lambda s: reverse("admin:index")),
    Visit(
        "admin change form",
        "admin",
        lambda s: reverse("admin:strategy_product_change", args=[s.ids["product"]]),
    ),
]


@dataclass
class Watch:
    """One role's browser tab, and every policy violation it reported."""

    page: Page
    base_url: str
    role: str
    violations: list[str] = field(default_factory=list)

    def note(self, message: ConsoleMessage) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            where = self.page.url.removeprefix(self.base_url)
            self.violations.append(f"[{self.role}] {where}: {text}")

    def visit(self, label: str, address: str, status: int = 200) -> None:
        response = self.page.goto(f"{self.base_url}{address}")
        assert response is not None
        assert response.status == status, (
            f"{label} ({address}) answered {response.status}"
        )
        if address.startswith("/api/"):
            assert "default-src 'self'" in response.headers["content-security-policy"]
        settle(self.page)


def settle(page: Page) -> None:
    page.wait_for_load_state("load")
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(HTMX_IDLE, timeout=5_000)


def reset_path(username: str) -> str:
    user = User.objects.get(username=username)
    return reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )


@pytest.fixture
def site(settings: Any) -> Site:
    settings.ROOT_URLCONF = __name__
    result = load_demo(today=timezone.localdate())
    product = result.product
    assert product.slug == DEMO_SLUG
    admin = User.objects.get(username="admin")
    _, secret = account_services.invitation_create(
        email="dana@example.com", products=[product], created_by=admin
    )
    used, used_secret = account_services.invitation_create(
        email="erin@example.com", products=[product], created_by=admin
    )
    account_services.invitation_revoke(invitation=used)
    return Site(
        slug=product.slug,
        ids={
            "product": product.pk,
            "theme": Theme.objects.filter(product=product).order_by("pk")[0].pk,
            "goal": Goal.objects.filter(product=product).order_by("pk")[0].pk,
            "metric": Metric.objects.filter(product=product).order_by("pk")[0].pk,
            "key_result": KeyResult.objects.filter(metric__product=product)
            .order_by("pk")[0]
            .pk,
            "outcome": Outcome.objects.filter(roadmap__product=product, horizon="soon")
            .order_by("pk")[0]
            .pk,
            "challenge": Challenge.objects.filter(roadmap__product=product)
            .order_by("pk")[0]
            .pk,
            "snapshot": Snapshot.objects.filter(product=product)
            .order_by("taken_at")[0]
            .pk,
            "review": Review.objects.filter(roadmap__product=product)
            .order_by("pk")[0]
            .pk,
            "released_feature": Feature.objects.filter(
                roadmap__product=product, released_on__isnull=False
            )
            .order_by("pk")[0]
            .pk,
            "assumption": Challenge.objects.filter(
                roadmap__product=product, is_assumption=True
            )
            .order_by("pk")[0]
            .pk,
        },
        share_paths={
            share.link.get_scope_display(): reverse("share_page", args=[share.secret])
            for share in result.shares
        },
        invitation_path=reverse("accounts:invitation_accept", args=[secret]),
        used_invitation_path=reverse("accounts:invitation_accept", args=[used_secret]),
        reset_path=reset_path("support"),
    )


@pytest.fixture
def watch(browser: Browser, live_server: Any) -> Iterator[Callable[[str], Watch]]:
    contexts: list[BrowserContext] = []

    def start(role: str) -> Watch:
        # Tall enough that a drag's source and target are both in view: a
        # scroll between pressing and moving would pick up another card.
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        contexts.append(context)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        watcher = Watch(page=page, base_url=live_server.url, role=role)
        page.on("console", watcher.note)
        if role != "anonymous":
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", role)
            page.fill("#id_password", PASSWORDS[role])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
        return watcher

    yield start
    for context in contexts:
        context.close()


def assert_no_violations(*watchers: Watch) -> None:
    violations = [line for watcher in watchers for line in watcher.violations]
    if violations:
        pytest.fail(
            f"{len(violations)} Content-Security-Policy violation(s):\n"
            + "\n".join(violations),
            pytrace=False,
        )


def test_every_page_type_loads_without_a_policy_violation(
    watch: Callable[[str], Watch], site: Site
) -> None:
    watchers: dict[str, Watch] = {}
    for visit in PAGES:
        if visit.role not in watchers:
            watchers[visit.role] = watch(visit.role)
        watchers[visit.role].visit(visit.label, visit.address(site), visit.status)

    htmx = watchers["pm"]
    htmx.visit("board", site.url("roadmap:board"))
    config = htmx.page.evaluate(
        "({eval: htmx.config.allowEval, scripts: htmx.config.allowScriptTags,"
        " styles: htmx.config.includeIndicatorStyles})"
    )
    assert config == {"eval": False, "scripts": False, "styles": False}
    assert_no_violations(*watchers.values())


def cell(page: Page, kind: str, horizon: str) -> Any:
    return page.locator(f'[data-cell="{kind}-{horizon}"]')


def test_the_board_works_under_the_policy(
    watch: Callable[[str], Watch], site: Site
) -> None:
    """Panel, menu, inline edit, drag and drop, a keyboard move and a toast."""
    pm = watch("pm")
    page = pm.page
    pm.visit("board", site.url("roadmap:board"))

    page.locator(".card-outcome .card-goal").first.click()
    expect(page.locator("#side-panel .panel-inner")).to_be_visible()
    settle(page)
    page.locator("[data-close-panel]").click()

    first = cell(page, "challenge", "current").locator(".card").first
    challenge = Challenge.objects.get(pk=first.get_attribute("data-id"))
    target = "future"
    card = page.locator(f'[data-kind="challenge"][data-id="{challenge.pk}"]')
    # From the card's corner: its middle holds a link, which drags as a link.
    card.drag_to(cell(page, "challenge", target), source_position={"x": 6, "y": 6})
    expect(cell(page, "challenge", target)).to_contain_text(challenge.title)

    card.focus()
    page.keyboard.press("Alt+ArrowLeft")
    expect(cell(page, "challenge", "soon")).to_contain_text(challenge.title)

    card.locator(".card-title").click()
    title = page.locator("form.edit-form").get_by_label("Title")
    title.fill("Size advice feels like a guess")
    title.press("Enter")
    expect(card).to_contain_text("Size advice feels like a guess")

    card.locator("[data-action=menu]").click()
    page.get_by_role("menuitem", name="Delete").click()
    expect(card).to_have_count(0)
    page.locator(".toast").get_by_role("button", name="Undo").click()
    expect(cell(page, "challenge", "soon")).to_contain_text(
        "Size advice feels like a guess"
    )

    page.keyboard.press("Escape")
    page.locator("[data-open-keys]").click()
    expect(page.locator("#board-keys")).to_be_visible()
    settle(page)
    assert_no_violations(pm)


def test_copy_and_print_work_under_the_policy(
    watch: Callable[[str], Watch], site: Site
) -> None:
    sales = watch("sales")
    sales.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sales.visit("Soon kit", site.url("roadmap:soon"))
    copy = sales.page.get_by_role("button", name="Copy").first
    copy.click()
    expect(copy).to_have_text("Copied")
    assert sales.page.evaluate("navigator.clipboard.readText()").startswith("Coming")

    stakeholder = watch("stakeholder")
    page = stakeholder.page
    page.add_init_script(
        "window.print = () => { window.printed = (window.printed || 0) + 1; };"
    )
    stakeholder.visit("present", site.url("roadmap:present"))
    page.get_by_role("button", name="Print or save as PDF").click()
    assert page.evaluate("window.printed") == 1
    stakeholder.visit("customer share page", site.share_paths["Customer-safe"])
    page.get_by_role("button", name="Print or save as PDF").click()
    assert page.evaluate("window.printed") == 1

    pm = watch("pm")
    pm.visit("API tokens", site.url("metrics:token_list"))
    pm.page.get_by_label("What will use it?").fill("Warehouse sync")
    pm.page.get_by_role("button", name="Create token").click()
    secret = pm.page.locator("#token-secret")
    secret.focus()
    assert secret.evaluate(
        "(field) => field.selectionEnd - field.selectionStart"
    ) == len(secret.input_value())
    asked: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    pm.page.once("dialog", dismiss)
    row = pm.page.get_by_role("row").filter(has_text="Warehouse sync")
    row.get_by_role("button", name="Revoke").click()
    expect(row.get_by_role("button", name="Revoke")).to_be_visible()
    assert asked == ["Revoke Warehouse sync? Tools using it will stop working."]
    assert ApiToken.objects.get(name="Warehouse sync").is_active
    assert_no_violations(sales, stakeholder, pm)
