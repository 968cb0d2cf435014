from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from roadmap.models import Feature, Horizon, Outcome, Roadmap
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    InsightFactory,
    OutcomeFactory,
    RoadmapFactory,
    SuccessMetricFactory,
    TeamDependencyFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def test_roadmap_horizons_use_its_own_labels_and_hints():
    roadmap = RoadmapFactory(
        current_label="Now",
        soon_label="Next",
        future_label="Later",
        soon_hint="Q1 2027",
    )

    assert roadmap.horizons == [
        ("current", "Now", ""),
        ("soon", "Next", "Q1 2027"),
        ("future", "Later", ""),
    ]


def test_roadmap_horizon_labels_must_not_be_blank():
    with pytest.raises(IntegrityError):
        RoadmapFactory(soon_label=" ")


def test_a_product_has_one_roadmap():
    roadmap = RoadmapFactory()

    with pytest.raises(IntegrityError):
        Roadmap.objects.create(product=roadmap.product)


@pytest.mark.parametrize(
    "factory",
    [OutcomeFactory, ChallengeFactory, FeatureFactory],
    ids=lambda f: f.__name__,
)
def test_card_titles_must_not_be_blank(factory):
    with pytest.raises(IntegrityError):
        factory(title="  ")


@pytest.mark.parametrize(
    "factory",
    [OutcomeFactory, ChallengeFactory, FeatureFactory, SuccessMetricFactory],
    ids=lambda f: f.__name__,
)
def test_card_horizon_must_be_current_soon_or_future(factory):
    with pytest.raises(IntegrityError):
        factory(horizon="someday")


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "maybe"), ("confidence", "vague"), ("category", "vanity")],
)
def test_outcome_choices_are_enforced_by_the_database(field, value):
    with pytest.raises(IntegrityError):
        OutcomeFactory(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [("stage", "dreamt"), ("effort", "q"), ("expected_impact", "huge")],
)
def test_feature_choices_are_enforced_by_the_database(field, value):
    with pytest.raises(IntegrityError):
        FeatureFactory(**{field: value})


def test_challenge_status_is_enforced_by_the_database():
    with pytest.raises(IntegrityError):
        ChallengeFactory(status="ignored")


def test_alive_cards_leave_out_soft_deleted_ones_and_deleted_lists_them():
    roadmap = RoadmapFactory()
    kept = OutcomeFactory(roadmap=roadmap)
    gone = OutcomeFactory(roadmap=roadmap, deleted_at=timezone.now())

    assert list(Outcome.objects.filter(roadmap=roadmap).alive()) == [kept]
    assert list(Outcome.objects.filter(roadmap=roadmap).deleted()) == [gone]
    assert gone.is_deleted


def test_cards_are_ordered_by_position_within_a_horizon():
    roadmap = RoadmapFactory()
    second = FeatureFactory(roadmap=roadmap, horizon=Horizon.SOON, position=2)
    first = FeatureFactory(roadmap=roadmap, horizon=Horizon.SOON, position=1)
    FeatureFactory(roadmap=roadmap, horizon=Horizon.CURRENT, position=0)

    assert list(Feature.objects.filter(roadmap=roadmap).in_horizon(Horizon.SOON)) == [
        first,
        second,
    ]


def test_new_cards_start_at_version_one():
    assert OutcomeFactory().version == 1


def test_success_metric_card_reads_as_its_key_result():
    card = SuccessMetricFactory(key_result__metric__name="weekly signups")

    assert card.title == card.key_result.statement
    assert "weekly signups" in str(card)


def test_a_key_result_appears_on_the_board_at_most_once():
    card = SuccessMetricFactory()

    with pytest.raises(IntegrityError):
        SuccessMetricFactory(roadmap=card.roadmap, key_result=card.key_result)


def test_team_names_are_unique():
    TeamFactory(name="Growth")

    with pytest.raises(IntegrityError):
        TeamFactory._meta.model.objects.create(name="Growth")


def test_team_dependency_belongs_to_exactly_one_card():
    dependency = TeamDependencyFactory.build(
        team=TeamFactory(), outcome=OutcomeFactory(), feature=FeatureFactory()
    )

    with pytest.raises(IntegrityError):
        dependency.save()


def test_team_dependency_needs_a_card():
    with pytest.raises(IntegrityError):
        TeamDependencyFactory(outcome=None)


def test_insight_text_must_not_be_blank():
    with pytest.raises(IntegrityError):
        InsightFactory(text=" ")


def test_insight_source_must_be_known():
    with pytest.raises(IntegrityError):
        InsightFactory(source="gossip")


def test_a_cards_check_constraints_are_validated_where_its_fields_are():
    """As in the admin: model validation still checks the card's constraints."""
    feature = FeatureFactory.build(
        roadmap=RoadmapFactory(), title="Quiz", horizon="someday"
    )

    with pytest.raises(ValidationError) as raised:
        feature.validate_constraints()

    assert "roadmap_feature_horizon_valid" in str(raised.value)


def test_a_card_with_every_field_left_out_has_no_constraint_to_check():
    feature = FeatureFactory.build(
        roadmap=RoadmapFactory(), title="Quiz", horizon="someday"
    )

    feature.validate_constraints(exclude={f.name for f in Feature._meta.fields})
