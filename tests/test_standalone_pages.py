"""Every URL stands alone: a fragment URL opened directly is a whole page.

The test walks the URL configuration, so a new route is covered the day it is
added: it fails here until the table below says how to fill its parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invitation
from metrics.models import KeyResult
from roadmap.models import ShareLink
from roadmap.snapshots import take_snapshot
from tests.metrics.factories import KeyResultFactory, MeasurementFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    InsightFactory,
    NotificationFactory,
    OutcomeFactory,
    ReviewFactory,
    SuccessMetricFactory,
    TeamDependencyFactory,
)
from tests.strategy.factories import (
    ApiTokenFactory,
    GoalFactory,
    HistoryEntryFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

# Routes left out, each with its reason.
EXCLUDED = {
    "api/v1/": "JSON for integrations, not pages",
    "admin/": "Django's admin has its own frame",
    "s/<str:token>/": "share pages are for people without an account and whole already",
    "logout/": "signing out is a POST; a GET is refused",
    "robots.txt": "plain text for crawlers",
    "products/<slug:slug>/roadmap/revision/": (
        "the open board's poll: the plan's revision as text, or 204, for a script"
    ),
    "static/": "files, not pages",
    "accounts/join/": "invitation links carry a secret; tests/accounts opens them",
    "accounts/reset/": (
        "password reset links carry a signed token; tests/accounts opens them"
    ),
}

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    route: str
    name: str

    def __str__(self) -> str:
        return self.route


def walk(
    patterns: list[Any],
    prefix: str = "",
    namespace: str = "",
    excluded: Mapping[str, str] = EXCLUDED,
) -> Iterator[Route]:
    """Every route under `patterns`, but those starting with an excluded prefix."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if any(route.startswith(skip) for skip in excluded):
            continue
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            inner = f"{namespace}{ns}:" if ns else namespace
            yield from walk(pattern.url_patterns, route, inner, excluded)
        elif isinstance(pattern, URLPattern):
            yield Route(route, f"{namespace}{pattern.name or ''}")


ROUTES = sorted(set(walk(get_resolver().url_patterns)), key=str)


@pytest.fixture
def world(product, editor):
    editor.is_superuser = True  # product settings and the company page too
    editor.save(update_fields=["is_superuser"])
    return build_world(product, editor)


def build_world(product: Any, editor: Any) -> dict[str, Any]:
    """One of every object a URL can name, on the editor's product."""
    roadmap = product.roadmap
    theme = ThemeFactory(product=product)
    goal = GoalFactory(product=product, theme=theme)
    outcome = OutcomeFactory(roadmap=roadmap, goal=goal)
    key_result = KeyResultFactory(metric__product=product, goal=goal)
    measurement = MeasurementFactory(metric=key_result.metric)
    link, _ = ShareLink.issue(product=product, label="Board", created_by=editor)
    InsightFactory(product=product, outcome=outcome)
    cards = {
        "outcome": outcome,
        "challenge": ChallengeFactory(roadmap=roadmap, outcome=outcome),
        "success_metric": SuccessMetricFactory(
            roadmap=roadmap, outcome=outcome, key_result=key_result
        ),
        "feature": FeatureFactory(roadmap=roadmap, outcome=outcome),
    }
    dependency = TeamDependencyFactory(outcome=outcome)
    return {
        "slug": product.slug,
        "theme": theme.pk,
        "goal": goal.pk,
        "metric": key_result.metric_id,
        "measurement": measurement.pk,
        "key_result": KeyResult.objects.get(pk=key_result.pk).pk,
        "token": ApiTokenFactory(product=product, created_by=editor).pk,
        "share_link": link.pk,
        "dependency": dependency.pk,
        "team": dependency.team_id,
        "challenge": cards["challenge"].pk,
        "notification": NotificationFactory(recipient=editor, outcome=outcome).pk,
        "outcome": outcome.pk,
        "cards": {kind: card.pk for kind, card in cards.items()},
        "feature": cards["feature"].pk,
        "horizon": "current",
        "invitation": Invitation.objects.create(
            email="new@example.com",
            token_hash=f"{product.pk:064d}",
            expires_at=product.created_at,
        ).pk,
        "history_entry": HistoryEntryFactory(product=product, actor=editor).pk,
        "review": ReviewFactory(roadmap=roadmap).pk,
        "snapshot": take_snapshot(
            product, name="Before Q1 planning", kind="manual", user=editor
        ).pk,
    }


# What each route's `pk` names (other parameters are filled by their name).
PK_OF = {
    "accounts:invitation_revoke": "invitation",
    "strategy:theme_detail": "theme",
    "strategy:theme_edit": "theme",
    "strategy:goal_detail": "goal",
    "strategy:goal_edit": "goal",
    "strategy:goal_archive": "goal",
    "metrics:token_revoke": "token",
    "metrics:metric_detail": "metric",
    "metrics:metric_edit": "metric",
    "metrics:measurement_create": "metric",
    "metrics:measurement_row": "metric",
    "metrics:measurement_edit": "metric",
    "metrics:measurement_delete": "metric",
    "metrics:keyresult_detail": "key_result",
    "metrics:keyresult_edit": "key_result",
    "metrics:checkin_create": "key_result",
    "roadmap:history_reason": "history_entry",
    "roadmap:outcome_panel": "outcome",
    "roadmap:outcome_insights": "outcome",
    "roadmap:outcome_move_linked": "outcome",
    "roadmap:outcome_close": "outcome",
    "roadmap:outcome_reopen": "outcome",
    "roadmap:review_detail": "review",
    "roadmap:review_edit": "review",
    "roadmap:review_close": "review",
    "roadmap:dependency_create": "outcome",
    "roadmap:dependency_delete": "outcome",
    "roadmap:share_link_revoke": "share_link",
    "roadmap:snapshot": "snapshot",
    "roadmap:feature_release": "feature",
    "roadmap:dependency_edit": "dependency",
    "roadmap:team_rename": "team",
    "roadmap:team_capacity": "team",
    "roadmap:assumption": "challenge",
    "roadmap:assumption_update": "challenge",
    "roadmap:evidence_add": "challenge",
    "roadmap:assumption_settings": "challenge",
    "notifications:notification_read": "notification",
}


def fill(route: Route, world: dict[str, Any]) -> list[str]:
    """The paths of a route with real objects in its parameters (one per kind)."""
    names = [m["name"] for m in PARAM.finditer(route.route)]
    kinds = ["outcome", "challenge", "success_metric", "feature"]
    if "kind" in names and "<item:" in route.route:
        kinds = ["outcome", "feature"]
    if "kind" not in names:
        kinds = [""]
    paths = []
    for kind in kinds:
        values: dict[str, Any] = {}
        for name in names:
            if name == "slug":
                values[name] = world["slug"]
            elif name == "kind":
                values[name] = kind
            elif name == "horizon":
                values[name] = world["horizon"]
            elif name == "measurement_pk":
                values[name] = world["measurement"]
            elif name == "dependency_pk":
                values[name] = world["dependency"]
            elif name == "pk" and "kind" in names:
                values[name] = world["cards"][kind]
            elif name == "pk" and route.name in PK_OF:
                values[name] = world[PK_OF[route.name]]
            else:
                pytest.fail(
                    f"{route} ({route.name}): say in tests/test_standalone_pages.py "
                    f"which object fills <{name}>."
                )
        path = route.route
        for name, value in values.items():
            path = PARAM.sub(
                lambda m, n=name, v=value: str(v) if m["name"] == n else m[0], path
            )
        paths.append("/" + path)
    return paths


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_url_opened_directly_is_a_whole_page(route, world, editor_client):
    for path in fill(route, world):
        response = editor_client.get(path)

        if response.status_code in (301, 302, 303, 405):
            continue  # a redirect to a page, or a write that refuses GET
        if response.get("Content-Disposition", "").startswith("attachment"):
            continue  # a download (an export), not a page
        assert response.status_code == 200, (path, response.status_code)
        html = response.content.decode()
        assert html.lstrip().lower().startswith("<!doctype html>"), path
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title, path
        assert title[1].strip(), path
        assert html.count("<main") == 1, path


def test_the_walk_finds_the_fragment_urls():
    routes = {route.name for route in ROUTES}
    assert {
        "strategy:vision_board",
        "strategy:theme_detail",
        "roadmap:card_detail",
        "roadmap:deleted_cards",
        "roadmap:outcome_panel",
        "roadmap:cell_cards",
        "roadmap:card_menu",
        "metrics:measurement_row",
    } <= routes


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/products/{slug}/vision/edit/", 'id="vision-board" class="vision-board'),
        ("/products/{slug}/themes/{theme}/edit/", "Save theme"),
        ("/products/{slug}/goals/{goal}/edit/", "Save goal"),
        ("/products/{slug}/roadmap/outcome/{outcome}/panel/", "data-panel-outcome"),
        ("/products/{slug}/roadmap/deleted/", "Recently deleted</h2>"),
        (
            "/products/{slug}/metrics/{metric}/measurements/{measurement}/edit/",
            'class="edit-row"',
        ),
    ],
)
def test_the_fragment_is_in_place_on_its_page(path, expected, world, editor_client):
    response = editor_client.get(path.format(**world))

    assert response.status_code == 200
    assert expected in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_htmx_still_gets_the_fragment_alone(world, editor_client):
    path = "/products/{slug}/roadmap/outcome/{outcome}/panel/".format(**world)

    response = editor_client.get(path, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "data-panel-outcome" in html
    assert "<main" not in html
