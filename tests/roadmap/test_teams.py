"""Teams of a plan: load against capacity, editing teams, and dependencies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roadmap import board as engine
from roadmap.line_of_sight import GapKind, load_line_of_sight
from roadmap.models import Feature, Team, TeamCapacity, TeamDependency
from roadmap.teams import (
    build_team_loads,
    counts_towards_load,
    is_over_committed,
)
from roadmap.views.board import render_grid
from strategy.models import HistoryEntry, Product
from tests.roadmap.factories import (
    FeatureFactory,
    OutcomeFactory,
    TeamCapacityFactory,
    TeamDependencyFactory,
    TeamFactory,
)
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db

LABELS = {"current": "Now", "soon": "Next", "future": "Later"}


# Load and over-commitment -----------------------------------------------------


def test_released_features_and_done_dependencies_take_no_capacity():
    assert counts_towards_load(kind="feature", stage="building")
    assert not counts_towards_load(kind="feature", stage="released")
    for status in ["needed", "agreed", "blocked"]:
        assert counts_towards_load(kind="dependency", status=status)
    assert not counts_towards_load(kind="dependency", status="done")
    assert not counts_towards_load(kind="outcome")


def test_a_horizon_is_over_committed_only_above_a_set_capacity():
    assert is_over_committed(3, 2)
    assert not is_over_committed(2, 2)
    assert not is_over_committed(9, None)
    assert is_over_committed(1, 0)


def loads(capacity: TeamCapacity | None, features=(), dependencies=(), outcomes=()):
    team = Team(pk=1, name="Platform")
    return build_team_loads(
        teams=[team],
        capacities=[capacity] if capacity else [],
        owned_outcomes=outcomes,
        owned_features=features,
        dependencies=dependencies,
        horizon_labels=LABELS,
        product_id=1,
    )[0]


def feature(pk: int, horizon: str, stage: str = "building") -> dict:
    return {
        "team_id": 1,
        "id": pk,
        "title": f"F{pk}",
        "horizon": horizon,
        "stage": stage,
    }


def dependency(horizon: str, status: str, *, on: str = "outcome") -> dict:
    other = "feature" if on == "outcome" else "outcome"
    return {
        "team_id": 1,
        "status": status,
        f"{on}_id": 7,
        f"{on}__title": "Needs Platform",
        f"{on}__horizon": horizon,
        f"{other}_id": None,
        f"{other}__title": None,
        f"{other}__horizon": None,
    }


def test_load_counts_owned_features_and_open_dependencies_per_horizon():
    capacity = TeamCapacity(team_id=1, current_capacity=2, soon_capacity=1)

    load = loads(
        capacity,
        features=[
            feature(1, "current"),
            feature(2, "current", "released"),
            feature(3, "soon"),
            feature(4, "soon"),
        ],
        dependencies=[
            dependency("current", "blocked"),
            dependency("soon", "done", on="feature"),
        ],
        outcomes=[
            {
                "team_id": 1,
                "outcome_id": 5,
                "outcome__title": "O",
                "outcome__horizon": "current",
            }
        ],
    )

    current, soon, future = load.horizons
    assert (current.load, current.capacity, current.is_over) == (2, 2, False)
    assert (soon.load, soon.capacity, soon.is_over) == (2, 1, True)
    assert (future.load, future.capacity, future.is_over) == (0, None, False)
    assert [h.label for h in load.over_committed] == ["Next"]
    assert soon.summary == "Over-committed: load 2 of capacity 1, 1 too many"
    assert len(current.outcomes) == 1
    assert current.needed_by[0].is_blocked


def test_a_team_without_a_capacity_flags_nothing():
    load = loads(None, features=[feature(n, "current") for n in range(5)])

    assert load.capacity.pk is None
    assert load.horizons[0].summary == "Load 5, no capacity set"
    assert load.over_committed == []


# The teams page ---------------------------------------------------------------


@pytest.fixture
def platform(product):
    team = TeamFactory(name="Platform")
    TeamCapacityFactory(product=product, team=team, soon_capacity=1)
    return team


def teams_url(product, name="roadmap:teams", *args):
    return reverse(name, args=[product.slug, *args])


def test_the_teams_page_sends_an_anonymous_visitor_to_sign_in(client, product):
    response = client.get(teams_url(product))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_viewer_reads_loads_and_the_over_commitment_in_words(
    viewer_client, product, platform
):
    FeatureFactory(roadmap=product.roadmap, team=platform, horizon="soon")
    FeatureFactory(roadmap=product.roadmap, team=platform, horizon="soon")

    response = viewer_client.get(teams_url(product))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Platform" in html
    assert "Over-committed: load 2 of capacity 1, 1 too many" in html
    assert "Over-committed in Soon" in html
    assert "Rename or set capacity" not in html


def test_an_editor_sees_the_team_forms(editor_client, product, platform):
    response = editor_client.get(teams_url(product))

    assert b"Rename or set capacity" in response.content
    assert b"Add team" in response.content


def test_a_team_of_another_product_only_is_not_listed(viewer_client, product):
    other = ProductFactory(slug="other")
    TeamCapacityFactory(product=other, team=TeamFactory(name="Elsewhere"))

    response = viewer_client.get(teams_url(product))

    assert b"Elsewhere" not in response.content


@pytest.mark.parametrize("count", [10, 1000])
def test_the_teams_page_query_count_is_constant(
    viewer_client, product, django_assert_num_queries, count
):
    teams = [TeamFactory(name=f"Team {n}") for n in range(3)]
    outcome = OutcomeFactory(roadmap=product.roadmap, teams=teams)
    Feature.objects.bulk_create(
        Feature(
            roadmap=product.roadmap,
            title=f"F{n}",
            team=teams[n % 3],
            horizon=["current", "soon", "future"][n % 3],
            outcome=outcome,
            position=n,
        )
        for n in range(count)
    )
    TeamDependency.objects.bulk_create(
        TeamDependency(team=teams[n % 3], outcome=outcome) for n in range(count // 10)
    )

    # user, product with its members, roadmap, teams, capacities, owned outcomes,
    # owned features, dependencies
    with django_assert_num_queries(8):
        response = viewer_client.get(teams_url(product))

    assert response.status_code == 200


def test_an_editor_adds_a_new_team(editor_client, product):
    revision = Product.objects.get(pk=product.pk).revision

    response = editor_client.post(
        teams_url(product, "roadmap:team_add"), {"name": "Data science"}
    )

    team = Team.objects.get(name="Data science")
    assert response.status_code == 302
    assert TeamCapacity.objects.filter(product=product, team=team).exists()
    assert Product.objects.get(pk=product.pk).revision == revision + 1
    assert HistoryEntry.objects.filter(
        product=product, action="created", item_title="Team “Data science”"
    ).exists()


def test_adding_a_team_another_product_has_shares_it(editor_client, product):
    shared = TeamFactory(name="Platform")
    TeamCapacityFactory(product=ProductFactory(slug="other"), team=shared)

    editor_client.post(teams_url(product, "roadmap:team_add"), {"name": "platform"})

    assert Team.objects.filter(name__iexact="platform").count() == 1
    assert TeamCapacity.objects.filter(team=shared).count() == 2


def test_an_editor_renames_a_team(editor_client, product, platform):
    FeatureFactory(roadmap=product.roadmap, team=platform)

    response = editor_client.post(
        teams_url(product, "roadmap:team_rename", platform.pk),
        {"name": "Core platform", "version": platform.version},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b"Core platform" in response.content
    assert b"<html" not in response.content
    assert Team.objects.get(pk=platform.pk).name == "Core platform"
    entry = HistoryEntry.objects.get(product=product, field="name")
    assert (entry.before, entry.after) == ("Platform", "Core platform")


def test_a_team_shared_with_a_product_the_editor_cannot_change_is_not_renamed(
    editor_client, product, platform
):
    TeamCapacityFactory(product=ProductFactory(slug="other"), team=platform)

    response = editor_client.post(
        teams_url(product, "roadmap:team_rename", platform.pk),
        {"name": "Core platform", "version": platform.version},
    )

    assert response.status_code == 200
    assert "Another product you do not edit counts on this team" in (
        response.content.decode()
    )
    assert Team.objects.get(pk=platform.pk).name == "Platform"


def test_renaming_to_a_taken_name_is_refused(editor_client, product, platform):
    TeamFactory(name="Growth")

    response = editor_client.post(
        teams_url(product, "roadmap:team_rename", platform.pk),
        {"name": "growth", "version": platform.version},
    )

    assert "A team named “growth” exists already." in response.content.decode()


def test_a_stale_rename_is_a_conflict(editor_client, product, platform):
    Team.objects.filter(pk=platform.pk).update(name="Infra", version=5)

    response = editor_client.post(
        teams_url(product, "roadmap:team_rename", platform.pk),
        {"name": "Core platform", "version": 1},
    )

    assert response.status_code == 409
    assert Team.objects.get(pk=platform.pk).name == "Infra"


def test_the_first_capacity_of_a_team_on_the_plan_creates_its_row(
    editor_client, product
):
    team = TeamFactory(name="Growth")
    FeatureFactory(roadmap=product.roadmap, team=team)

    editor_client.post(
        teams_url(product, "roadmap:team_capacity", team.pk),
        {"current_capacity": "3", "soon_capacity": "", "future_capacity": "1"},
    )

    row = TeamCapacity.objects.get(product=product, team=team)
    assert (row.current_capacity, row.soon_capacity, row.future_capacity) == (
        3,
        None,
        1,
    )
    assert HistoryEntry.objects.filter(
        product=product, field="current_capacity", after=3
    ).exists()


def test_a_capacity_saved_over_someone_elses_is_a_conflict(
    editor_client, product, platform
):
    TeamCapacity.objects.filter(team=platform).update(soon_capacity=4, version=3)

    response = editor_client.post(
        teams_url(product, "roadmap:team_capacity", platform.pk),
        {"soon_capacity": "2", "version": 1},
    )

    assert response.status_code == 409
    assert TeamCapacity.objects.get(team=platform).soon_capacity == 4


def test_a_team_not_on_the_plan_cannot_be_edited_here(editor_client, product):
    stranger = TeamFactory(name="Elsewhere")

    response = editor_client.post(
        teams_url(product, "roadmap:team_capacity", stranger.pk),
        {"current_capacity": "3"},
    )

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["team_add", "team_rename", "team_capacity"])
def test_a_viewer_changes_no_team(viewer_client, product, platform, name):
    args = [] if name == "team_add" else [platform.pk]

    response = viewer_client.post(
        teams_url(product, f"roadmap:{name}", *args),
        {"name": "X", "current_capacity": "9", "version": 1},
    )

    assert response.status_code == 403
    assert Team.objects.get(pk=platform.pk).name == "Platform"


# Dependencies -----------------------------------------------------------------


@pytest.fixture
def blocked(product, platform):
    feature = FeatureFactory(roadmap=product.roadmap, title="Fit predictor")
    return TeamDependencyFactory(
        team=platform,
        outcome=None,
        feature=feature,
        status="blocked",
        note="Waiting on the data agreement.",
        due_date=timezone.localdate() - dt.timedelta(days=3),
    )


def deps_url(product, query=""):
    return reverse("roadmap:dependencies", args=[product.slug]) + query


def test_the_dependency_view_lists_them_with_overdue_marked(
    viewer_client, product, blocked
):
    TeamDependencyFactory(
        outcome=OutcomeFactory(roadmap=product.roadmap, title="Brand reach"),
        team=TeamFactory(name="Partnerships"),
        due_date=timezone.localdate() + dt.timedelta(days=10),
    )

    response = viewer_client.get(deps_url(product))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Fit predictor" in html
    assert "Brand reach" in html
    assert html.count("Overdue</strong>") == 1
    assert "Waiting on the data agreement." in html
    assert 'class="dependency-edit"' not in html


def test_the_dependency_view_filters_by_team_and_status_in_the_url(
    viewer_client, product, blocked, platform
):
    TeamDependencyFactory(
        outcome=OutcomeFactory(roadmap=product.roadmap, title="Brand reach"),
        team=TeamFactory(name="Partnerships"),
    )

    by_team = viewer_client.get(deps_url(product, f"?team={platform.pk}"))
    by_status = viewer_client.get(deps_url(product, "?status=needed"))
    overdue = viewer_client.get(deps_url(product, "?overdue=on"))

    assert b"Fit predictor" in by_team.content
    assert b"Brand reach" not in by_team.content
    assert b"Brand reach" in by_status.content
    assert b"Fit predictor" not in by_status.content
    assert b"Fit predictor" in overdue.content
    assert b"Brand reach" not in overdue.content


def test_a_dependency_of_another_product_is_not_listed(viewer_client, product):
    TeamDependencyFactory(outcome=OutcomeFactory(title="Someone else's"))

    response = viewer_client.get(deps_url(product))

    assert "Someone else's" not in response.content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_the_dependency_view_query_count_is_constant(
    editor_client, product, django_assert_num_queries, count
):
    teams = [TeamFactory(name=f"Team {n}") for n in range(3)]
    outcome = OutcomeFactory(roadmap=product.roadmap)
    features = Feature.objects.bulk_create(
        Feature(roadmap=product.roadmap, title=f"F{n}", position=n)
        for n in range(count)
    )
    TeamDependency.objects.bulk_create(
        TeamDependency(
            team=teams[n % 3],
            outcome=outcome if n % 2 else None,
            feature=None if n % 2 else features[n],
            status="blocked",
        )
        for n in range(count)
    )

    # user, product with its members, roadmap, the filter's teams, count, page, and
    # the new dependency form's outcomes, features and teams
    with django_assert_num_queries(9):
        response = editor_client.get(deps_url(product, "?status=blocked"))

    assert response.status_code == 200


def edit(client, product, dependency, data, **kwargs):
    return client.post(
        reverse("roadmap:dependency_edit", args=[product.slug, dependency.pk]),
        data,
        **kwargs,
    )


def test_an_editor_marks_a_dependency_blocked_inline(editor_client, product):
    dependency = TeamDependencyFactory(outcome=OutcomeFactory(roadmap=product.roadmap))
    revision = Product.objects.get(pk=product.pk).revision

    response = edit(
        editor_client,
        product,
        dependency,
        {
            "status": "blocked",
            "note": "No one free until March.",
            "due_date": "2026-12-01",
            "version": dependency.version,
        },
        headers={"HX-Request": "true"},
    )

    dependency.refresh_from_db()
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert f'id="dependency-{dependency.pk}"'.encode() in response.content
    assert (dependency.status, dependency.note) == (
        "blocked",
        "No one free until March.",
    )
    assert dependency.due_date == dt.date(2026, 12, 1)
    assert Product.objects.get(pk=product.pk).revision == revision + 1
    entries = HistoryEntry.objects.filter(item_kind="dependency", item_id=dependency.pk)
    assert {(e.field, e.before, e.after) for e in entries} >= {
        ("status", "needed", "blocked")
    }


def test_a_plain_post_saves_and_goes_back_to_the_filtered_list(
    editor_client, product, blocked
):
    back = deps_url(product, "?status=blocked")

    response = edit(
        editor_client,
        product,
        blocked,
        {"status": "agreed", "note": "", "version": blocked.version, "next": back},
    )

    assert response.status_code == 302
    assert response["Location"] == back
    assert TeamDependency.objects.get(pk=blocked.pk).status == "agreed"


def test_a_dependency_saved_over_someone_elses_is_a_conflict(
    editor_client, product, blocked
):
    TeamDependency.objects.filter(pk=blocked.pk).update(status="done", version=4)

    response = edit(
        editor_client,
        product,
        blocked,
        {"status": "agreed", "version": blocked.version},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    assert TeamDependency.objects.get(pk=blocked.pk).status == "done"


def test_a_viewer_cannot_change_a_dependency(viewer_client, product, blocked):
    response = edit(viewer_client, product, blocked, {"status": "done", "version": 1})

    assert response.status_code == 403
    assert TeamDependency.objects.get(pk=blocked.pk).status == "blocked"


def test_an_editor_of_another_product_cannot_change_it(client, blocked, product):
    other = ProductFactory(slug="other")
    editor = other.editors.create(username="other-editor")
    client.force_login(editor)

    response = edit(client, other, blocked, {"status": "done", "version": 1})

    assert response.status_code == 404
    assert TeamDependency.objects.get(pk=blocked.pk).status == "blocked"


def test_an_editor_adds_a_dependency_for_a_feature(editor_client, product):
    feature = FeatureFactory(roadmap=product.roadmap, title="Storefronts")
    team = TeamFactory(name="Partnerships")

    response = editor_client.post(
        reverse("roadmap:dependency_add", args=[product.slug]),
        {
            "card": f"feature-{feature.pk}",
            "team": team.pk,
            "description": "Partner API",
            "status": "needed",
        },
    )

    assert response.status_code == 302
    dependency = TeamDependency.objects.get(feature=feature)
    assert dependency.team == team
    assert HistoryEntry.objects.filter(
        item_kind="dependency", item_id=dependency.pk, action="created"
    ).exists()


def test_a_dependency_on_another_products_card_is_refused(editor_client, product):
    stranger = FeatureFactory(roadmap__product=ProductFactory(slug="other"))

    response = editor_client.post(
        reverse("roadmap:dependency_add", args=[product.slug]),
        {"card": f"feature-{stranger.pk}", "team": TeamFactory().pk},
    )

    assert response.status_code == 200
    assert not TeamDependency.objects.exists()


# Where a blocked dependency shows ---------------------------------------------


def test_a_blocked_dependency_shows_on_its_board_card(product, blocked):
    card = engine.load_card(product.roadmap, "feature", blocked.feature_id)

    html = engine.render_card(card, engine.Page(product.slug, False))
    assert card.blocked_by == ("Platform",)
    assert "Blocked" in html
    assert "waiting on Platform" in html


def test_the_board_grid_shows_the_block_after_the_status_changes(
    editor_client, product, blocked
):
    TeamDependency.objects.filter(pk=blocked.pk).update(status="agreed")
    product.refresh_from_db()
    before, _ = render_grid(product, engine.BoardFilters(), editable=True)

    edit(
        editor_client,
        product,
        blocked,
        {"status": "blocked", "version": blocked.version},
    )
    product.refresh_from_db()
    after, _ = render_grid(product, engine.BoardFilters(), editable=True)

    assert "waiting on Platform" not in before
    assert "waiting on Platform" in after


def test_a_blocked_dependency_is_a_gap_on_the_line_of_sight(product, blocked):
    TeamDependencyFactory(outcome=OutcomeFactory(roadmap=product.roadmap))

    line = load_line_of_sight(product)

    blocked_gaps = [g for g in line.gaps if g.kind == GapKind.DEPENDENCY_BLOCKED]
    assert [g.item.pk for g in blocked_gaps] == [blocked.pk]
    assert blocked_gaps[0].title == "Fit predictor waits on Platform"
