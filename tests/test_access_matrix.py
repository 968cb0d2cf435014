"""Who may do what on every URL: the whole URL configuration against one table.

Every route of the app (pages, fragments, the API, share pages, the admin)
is tried with GET and POST as each role below, on a PRIVATE product, and
the answer must be the one the MATRIX names. A route missing from the
matrix fails with its name. Each request runs in a transaction that is
rolled back, so every role meets the same data.

A second pass opens the product to everyone: then the outsider and the
editor of another product must get exactly what a named viewer gets.

Each object endpoint is also tried by the product's editor with another
product's ids in it: never a success, always 404 (or 403).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, reverse

from roadmap.models import Notification, ShareLink
from strategy.models import ApiToken
from tests.roadmap.factories import RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory
from tests.test_standalone_pages import PARAM, Route, build_world, fill, walk

pytestmark = pytest.mark.django_db

# The roles, in the matrix's column order.
ROLES = [
    "anonymous",  # not signed in
    "viewer",  # a named viewer of the private product
    "outsider",  # signed in, neither editor nor named viewer
    "other_editor",  # edits another product (and its API token is for that one)
    "editor",  # edits the product (its API token is for this one)
    "admin",  # installation admin (superuser, staff)
    "share_internal",  # no account: holds an internal share link of the product
    "share_customer",  # no account: holds a customer-safe share link
]

# What an answer means. `ok`: past the permission gate (2xx; a redirect
# elsewhere than the sign-in; 400/409/422 for the junk this test posts).
# `in`: sent to sign in (302 to a sign-in page; 401 from the API).
# `no`: 403. `404`: not found, or gone (a share link). `405`: wrong method.
# `any`: whatever Django's admin answers an admin, but never a 5xx.
OK, IN, NO, NF, NA, ANY = "ok", "in", "no", "404", "405", "any"


def row(codes: str) -> tuple[str, ...]:
    """One line of answers, a column per role (see ROLES)."""
    answers = tuple(codes.split())
    assert len(answers) == len(ROLES), codes
    assert set(answers) <= {OK, IN, NO, NF, NA, ANY}, codes
    return answers


# Profiles: a line of the matrix names one for GET and one for POST.
#                         anon viewer outsider other  editor admin share-i share-c
PUBLIC = row("            ok   ok     ok       ok     ok     ok    ok      ok")
SIGNED_IN = row("         in   ok     ok       ok     ok     ok    in      in")
READ = row("              in   ok     404      404    ok     ok    in      in")
EDIT = row("              in   no     404      404    ok     ok    in      in")
ADMIN = row("             in   no     no       no     no     ok    in      in")
ALL_405 = row("           405  405    405      405    405    405   405     405")
# A wrong method is refused before anything else.
NOT_FOUND = row("         404  404    404      404    404    404   404     404")
SHARE_PAGE = row("        404  404    404      404    404    404   ok      ok")
# The API answers its bearer token only; other_editor's token is for another
# product, so its lists are that product's and this product's ids are 404.
API_LIST = row("          in   in     in       ok     ok     ok    in      in")
API_ITEM = row("          in   in     in       404    ok     ok    in      in")
SIGN_OUT = row("           in   in     in       in     in     in    in      in")
# Django's admin sends everyone but staff to its own sign-in page; an
# admin's POST into the admin is Django's to test, so it is not tried.
ADMIN_SITE = row("        in   in     in       in     in     any   in      in")

# The matrix: route name -> (GET, POST). One line per route.
MATRIX: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # Outside any product
    "robots_txt": (PUBLIC, ALL_405),
    "favicon": (PUBLIC, ALL_405),
    "login": (PUBLIC, PUBLIC),
    "logout": (ALL_405, SIGN_OUT),
    "password_change": (SIGNED_IN, SIGNED_IN),
    "password_change_done": (SIGNED_IN, row("in 405 405 405 405 405 in in")),
    "password_reset": (PUBLIC, PUBLIC),
    "admin_password_reset": (PUBLIC, PUBLIC),
    "password_reset_done": (PUBLIC, ALL_405),
    "password_reset_confirm": (PUBLIC, PUBLIC),
    "password_reset_complete": (PUBLIC, ALL_405),
    "accounts:account": (SIGNED_IN, ALL_405),
    "accounts:security_log": (ADMIN, ALL_405),
    "accounts:invitation_list": (ADMIN, ADMIN),
    # The world's invitation has expired: there is nothing left to revoke.
    "accounts:invitation_revoke": (ALL_405, row("in no no no no 404 in in")),
    "accounts:invitation_accept": (NOT_FOUND, NOT_FOUND),
    "share_page": (SHARE_PAGE, ALL_405),
    "soon:all": (SIGNED_IN, ALL_405),
    "soon:seen": (ALL_405, SIGNED_IN),
    "notifications:notification_list": (SIGNED_IN, ALL_405),
    "notifications:notification_read_all": (ALL_405, SIGNED_IN),
    "notifications:notification_read": (ALL_405, SIGNED_IN),
    "strategy:home": (SIGNED_IN, ALL_405),
    "strategy:company": (SIGNED_IN, ALL_405),
    "strategy:company_edit": (ADMIN, ADMIN),
    "strategy:product_create": (ADMIN, ADMIN),
    # A product's pages
    "strategy:product_detail": (READ, ALL_405),
    "strategy:product_settings": (ADMIN, ADMIN),
    "strategy:product_access": (EDIT, EDIT),
    "strategy:vision_board": (READ, ALL_405),
    "strategy:vision_board_edit": (EDIT, EDIT),
    "strategy:theme_create": (EDIT, EDIT),
    "strategy:theme_detail": (READ, ALL_405),
    "strategy:theme_edit": (EDIT, EDIT),
    "strategy:goal_create": (EDIT, EDIT),
    "strategy:goal_detail": (READ, ALL_405),
    "strategy:goal_edit": (EDIT, EDIT),
    "strategy:goal_archive": (ALL_405, EDIT),
    "metrics:metric_list": (READ, ALL_405),
    "metrics:metric_create": (EDIT, EDIT),
    "metrics:measurement_import": (EDIT, EDIT),
    "metrics:token_list": (EDIT, EDIT),
    "metrics:token_revoke": (ALL_405, EDIT),
    "metrics:metric_detail": (READ, ALL_405),
    "metrics:metric_edit": (EDIT, EDIT),
    "metrics:measurement_create": (ALL_405, EDIT),
    "metrics:measurement_row": (READ, ALL_405),
    "metrics:measurement_edit": (EDIT, EDIT),
    "metrics:measurement_delete": (ALL_405, EDIT),
    "metrics:keyresult_create": (EDIT, EDIT),
    "metrics:keyresult_detail": (READ, ALL_405),
    "metrics:keyresult_edit": (EDIT, EDIT),
    "metrics:checkin_create": (ALL_405, EDIT),
    "roadmap:board": (READ, ALL_405),
    "roadmap:board_revision": (READ, ALL_405),
    "roadmap:guided_start": (EDIT, EDIT),
    "roadmap:cell_cards": (READ, ALL_405),
    "roadmap:deleted_cards": (READ, ALL_405),
    "roadmap:card_create": (EDIT, EDIT),
    "roadmap:card_detail": (READ, ALL_405),
    "roadmap:card_menu": (EDIT, ALL_405),
    "roadmap:card_edit": (EDIT, EDIT),
    "roadmap:card_move": (ALL_405, EDIT),
    "roadmap:card_delete": (ALL_405, EDIT),
    "roadmap:card_restore": (ALL_405, EDIT),
    "roadmap:card_link": (ALL_405, EDIT),
    # An outcome links to nothing: its editors get 404 past the gate.
    "roadmap:card_link:outcome": (ALL_405, row("in no 404 404 404 404 in in")),
    "roadmap:outcome_panel": (READ, ALL_405),
    "roadmap:outcome_insights": (READ, ALL_405),
    "roadmap:outcome_move_linked": (ALL_405, EDIT),
    "roadmap:dependency_create": (ALL_405, EDIT),
    "roadmap:dependency_delete": (ALL_405, EDIT),
    "roadmap:line_of_sight": (READ, ALL_405),
    "roadmap:line_of_sight_redirect": (READ, ALL_405),
    "roadmap:present": (READ, ALL_405),
    "roadmap:soon": (READ, ALL_405),
    "roadmap:soon_seen": (ALL_405, READ),
    "roadmap:customer_request": (READ, READ),
    "roadmap:share_links": (EDIT, EDIT),
    "roadmap:share_link_revoke": (ALL_405, EDIT),
    "roadmap:history": (READ, ALL_405),
    # Only the change's author gives its reason: an admin is refused too.
    "roadmap:history_reason": (ALL_405, row("in no 404 404 ok no in in")),
    "roadmap:plan_export": (READ, ALL_405),
    "roadmap:plan_import": (EDIT, EDIT),
    "roadmap:snapshots": (READ, EDIT),
    "roadmap:snapshot": (READ, ALL_405),
    "roadmap:compare": (READ, ALL_405),
    "roadmap:compare_latest": (READ, ALL_405),
    "roadmap:compare_digest": (READ, ALL_405),
    "roadmap:outcome_close": (EDIT, EDIT),
    "roadmap:outcome_reopen": (ALL_405, EDIT),
    "roadmap:done": (READ, ALL_405),
    "roadmap:review_list": (READ, ALL_405),
    "roadmap:review_start": (ALL_405, EDIT),
    "roadmap:review_cadence": (ALL_405, EDIT),
    "roadmap:review_detail": (READ, ALL_405),
    "roadmap:review_edit": (EDIT, EDIT),
    "roadmap:review_close": (EDIT, EDIT),
    "roadmap:prioritise": (READ, ALL_405),
    "roadmap:prioritise_settings": (ALL_405, EDIT),
    "roadmap:estimate_save": (ALL_405, EDIT),
    "roadmap:feature_release": (READ, EDIT),
    "roadmap:teams": (READ, ALL_405),
    "roadmap:team_add": (ALL_405, EDIT),
    "roadmap:team_rename": (ALL_405, EDIT),
    "roadmap:team_capacity": (ALL_405, EDIT),
    "roadmap:dependencies": (READ, ALL_405),
    "roadmap:dependency_add": (ALL_405, EDIT),
    "roadmap:dependency_edit": (ALL_405, EDIT),
    "roadmap:assumption": (READ, ALL_405),
    "roadmap:assumption_update": (ALL_405, EDIT),
    "roadmap:assumption_settings": (ALL_405, EDIT),
    "roadmap:evidence_add": (ALL_405, EDIT),
    # The JSON API (bearer tokens; see the API rows above)
    "api:openapi-json": (PUBLIC, PUBLIC),
    "api:openapi-view": (PUBLIC, PUBLIC),
    "api:api-root": (NOT_FOUND, NOT_FOUND),
    "api:get_roadmap": (API_LIST, ALL_405),
    "api:list_outcomes": (API_LIST, ALL_405),
    "api:get_outcome": (API_ITEM, ALL_405),
    "api:list_metrics": (API_LIST, ALL_405),
    "api:get_metric": (API_ITEM, ALL_405),
    # One path with record_measurement: GET lists, POST records.
    "api:list_measurements": (API_ITEM, API_ITEM),
    "api:record_measurement": (API_ITEM, API_ITEM),
    "api:record_batch": (ALL_405, API_LIST),
    "api:list_key_results": (API_LIST, ALL_405),
    "api:get_key_result": (API_ITEM, ALL_405),
    # Django's admin: every route of it, as one line
    "admin:*": (ADMIN_SITE, ADMIN_SITE),
}
# Admin routes anyone may open: its sign-in page and the catalog of texts.
ADMIN_OPEN = {
    "admin:login": (PUBLIC, PUBLIC),
    "admin:logout": (row("ok ok ok ok ok 405 ok ok"), row("ok ok ok ok ok ok ok ok")),
}

# How the API's path parameters are filled from the world.
API_PARAMS = {
    "outcome_id": "outcome",
    "metric_id": "metric",
    "key_result_id": "key_result",
}
UNKNOWN_SECRET = "no-such-secret-0000"


@dataclass
class Setting:
    """The product under test, its people, their clients and a world of ids."""

    world: dict[str, Any]
    other_world: dict[str, Any]
    clients: dict[str, Client]
    api_tokens: dict[str, str]
    share_secrets: dict[str, str]


def all_routes() -> list[Route]:
    return sorted(set(walk(get_resolver().url_patterns, excluded={})), key=str)


def matrix_key(route: Route) -> str:
    if route.name.startswith("admin:") and route.name not in ADMIN_OPEN:
        return "admin:*"
    return route.name


CARD_KIND = re.compile(r"/roadmap/(outcome|challenge|success_metric|feature)/")


def expected(route: Route, method: str, role: str, path: str) -> str:
    """The matrix's answer; a line for one kind of card overrides the route's."""
    if route.name in ADMIN_OPEN:
        get, post = ADMIN_OPEN[route.name]
    else:
        kind = CARD_KIND.search(path)
        key = f"{route.name}:{kind[1]}" if kind else ""
        get, post = MATRIX.get(key) or MATRIX[matrix_key(route)]
    return (get if method == "GET" else post)[ROLES.index(role)]


def admin_paths(route: Route) -> list[str]:
    """An admin route's path: its named groups filled with a plausible value."""
    pattern = route.route
    values = {
        "app_label": "strategy",
        "object_id": "1",
        "content_type_id": "1",
        "id": "1",
        "url": "nothing-here/",
    }
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m[1]], pattern)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return ["/" + PARAM.sub(lambda m: values.get(m["name"], "1"), path)]


def paths_for(route: Route, world: dict[str, Any], role: str, s: Setting) -> list[str]:
    """The route's paths, with the role's own secret where a URL carries one."""
    if route.name.startswith("admin:"):
        return admin_paths(route)
    text = route.route
    secret = s.share_secrets.get(role, UNKNOWN_SECRET)
    fixed = {
        "token": secret if route.name == "share_page" else UNKNOWN_SECRET,
        "uidb64": "MQ",
        **{name: str(world[key]) for name, key in API_PARAMS.items()},
    }
    for name, value in fixed.items():
        text = PARAM.sub(lambda m, n=name, v=value: v if m["name"] == n else m[0], text)
    return fill(Route(text, route.name), world)


def classify(response: Any) -> str:
    status = response.status_code
    if status == 401:
        return IN
    if status in (301, 302, 303):
        location = response["Location"]
        if location.startswith((reverse("login"), reverse("admin:login"))):
            return IN
        return OK
    if status == 403:
        return NO
    if status in (404, 410):
        return NF
    if status == 405:
        return NA
    if status < 500:
        return OK
    return str(status)


def send(
    client: Client,
    method: str,
    path: str,
    token: str | None,
    world: dict[str, Any],
    probe: Callable[[], bool] = lambda: False,
) -> tuple[Any, bool]:
    """One request, its writes rolled back and the client's cookies kept, so
    a sign-out or a password change leaves the next request as it was."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if method == "GET":
            response = client.get(path, headers=headers)
        elif path.startswith("/api/"):
            # A well-formed write, so the answer is the gate's, not the schema's.
            measurement = {"date": "2026-03-02", "value": 1}
            body = (
                {"measurements": [{**measurement, "metric_id": world["metric"]}]}
                if path.endswith("/batch")
                else measurement
            )
            response = client.post(
                path, body, content_type="application/json", headers=headers
            )
        else:
            response = client.post(
                path, {"version": 1, "title": "Matrix"}, headers=headers
            )
        # Asked before the rollback: did this request write what it must not?
        wrote = probe()
        transaction.set_rollback(True)
    client.cookies = cookies
    return response, wrote


def ask(
    client: Client, method: str, path: str, token: str | None, world: dict[str, Any]
) -> str:
    return classify(send(client, method, path, token, world)[0])


@pytest.fixture
def setting(product, editor) -> Setting:
    product.is_private = True
    product.save(update_fields=["is_private"])
    viewer = UserFactory(username="named-viewer")
    product.viewers.add(viewer)
    outsider = UserFactory(username="outsider")
    other_editor = UserFactory(username="other-editor")
    other = ProductFactory(name="Other", slug="other", editors=[other_editor])
    RoadmapFactory(product=other)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    world = build_world(product, editor)
    other_world = build_world(other, other_editor)
    # A notification of the other product's editor, on the product itself,
    # so the notification routes name a real one.
    people = {
        "viewer": viewer,
        "outsider": outsider,
        "other_editor": other_editor,
        "editor": editor,
        "admin": admin,
    }
    clients = {}
    for role in ROLES:
        client = Client()
        if role in people:
            client.force_login(people[role])
        clients[role] = client
    share_secrets = {
        "share_internal": ShareLink.issue(product=product, label="QBR")[1],
        "share_customer": ShareLink.issue(
            product=product, label="CAB", scope=ShareLink.Scope.CUSTOMER_SAFE
        )[1],
    }
    for role, secret in share_secrets.items():
        clients[role].get(reverse("share_page", args=[secret]))
    api_tokens = {
        "editor": ApiToken.issue(product=product, name="E", created_by=editor)[1],
        "admin": ApiToken.issue(product=product, name="A", created_by=admin)[1],
        "other_editor": ApiToken.issue(
            product=other, name="X", created_by=other_editor
        )[1],
    }
    return Setting(world, other_world, clients, api_tokens, share_secrets)


def methods_for(route: Route, role: str) -> list[str]:
    if route.name.startswith("admin:") and role == "admin":
        return ["GET"]
    return ["GET", "POST"]


def run_matrix(
    setting: Setting, *, as_for: dict[str, str], routes: list[Route] | None = None
) -> tuple[list[str], Counter]:
    """Try every route, method and role; return the mismatches and a count.

    `as_for` maps a role to the column whose answers it must give instead.
    """
    wrong: list[str] = []
    tried: Counter = Counter()
    for route in all_routes() if routes is None else routes:
        for role in ROLES:
            client = setting.clients[role]
            token = (
                setting.api_tokens.get(role) if route.name.startswith("api:") else None
            )
            for method in methods_for(route, role):
                for path in paths_for(route, setting.world, role, setting):
                    want = expected(route, method, as_for.get(role, role), path)
                    got = ask(client, method, path, token, setting.world)
                    tried["requests"] += 1
                    if want == ANY and got in {OK, IN, NO, NF, NA}:
                        continue
                    if got != want:
                        wrong.append(
                            f"{route.name} {method} {path} as {role}: {got}, want {want}"
                        )

                tried[(route, role, method)] += 1
    return wrong, tried


def test_every_route_is_in_the_matrix():
    missing = sorted(
        {
            route.name
            for route in all_routes()
            if matrix_key(route) not in MATRIX and route.name not in ADMIN_OPEN
        }
    )

    assert missing == [], (
        f"Routes missing from the access matrix in tests/test_access_matrix.py: "
        f"{', '.join(missing)}. Add one line each to MATRIX."
    )


def test_the_matrix_names_no_route_that_is_gone():
    names = {matrix_key(route) for route in all_routes()}
    lines = {
        name.rsplit(":", 1)[0] if name.count(":") == 2 else name for name in MATRIX
    }

    assert lines - names == set()


def test_every_route_method_and_role_answers_as_the_matrix_says(setting):
    wrong, tried = run_matrix(setting, as_for={})

    assert not wrong, "\n".join(wrong)
    combinations = sum(1 for key in tried if key != "requests")
    # Every route as every role, GET and POST (an admin's POST into Django's
    # admin is left to Django).
    assert combinations == sum(
        len(ROLES) * 2 - route.name.startswith("admin:") for route in all_routes()
    )


def test_on_an_open_product_outsiders_read_as_a_named_viewer_does(setting, product):
    product.is_private = False
    product.save(update_fields=["is_private"])

    # Django's admin does not look at a product's privacy: its routes were
    # all tried above.
    wrong, _ = run_matrix(
        setting,
        as_for={"outsider": "viewer", "other_editor": "viewer"},
        routes=[r for r in all_routes() if not r.name.startswith("admin:")],
    )

    # The API answers tokens, not readers: the other editor's token stays its
    # own product's there.
    readers = [line for line in wrong if not line.startswith("api:")]
    assert not readers, "\n".join(readers)


# Another product's ids ------------------------------------------------------

# The parameters that name an object, and the world key of each.
OBJECT_PARAMS = {"pk", "measurement_pk", "dependency_pk", *API_PARAMS}


def object_routes() -> list[Route]:
    return [
        route
        for route in all_routes()
        if not route.name.startswith("admin:")
        and {m["name"] for m in PARAM.finditer(route.route)} & OBJECT_PARAMS
    ]


def crossed_world(setting: Setting) -> dict[str, Any]:
    """The product's slug with every object id taken from the other product."""
    return {**setting.other_world, "slug": setting.world["slug"]}


def test_the_object_routes_are_found():
    names = {route.name for route in object_routes()}

    assert {
        "strategy:goal_edit",
        "metrics:token_revoke",
        "metrics:measurement_delete",
        "roadmap:card_edit",
        "roadmap:share_link_revoke",
        "api:get_metric",
    } <= names


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_object_endpoints_refuse_another_products_ids(setting, role):
    world = crossed_world(setting)
    client = setting.clients[role]
    theirs = Notification.objects.filter(pk=setting.other_world["notification"])

    def theirs_read() -> bool:
        return theirs.filter(read_at__isnull=False).exists()

    successes = []
    for route in object_routes():
        token = setting.api_tokens[role] if route.name.startswith("api:") else None
        for method in ["GET", "POST"]:
            for path in paths_for(route, world, role, setting):
                response, changed = send(
                    client, method, path, token, world, probe=theirs_read
                )
                if route.name.startswith("notifications:"):
                    # Marking read answers 302 either way; it must touch no
                    # one else's notification.
                    if changed:
                        successes.append(f"{method} {path}: marked another's read")
                elif response.status_code not in (403, 404, 405, 410):
                    successes.append(f"{method} {path}: {response.status_code}")

    assert not successes, "\n".join(successes)
