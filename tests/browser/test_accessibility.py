"""axe-core on every page the app renders, for every role, on a desktop and a phone.

Each test loads the demo product, signs one role in (or none, for share links
and the sign-in page) in a browser context of one viewport, walks that role's
pages and fails with every violation listed: the rule, where it is and why.
The rules are WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best
practices.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from metrics.models import KeyResult, Metric
from roadmap.demo import DEMO_SLUG, DEMO_USERS, load_demo
from roadmap.models import Challenge, Feature, Outcome, Review, Snapshot
from strategy.models import Goal, Theme

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

AXE_TAGS = [
    "wcag2a",
    "wcag2aa",
    "wcag21a",
    "wcag21aa",
    "wcag22aa",
    "best-practice",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": AXE_TAGS},
    # Tagged wcag21a but still experimental in axe, so off unless asked for:
    # a control's accessible name must contain its visible words (2.5.3).
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}

# Pages left out of the walk, with the reason.
EXCLUDED = {
    "/api/v1/docs": (
        "the API reference is the third-party Swagger UI that django-ninja "
        "serves; its markup is not ours to change"
    ),
}

FINISHED_ANIMATING = """() => document.getAnimations().every(
    (animation) => animation.playState !== "running"
        || animation.effect.getTiming().iterations === Infinity
)"""
HTMX_IDLE = "() => !document.querySelector('.htmx-request')"
PASSWORDS = {user.username: user.password for user in DEMO_USERS}
axe = Axe()


@dataclass
class Walk:
    """One role's walk through the site in one viewport, and what axe found."""

    page: Page
    base_url: str
    viewport: str
    role: str
    problems: list[str] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def check(self, label: str) -> None:
        """Run axe on the page as it is now and note every violation."""
        # Colours are read mid-fade otherwise (a toast sliding in).
        with contextlib.suppress(PlaywrightTimeoutError):
            self.page.wait_for_function(FINISHED_ANIMATING, timeout=2_000)
        results = axe.run(self.page, options=AXE_OPTIONS).response
        for violation in results["violations"]:
            self.counts[(label, violation["id"])] += len(violation["nodes"])
            for node in violation["nodes"]:
                target = " ".join(
                    part if isinstance(part, str) else " >> ".join(part)
                    for part in node["target"]
                )
                summary = " ".join(
                    line.strip()
                    for line in (node.get("failureSummary") or "").splitlines()
                    if line.strip()
                )
                self.problems.append(
                    f"[{self.role} · {self.viewport}] {label} "
                    f"({self.page.url.removeprefix(self.base_url)})\n"
                    f"    {violation['id']} ({violation['impact']}): "
                    f"{violation['help']}\n"
                    f"    target: {target}\n"
                    f"    {summary}"
                )

    def visit(self, label: str, path: str) -> None:
        assert path.rstrip("/") not in EXCLUDED
        self.page.goto(f"{self.base_url}{path}")
        settle(self.page)
        self.check(label)
        self.check_head(label)

    def check_head(self, label: str) -> None:
        """Every page describes itself to search engines and names its icon."""
        description = self.page.locator('meta[name="description"]')
        if description.count() != 1 or not description.get_attribute("content"):
            self.problems.append(
                f"[{self.role} · {self.viewport}] {label}: no meta description"
            )
            self.counts[(label, "meta-description")] += 1
        if self.page.locator('link[rel="icon"]').count() != 1:
            self.problems.append(f"[{self.role} · {self.viewport}] {label}: no favicon")
            self.counts[(label, "favicon")] += 1

    def assert_clean(self) -> None:
        """Fail with a count per page and rule, then every violation in full."""
        if not self.problems:
            return
        summary = [
            f"  {label}: {rule} ×{count}"
            for (label, rule), count in sorted(self.counts.items())
        ]
        pytest.fail(
            f"{len(self.problems)} axe violation(s) for {self.role} on a "
            f"{self.viewport}:\n" + "\n".join(summary + self.problems),
            pytrace=False,
        )


def settle(page: Page) -> None:
    """Wait for the load and for htmx requests in flight (the Soon kit's "seen")."""
    page.wait_for_load_state("load")
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(HTMX_IDLE, timeout=5_000)


@dataclass
class Site:
    """Addresses in the demo product."""

    slug: str
    theme: int
    goal: int
    metric: int
    key_result: int
    challenges: list[int]
    outcome_with_features: int
    released_feature: int
    share_paths: dict[str, str]
    stale_assumption: int
    held_review: int
    open_review: int
    snapshot: int = 0

    def product(self, rest: str = "") -> str:
        return f"/products/{self.slug}/{rest}"


@pytest.fixture
def site() -> Site:
    result = load_demo(today=timezone.localdate())
    product = result.product
    assert product.slug == DEMO_SLUG
    return Site(
        slug=product.slug,
        theme=Theme.objects.filter(product=product).order_by("pk")[0].pk,
        goal=Goal.objects.filter(product=product).order_by("pk")[0].pk,
        metric=Metric.objects.filter(product=product).order_by("pk")[0].pk,
        key_result=KeyResult.objects.filter(metric__product=product)
        .order_by("pk")[0]
        .pk,
        challenges=list(
            Challenge.objects.filter(roadmap__product=product)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        outcome_with_features=Outcome.objects.filter(roadmap__product=product)
        .annotate(feature_count=Count("features"))
        .order_by("-feature_count", "pk")[0]
        .pk,
        released_feature=Feature.objects.filter(
            roadmap__product=product, released_on__isnull=False
        )
        .order_by("pk")[0]
        .pk,
        stale_assumption=Challenge.objects.get(
            roadmap__product=product, title__startswith="Shoppers will open"
        ).pk,
        share_paths={
            share.link.get_scope_display(): reverse("share_page", args=[share.secret])
            for share in result.shares
        },
        held_review=Review.objects.get(roadmap__product=product).pk,
        open_review=Review.objects.create(roadmap=product.roadmap).pk,
        snapshot=Snapshot.objects.filter(product=product).order_by("taken_at")[0].pk,
    )


@pytest.fixture
def walk(
    browser: Browser, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[[str, str], Walk]]:
    contexts: list[BrowserContext] = []

    def start(role: str, viewport: str) -> Walk:
        width, height = VIEWPORTS[viewport]
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        if role != "anonymous":
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", role)
            page.fill("#id_password", PASSWORDS[role])
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
        return Walk(page=page, base_url=live_server.url, viewport=viewport, role=role)

    yield start
    for context in contexts:
        context.close()


def notifications_path() -> str | None:
    """The notifications page, once the app has one."""
    try:
        return reverse("notifications:notification_list")
    except NoReverseMatch:
        return None


def read_pages(site: Site) -> list[tuple[str, str]]:
    """Every page a signed-in person reads, except the board."""
    metrics = site.product("metrics/")
    pages = [
        ("product list", "/"),
        ("company", "/company/"),
        ("product overview", site.product()),
        ("vision board", site.product("vision/")),
        ("theme", site.product(f"themes/{site.theme}/")),
        ("goal", site.product(f"goals/{site.goal}/")),
        ("line of sight", site.product("line-of-sight/")),
        ("prioritise features", site.product("prioritise/")),
        ("prioritise outcomes", site.product("prioritise/?tab=outcome")),
        (
            "released feature, before and after",
            site.product(f"roadmap/feature/{site.released_feature}/release/"),
        ),
        ("teams", site.product("teams/")),
        ("dependencies", site.product("dependencies/")),
        ("blocked dependencies", site.product("dependencies/?status=blocked")),
        (
            "assumption",
            site.product(f"roadmap/challenge/{site.stale_assumption}/assumption/"),
        ),
        ("metrics", metrics),
        ("metric", f"{metrics}{site.metric}/"),
        ("key result", f"{metrics}key-results/{site.key_result}/"),
        ("present", site.product("present/")),
        ("Soon kit of the product", site.product("soon/")),
        ("Soon kit of every product", "/soon/"),
        (
            "customer request form",
            site.product(f"soon/outcome/{site.outcome_with_features}/request/"),
        ),
        ("snapshots", site.product("snapshots/")),
        ("a snapshot as it was", site.product(f"snapshots/{site.snapshot}/")),
        ("compare", site.product(f"compare/?from={site.snapshot}&to=now")),
        (
            "internal digest",
            site.product(f"compare/digest/?from={site.snapshot}&to=now"),
        ),
        (
            "customer-safe digest",
            site.product(
                f"compare/digest/?from={site.snapshot}&to=now&audience=customer"
            ),
        ),
        ("unknown snapshot", site.product("compare/?from=999999&to=now")),
        ("not found", "/products/no-such-product/"),
        ("reviews", site.product("reviews/")),
        ("held review", site.product(f"reviews/{site.held_review}/")),
        # The editor's form; a viewer reads it.
        ("open review", site.product(f"reviews/{site.open_review}/")),
        ("done archive", site.product("done/")),
    ]
    if path := notifications_path():
        pages.append(("notifications", path))
    return pages


def editor_pages(site: Site) -> list[tuple[str, str]]:
    """Pages behind the editor's buttons (a viewer gets the 403 page there)."""
    metrics = site.product("metrics/")
    return [
        ("goal form", site.product("goals/new/")),
        ("metric form", f"{metrics}new/"),
        ("measurement import", f"{metrics}import/"),
        ("API tokens", f"{metrics}tokens/"),
        ("share links", site.product("share/")),
        ("guided start", site.product("roadmap/start/")),
        ("closing a review", site.product(f"reviews/{site.open_review}/close/")),
        (
            "closing an outcome",
            site.product(f"roadmap/outcome/{site.outcome_with_features}/close/"),
        ),
        ("access", site.product("access/")),
    ]


ROLES = ["pm", "stakeholder", "sales"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_has_no_axe_violations(
    walk: Callable[[str, str], Walk], site: Site, role: str, viewport: str
) -> None:
    journey = walk(role, viewport)
    for label, path in read_pages(site) + editor_pages(site):
        journey.visit(label, path)
    if role != "pm":
        response = journey.page.goto(f"{journey.base_url}{site.product('goals/new/')}")
        assert response is not None
        assert response.status == 403  # the forbidden page was among those checked
    journey.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_installation_admins_pages_have_no_axe_violations(
    walk: Callable[[str, str], Walk], site: Site, viewport: str
) -> None:
    journey = walk("admin", viewport)
    journey.visit("product list", "/")
    journey.visit("new product", "/products/new/")
    journey.visit("product settings", site.product("settings/"))
    journey.visit("security log", "/accounts/security/")
    journey.visit("security log filtered", "/accounts/security/?kind=login")
    journey.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_pages_without_an_account_have_no_axe_violations(
    walk: Callable[[str, str], Walk], site: Site, viewport: str
) -> None:
    journey = walk("anonymous", viewport)
    journey.visit("sign in", "/login/")
    assert set(site.share_paths) == {"Internal", "Customer-safe"}
    for scope, path in site.share_paths.items():
        journey.visit(f"share page ({scope})", path)
    journey.visit("not found", "/no-such-page/")
    journey.visit("revoked share link", "/s/no-such-token/")
    journey.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_prioritisation_page_and_its_states_have_no_axe_violations(
    walk: Callable[[str, str], Walk], site: Site, viewport: str
) -> None:
    journey = walk("pm", viewport)
    page = journey.page
    for tab, path in [
        ("features", site.product("prioritise/")),
        ("outcomes", site.product("prioritise/?tab=outcome")),
    ]:
        journey.visit(f"prioritise {tab}", path)
        page.get_by_text("Change the scoring and the target mix").click()
        page.get_by_label("Capability %").fill("90")
        page.get_by_role("button", name="Save scoring and mix").click()
        expect(page.locator("#target-mix-error")).to_be_visible()
        settle(page)
        journey.check(f"prioritise {tab}, target mix refused")
        effort = page.locator(".estimates input[name=effort_weeks]").first
        effort.fill("0")
        effort.press("Enter")
        expect(page.locator(".estimates .field-error").first).to_be_visible()
        settle(page)
        journey.check(f"prioritise {tab}, estimate refused")
    journey.assert_clean()


def open_menu(page: Page, kind: str, pk: int) -> None:
    card = page.locator(f'[data-kind="{kind}"][data-id="{pk}"]')
    card.locator("[data-action=menu]").click()
    expect(page.locator("[role=menu]").first).to_be_visible()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_editors_board_and_its_states_have_no_axe_violations(
    walk: Callable[[str, str], Walk], site: Site, viewport: str
) -> None:
    journey = walk("pm", viewport)
    page = journey.page
    journey.visit("board", site.product("roadmap/"))

    page.locator(".card-outcome .card-goal").first.click()
    expect(page.locator("#side-panel .panel-inner")).to_be_visible()
    settle(page)
    journey.check("board: side panel")
    page.locator("[data-close-panel]").click()

    first, second, *_ = site.challenges
    open_menu(page, "challenge", first)
    journey.check("board: card menu")
    page.keyboard.press("Escape")

    card = page.locator(f'[data-kind="challenge"][data-id="{first}"]')
    card.locator(".card-title").click()
    edit_form = page.locator("form.edit-form")
    expect(edit_form).to_be_visible()
    journey.check("board: edit form")

    challenge = Challenge.objects.get(pk=first)
    Challenge.objects.filter(pk=first).update(
        title=f"{challenge.title} (theirs)", version=challenge.version + 1
    )
    title = edit_form.get_by_label("Title")
    title.fill(f"{challenge.title} (mine)")
    title.press("Enter")
    expect(page.locator(".card-conflict")).to_be_visible()
    journey.check("board: conflict")

    page.goto(f"{journey.base_url}{site.product('roadmap/')}")
    settle(page)
    # Moving an outcome away from its linked cards offers to move them too.
    open_menu(page, "outcome", site.outcome_with_features)
    page.get_by_role("menuitem", name="Move to").first.click()
    expect(page.locator(".toast").first).to_be_visible()
    journey.check("board: toast after a move")
    open_menu(page, "challenge", second)
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.locator(".toast", has_text="Undo").first).to_be_visible()
    journey.check("board: toast after a delete")
    journey.assert_clean()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ["stakeholder", "sales"])
def test_a_viewers_board_has_no_axe_violations(
    walk: Callable[[str, str], Walk], site: Site, role: str, viewport: str
) -> None:
    journey = walk(role, viewport)
    page = journey.page
    journey.visit("board", site.product("roadmap/"))
    page.locator(".card-outcome .card-goal").first.click()
    expect(page.locator("#side-panel .panel-inner")).to_be_visible()
    settle(page)
    journey.check("board: side panel")
    journey.assert_clean()


def test_the_line_of_sight_tree_folds_from_the_keyboard(
    walk: Callable[[str, str], Walk], site: Site
) -> None:
    """Each branch folds under a button beside its row's link, not a summary."""
    journey = walk("stakeholder", "desktop")
    page = journey.page
    page.goto(f"{journey.base_url}{site.product('line-of-sight/')}")
    goal = Goal.objects.get(pk=site.goal)
    branch = page.locator(f"#line-of-sight-goal-{goal.pk} > .node-branch")
    fold = page.get_by_role("button", name=f"Items under {goal.title}")
    expect(fold).to_have_attribute("aria-expanded", "true")
    expect(branch).to_be_visible()

    fold.focus()
    page.keyboard.press("Enter")
    expect(fold).to_have_attribute("aria-expanded", "false")
    expect(branch).to_be_hidden()
    page.keyboard.press("Space")
    expect(fold).to_have_attribute("aria-expanded", "true")
    expect(branch).to_be_visible()
