"""The plan's one change marker: every write to what the board shows bumps it.

Caches and ETags key on `Product.revision`, so a write that forgot to bump it
would leave boards stale. One test per kind of board write, through the URL a
person uses; refused writes leave it alone.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from strategy.models import Product
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    InsightFactory,
    OutcomeFactory,
    TeamDependencyFactory,
    TeamFactory,
)
from tests.roadmap.test_board import HTMX, metric_card
from tests.roadmap.test_board_cache import admin_change
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db


def revision(product) -> int:
    return Product.objects.get(pk=product.pk).revision


def url(product, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, *args])


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin)
    return client


@pytest.fixture
def outcome(product):
    return OutcomeFactory(roadmap=product.roadmap, title="Visitors see value")


@pytest.fixture
def feature(product, outcome):
    return FeatureFactory(roadmap=product.roadmap, title="Style quiz", outcome=outcome)


def test_adding_a_card_bumps_the_revision(editor_client, product):
    before = revision(product)

    editor_client.post(
        url(product, "card_create", "challenge"),
        {"title": "Cold start", "horizon": "soon"},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_editing_a_card_bumps_the_revision(editor_client, product, feature):
    before = revision(product)

    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {"version": 1, "title": "Style quiz 2", "stage": "idea"},
        headers=HTMX,
    )

    assert revision(product) == before + 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("card_move", {"version": 1, "horizon": "future"}),
        ("card_delete", {"version": 1}),
    ],
)
def test_moving_or_deleting_a_card_bumps_the_revision(
    editor_client, product, feature, name, data
):
    before = revision(product)

    editor_client.post(url(product, name, "feature", feature.pk), data, headers=HTMX)

    assert revision(product) == before + 1


def test_restoring_a_card_bumps_the_revision(editor_client, product, feature):
    editor_client.post(
        url(product, "card_delete", "feature", feature.pk), {"version": 1}, headers=HTMX
    )
    before = revision(product)

    editor_client.post(
        url(product, "card_restore", "feature", feature.pk),
        {"version": 2},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_linking_a_card_bumps_the_revision(editor_client, product, outcome):
    challenge = ChallengeFactory(roadmap=product.roadmap)
    before = revision(product)

    editor_client.post(
        url(product, "card_link", "challenge", challenge.pk),
        {"version": 1, "outcome": outcome.pk},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_moving_an_outcomes_linked_cards_bumps_the_revision(
    editor_client, product, outcome, feature
):
    editor_client.post(
        url(product, "card_move", "outcome", outcome.pk),
        {"version": 1, "horizon": "soon"},
        headers=HTMX,
    )
    before = revision(product)

    editor_client.post(
        reverse("roadmap:outcome_move_linked", args=[product.slug, outcome.pk]),
        {"version": 2},
        headers=HTMX,
    )

    assert revision(product) == before + 1


def test_adding_and_removing_a_team_dependency_bumps_the_revision(
    editor_client, product, outcome
):
    team = TeamFactory(name="Platform")
    before = revision(product)

    editor_client.post(
        reverse("roadmap:dependency_create", args=[product.slug, outcome.pk]),
        {"version": 1, "team": team.pk, "description": "An API", "status": "needed"},
        headers=HTMX,
    )
    dependency = outcome.dependencies.get()
    editor_client.post(
        reverse(
            "roadmap:dependency_delete",
            args=[product.slug, outcome.pk, dependency.pk],
        ),
        {"version": 2},
        headers=HTMX,
    )

    assert revision(product) == before + 2


def test_refused_board_writes_leave_the_revision_alone(
    editor_client, viewer_client, product, feature
):
    before = revision(product)

    viewer_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": 1, "horizon": "future"},
        headers=HTMX,
    )
    editor_client.post(
        url(product, "card_move", "feature", feature.pk),
        {"version": 9, "horizon": "future"},
        headers=HTMX,
    )
    editor_client.post(
        url(product, "card_edit", "feature", feature.pk),
        {"version": 1, "title": " ", "stage": "idea"},
        headers=HTMX,
    )

    assert revision(product) == before


# The admin ---------------------------------------------------------------------


def test_renaming_a_horizon_in_the_admin_bumps_the_revision(admin_client, product):
    before = revision(product)

    admin_change(admin_client, product.roadmap, soon_label="Next")

    assert revision(product) == before + 1


def test_a_card_saved_in_the_admin_bumps_its_products_revision(
    admin_client, product, feature
):
    other = ProductFactory()
    before, other_before = revision(product), revision(other)

    admin_change(admin_client, feature, title="Renamed in the admin")

    assert revision(product) == before + 1
    assert revision(other) == other_before


def test_a_key_result_card_saved_in_the_admin_bumps_the_revision(
    admin_client, product, outcome
):
    card = metric_card(product.roadmap, values=[100])
    before = revision(product)

    admin_change(admin_client, card, outcome=outcome.pk)

    assert revision(product) == before + 1


def test_a_team_renamed_in_the_admin_bumps_every_products_revision(
    admin_client, product
):
    other = ProductFactory()
    team = TeamFactory(name="Checkout crew")
    before, other_before = revision(product), revision(other)

    admin_change(admin_client, team, name="Payments crew")

    assert revision(product) == before + 1
    assert revision(other) == other_before + 1


def test_a_dependency_and_an_insight_saved_in_the_admin_bump_the_revision(
    admin_client, product, outcome
):
    dependency = TeamDependencyFactory(outcome=outcome)
    insight = InsightFactory(product=product, outcome=outcome)
    before = revision(product)

    admin_change(admin_client, dependency, description="A faster API")
    admin_change(admin_client, insight, text="Customers ask for it weekly")

    assert revision(product) == before + 2


def test_a_features_dependency_saved_in_the_admin_bumps_the_revision(
    admin_client, product, feature
):
    dependency = TeamDependencyFactory(outcome=None, feature=feature)
    before = revision(product)

    admin_change(admin_client, dependency, description="A faster API")

    assert revision(product) == before + 1


def test_deleting_a_card_in_the_admin_bumps_the_revision(
    admin_client, product, outcome
):
    before = revision(product)

    admin_client.post(
        reverse("admin:roadmap_outcome_delete", args=[outcome.pk]), {"post": "yes"}
    )

    assert revision(product) == before + 1


# Loaders -----------------------------------------------------------------------


def test_generating_a_roadmap_bumps_its_revision(db):
    from django.core.management import call_command

    call_command("generate_roadmap", "bench-tiny", "--scale", "0.01", verbosity=0)

    assert Product.objects.get(slug="bench-tiny").revision > 1
