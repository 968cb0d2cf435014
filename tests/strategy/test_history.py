"""One history for everything: every service write leaves an entry.

Each scenario makes one kind of change to one kind of item through its
service, as the views and the API do, and names the entry it must leave:
the kind of item, its id, the action and the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from metrics import services as metric_services
from metrics.models import Measurement
from roadmap import services as board_services
from roadmap import sharing
from roadmap.models import Feature, Insight, Outcome, ShareLink
from strategy import history
from strategy import services as strategy_services
from strategy.models import HistoryEntry
from tests.metrics.factories import (
    KeyResultFactory,
    MeasurementFactory,
    MetricFactory,
)
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    SuccessMetricFactory,
    TeamDependencyFactory,
    TeamFactory,
)
from tests.strategy.factories import (
    ApiTokenFactory,
    GoalFactory,
    HistoryEntryFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Scenario = Callable[[Any, Any], Any]


# Strategy -----------------------------------------------------------------


def product_created(product, editor):
    return strategy_services.product_create(name="Atlas", slug="atlas", actor=editor)


def product_renamed(product, editor):
    strategy_services.product_update_settings(
        product=product, name="Style", slug=product.slug, editors=[editor], actor=editor
    )
    return product


def vision_board_updated(product, editor):
    strategy_services.vision_board_update(
        product=product,
        version=product.version,
        values={"vision_statement": "Dress well in a minute."},
        actor=editor,
    )
    return product


def theme_created(product, editor):
    return strategy_services.theme_create(
        product=product,
        values={"title": "Win new shoppers", "start_year": 2027, "end_year": 2028},
        actor=editor,
    )


def theme_updated(product, editor):
    theme = ThemeFactory(product=product)
    return strategy_services.theme_update(
        theme=theme, version=1, values={"title": "Keep shoppers"}, actor=editor
    )


def goal_created(product, editor):
    return strategy_services.goal_create(
        product=product,
        values={
            "title": "Grow repeat purchases",
            "start_date": dt.date(2027, 1, 1),
            "end_date": dt.date(2027, 12, 31),
        },
        actor=editor,
    )


def goal_updated(product, editor):
    goal = GoalFactory(product=product)
    return strategy_services.goal_update(
        goal=goal, version=1, values={"title": "Grow loyalty"}, actor=editor
    )


def goal_linked_to_a_theme(product, editor):
    goal = GoalFactory(product=product, theme=None)
    return strategy_services.goal_update(
        goal=goal,
        version=1,
        values={"theme": ThemeFactory(product=product)},
        actor=editor,
    )


def goal_archived(product, editor):
    goal = GoalFactory(product=product)
    return strategy_services.goal_set_archived(
        goal=goal, is_archived=True, actor=editor
    )


def api_token_created(product, editor):
    return strategy_services.api_token_create(
        product=product, name="Warehouse", created_by=editor
    )[0]


def api_token_revoked(product, editor):
    token = ApiTokenFactory(product=product)
    return strategy_services.api_token_revoke(token=token, actor=editor)


# Metrics ------------------------------------------------------------------


def metric_created(product, editor):
    return metric_services.metric_create(
        product=product, values={"name": "Saved outfits"}, actor=editor
    )


def metric_updated(product, editor):
    metric = MetricFactory(product=product)
    return metric_services.metric_update(
        metric=metric, version=1, values={"unit": "outfits"}, actor=editor
    )


def measurement_created(product, editor):
    metric = MetricFactory(product=product)
    return metric_services.measurement_create(
        metric=metric,
        values={"date": dt.date(2027, 1, 4), "value": Decimal("12")},
        actor=editor,
    )


def measurement_updated(product, editor):
    measurement = MeasurementFactory(metric=MetricFactory(product=product))
    return metric_services.measurement_update(
        measurement=measurement,
        version=measurement.version,
        values={"value": Decimal("99")},
        actor=editor,
    )


def measurement_deleted(product, editor):
    measurement = MeasurementFactory(metric=MetricFactory(product=product))
    pk = measurement.pk
    metric_services.measurement_delete(
        measurement=measurement, version=measurement.version, actor=editor
    )
    measurement.pk = pk
    return measurement


def measurement_replaced_by_the_api(product, editor):
    measurement = MeasurementFactory(
        metric=MetricFactory(product=product), value=Decimal("10")
    )
    metric_services.measurements_upsert(
        rows=[
            metric_services.MeasurementData(
                measurement.metric_id, measurement.date, Decimal("11")
            )
        ],
        source=Measurement.Source.API,
        actor=editor,
    )
    return measurement


def key_result_created(product, editor):
    return metric_services.key_result_create(
        values={
            "metric": MetricFactory(product=product),
            "baseline": Decimal("1"),
            "target": Decimal("5"),
            "start_date": dt.date(2027, 1, 1),
            "due_date": dt.date(2027, 6, 30),
        },
        actor=editor,
    )


def key_result_updated(product, editor):
    key_result = KeyResultFactory(metric__product=product)
    return metric_services.key_result_update(
        key_result=key_result,
        version=key_result.version,
        values={"target": Decimal("777")},
        actor=editor,
    )


def key_result_linked_to_a_goal(product, editor):
    key_result = KeyResultFactory(metric__product=product, goal=None)
    return metric_services.key_result_update(
        key_result=key_result,
        version=key_result.version,
        values={"goal": GoalFactory(product=product)},
        actor=editor,
    )


def check_in_created(product, editor):
    return metric_services.check_in_create(
        key_result=KeyResultFactory(metric__product=product),
        author=editor,
        values={"confidence": "high", "what_happened": "Shipped the quiz."},
    )


# Roadmap ------------------------------------------------------------------


def card_created(kind: str) -> Scenario:
    def create(product, editor):
        cards = {
            "outcome": Outcome(title="Shoppers save outfits"),
            "challenge": ChallengeFactory.build(title="Slow photos"),
            "feature": Feature(title="Style quiz"),
        }
        card = cards[kind]
        return board_services.card_create(
            roadmap=product.roadmap, card=card, actor=editor
        )

    return create


def a_card(kind: str, product):
    roadmap = product.roadmap
    if kind == "outcome":
        return OutcomeFactory(roadmap=roadmap)
    if kind == "challenge":
        return ChallengeFactory(roadmap=roadmap)
    if kind == "success_metric":
        return SuccessMetricFactory(
            roadmap=roadmap, key_result__metric__product=product
        )
    return FeatureFactory(roadmap=roadmap)


def card_moved(kind: str) -> Scenario:
    def move(product, editor):
        card = a_card(kind, product)
        board_services.card_move(
            roadmap=product.roadmap,
            card=card,
            version=card.version,
            horizon="future",
            actor=editor,
        )
        return card

    return move


def card_updated(kind: str) -> Scenario:
    def update(product, editor):
        card = a_card(kind, product)
        values = {"horizon": "soon"} if kind == "success_metric" else {}
        field = "description" if kind != "success_metric" else "horizon"
        values = values or {"description": "Now with a why."}
        board_services.card_update(
            roadmap=product.roadmap,
            card=card,
            version=card.version,
            values=values,
            actor=editor,
        )
        card.expected_field = field
        return card

    return update


def card_deleted(kind: str) -> Scenario:
    def delete(product, editor):
        card = a_card(kind, product)
        board_services.card_delete(
            roadmap=product.roadmap, card=card, version=card.version, actor=editor
        )
        return card

    return delete


def card_restored(kind: str) -> Scenario:
    def restore(product, editor):
        card = a_card(kind, product)
        card.deleted_at = timezone.now()
        card.save()
        board_services.card_restore(
            roadmap=product.roadmap, card=card, version=card.version, actor=editor
        )
        return card

    return restore


def card_linked(kind: str) -> Scenario:
    def link(product, editor):
        card = a_card(kind, product)
        card.outcome = None
        card.save()
        board_services.card_update(
            roadmap=product.roadmap,
            card=card,
            version=card.version,
            values={"outcome": OutcomeFactory(roadmap=product.roadmap)},
            actor=editor,
        )
        return card

    return link


def card_unlinked(kind: str) -> Scenario:
    def unlink(product, editor):
        card = a_card(kind, product)
        card.outcome = OutcomeFactory(roadmap=product.roadmap)
        card.save()
        board_services.card_update(
            roadmap=product.roadmap,
            card=card,
            version=card.version,
            values={"outcome": None},
            actor=editor,
        )
        return card

    return unlink


def outcome_teams_linked(product, editor):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    board_services.card_update(
        roadmap=product.roadmap,
        card=outcome,
        version=outcome.version,
        values={},
        teams=[TeamFactory()],
        actor=editor,
    )
    return outcome


def outcome_linked_to_a_goal(product, editor):
    outcome = OutcomeFactory(roadmap=product.roadmap, goal=None)
    board_services.card_update(
        roadmap=product.roadmap,
        card=outcome,
        version=outcome.version,
        values={"goal": GoalFactory(product=product)},
        actor=editor,
    )
    return outcome


def feature_linked_to_a_team(product, editor):
    feature = FeatureFactory(roadmap=product.roadmap, team=None)
    board_services.card_update(
        roadmap=product.roadmap,
        card=feature,
        version=feature.version,
        values={"team": TeamFactory()},
        actor=editor,
    )
    return feature


def success_metric_created(product, editor):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    return board_services.card_create(
        roadmap=product.roadmap,
        card=SuccessMetricFactory.build(outcome=outcome, key_result=None),
        actor=editor,
        key_result=KeyResultFactory.build(
            metric=MetricFactory(product=product), goal=None
        ),
    )


def dependency_added(product, editor):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    board_services.dependency_add(
        roadmap=product.roadmap,
        outcome=outcome,
        version=outcome.version,
        dependency=TeamDependencyFactory.build(team=TeamFactory(), outcome=None),
        actor=editor,
    )
    return outcome


def dependency_removed(product, editor):
    dependency = TeamDependencyFactory(outcome=OutcomeFactory(roadmap=product.roadmap))
    board_services.dependency_remove(
        roadmap=product.roadmap,
        outcome=dependency.outcome,
        version=dependency.outcome.version,
        dependency=dependency,
        actor=editor,
    )
    return dependency.outcome


def insight_created(product, editor):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    return board_services.insight_create(
        product=product,
        insight=Insight(
            outcome=outcome,
            source="sales",
            account="Contoso",
            text="Wants it",
            author=editor,
        ),
        actor=editor,
    )


def share_link_created(product, editor):
    return sharing.share_link_create(
        product=product,
        label="Board meeting",
        scope=ShareLink.Scope.INTERNAL,
        expires_on=None,
        created_by=editor,
    )[0]


def share_link_revoked(product, editor):
    link, _ = ShareLink.issue(product=product, label="Board meeting")
    return sharing.share_link_revoke(link=link, actor=editor)


SCENARIOS: dict[str, tuple[Scenario, str, str, str]] = {
    # name: (scenario, item kind, action, field)
    "product created": (product_created, "product", "created", ""),
    "product renamed": (product_renamed, "product", "updated", "name"),
    "vision board updated": (
        vision_board_updated,
        "vision_board",
        "updated",
        "vision_statement",
    ),
    "theme created": (theme_created, "theme", "created", ""),
    "theme updated": (theme_updated, "theme", "updated", "title"),
    "goal created": (goal_created, "goal", "created", ""),
    "goal updated": (goal_updated, "goal", "updated", "title"),
    "goal linked to a theme": (goal_linked_to_a_theme, "goal", "linked", "theme"),
    "goal archived": (goal_archived, "goal", "updated", "status"),
    "api token created": (api_token_created, "api_token", "created", ""),
    "api token revoked": (api_token_revoked, "api_token", "updated", "revoked_at"),
    "metric created": (metric_created, "metric", "created", ""),
    "metric updated": (metric_updated, "metric", "updated", "unit"),
    "measurement created": (measurement_created, "measurement", "created", ""),
    "measurement updated": (measurement_updated, "measurement", "updated", "value"),
    "measurement deleted": (measurement_deleted, "measurement", "deleted", ""),
    "measurement replaced by the api": (
        measurement_replaced_by_the_api,
        "measurement",
        "updated",
        "value",
    ),
    "key result created": (key_result_created, "key_result", "created", ""),
    "key result updated": (key_result_updated, "key_result", "updated", "target"),
    "key result linked to a goal": (
        key_result_linked_to_a_goal,
        "key_result",
        "linked",
        "goal",
    ),
    "check-in created": (check_in_created, "check_in", "created", ""),
    "outcome teams linked": (outcome_teams_linked, "outcome", "linked", "teams"),
    "outcome linked to a goal": (outcome_linked_to_a_goal, "outcome", "linked", "goal"),
    "feature linked to a team": (feature_linked_to_a_team, "feature", "linked", "team"),
    "success_metric created": (
        success_metric_created,
        "success_metric",
        "created",
        "",
    ),
    "dependency added": (dependency_added, "outcome", "linked", "dependencies"),
    "dependency removed": (dependency_removed, "outcome", "unlinked", "dependencies"),
    "insight created": (insight_created, "insight", "created", ""),
    "share link created": (share_link_created, "share_link", "created", ""),
    "share link revoked": (share_link_revoked, "share_link", "updated", "revoked_at"),
}
for _kind in ("outcome", "challenge", "feature"):
    SCENARIOS[f"{_kind} created"] = (card_created(_kind), _kind, "created", "")
for _kind in ("outcome", "challenge", "success_metric", "feature"):
    SCENARIOS[f"{_kind} moved"] = (card_moved(_kind), _kind, "moved", "horizon")
    SCENARIOS[f"{_kind} deleted"] = (card_deleted(_kind), _kind, "deleted", "")
    SCENARIOS[f"{_kind} restored"] = (card_restored(_kind), _kind, "restored", "")
for _kind in ("outcome", "challenge", "feature"):
    SCENARIOS[f"{_kind} updated"] = (
        card_updated(_kind),
        _kind,
        "updated",
        "description",
    )
SCENARIOS["success_metric updated"] = (
    card_updated("success_metric"),
    "success_metric",
    "updated",
    "horizon",
)
for _kind in ("challenge", "success_metric", "feature"):
    SCENARIOS[f"{_kind} linked"] = (card_linked(_kind), _kind, "linked", "outcome")
    SCENARIOS[f"{_kind} unlinked"] = (
        card_unlinked(_kind),
        _kind,
        "unlinked",
        "outcome",
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_service_write_leaves_an_entry_with_a_real_reference(
    name, product, editor
):
    scenario, kind, action, field = SCENARIOS[name]

    item = scenario(product, editor)

    entry = HistoryEntry.objects.filter(item_kind=kind, action=action).latest("id")
    assert entry.item_id == item.pk
    assert entry.field == field
    assert entry.actor == editor
    assert entry.item_title
    assert entry.product_id == (
        item.pk if kind == "product" and action == "created" else product.pk
    )
    assert timezone.now() - entry.created_at < dt.timedelta(minutes=1)


def test_an_update_keeps_the_value_before_and_after(product, editor):
    goal = GoalFactory(product=product, title="Grow loyalty")

    strategy_services.goal_update(
        goal=goal, version=1, values={"title": "Grow repeat buys"}, actor=editor
    )

    entry = HistoryEntry.objects.get(item_kind="goal", item_id=goal.pk)
    assert (entry.before, entry.after) == ("Grow loyalty", "Grow repeat buys")


def test_an_unchanged_save_leaves_no_entry(product, editor):
    goal = GoalFactory(product=product, title="Grow loyalty")

    strategy_services.goal_update(
        goal=goal, version=1, values={"title": "Grow loyalty"}, actor=editor
    )

    assert not HistoryEntry.objects.exists()


def test_a_measurement_replaced_by_an_import_keeps_its_old_value(product, editor):
    metric = MetricFactory(product=product, name="Saved outfits")
    MeasurementFactory(metric=metric, date=dt.date(2027, 1, 4), value=Decimal("10"))

    metric_services.measurements_import(
        product=product, text="Saved outfits,2027-01-04,12\n", actor=editor
    )

    entry = HistoryEntry.objects.get(item_kind="measurement")
    assert entry.action == "updated"
    assert entry.before == {"value": "10", "note": ""}
    assert entry.after["value"] == "12"
    assert entry.after["source"] == "import"
    assert (entry.parent_kind, entry.parent_id) == ("metric", metric.pk)
    assert entry.item_title == "Saved outfits on 2027-01-04"


def test_a_measurement_sent_again_unchanged_adds_no_entry(product):
    measurement = MeasurementFactory(
        metric=MetricFactory(product=product), value=Decimal("10"), note=""
    )

    metric_services.measurements_upsert(
        rows=[
            metric_services.MeasurementData(
                measurement.metric_id, measurement.date, Decimal("10")
            )
        ],
        source=Measurement.Source.API,
    )

    assert not HistoryEntry.objects.exists()


def test_an_api_write_names_its_token(product):
    token = ApiTokenFactory(product=product, name="Warehouse")
    metric = MetricFactory(product=product)

    metric_services.measurements_upsert(
        rows=[metric_services.MeasurementData(metric.pk, dt.date(2027, 1, 4), 5)],
        source=Measurement.Source.API,
        actor=token,
    )

    entry = HistoryEntry.objects.get()
    assert entry.actor is None
    assert entry.who == "API token “Warehouse”"


def test_a_measurement_sent_through_the_api_is_recorded(client, product):
    token, secret = ApiTokenFactory._meta.model.issue(
        product=product, name="CI", created_by=product.editors.get()
    )
    metric = MetricFactory(product=product)

    response = client.post(
        f"/api/v1/metrics/{metric.pk}/measurements",
        {"date": "2027-01-04", "value": "5"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 200
    entry = HistoryEntry.objects.get(item_kind="measurement")
    assert entry.actor_label == "API token “CI”"
    assert (entry.parent_kind, entry.parent_id) == ("metric", metric.pk)


def test_a_status_change_keeps_the_edit_forms_reason(product, editor):
    outcome = OutcomeFactory(roadmap=product.roadmap, status="active")

    board_services.card_update(
        roadmap=product.roadmap,
        card=outcome,
        version=outcome.version,
        values={"status": "dropped", "title": "Shoppers save outfits"},
        actor=editor,
        reason="The photo pipeline slipped a quarter.",
    )

    status = HistoryEntry.objects.get(field="status")
    title = HistoryEntry.objects.get(field="title")
    assert status.reason == "The photo pipeline slipped a quarter."
    assert title.reason == ""


def test_a_move_remembers_the_horizon_it_went_to(product, editor):
    outcome = OutcomeFactory(roadmap=product.roadmap, horizon="current")

    result = board_services.card_move(
        roadmap=product.roadmap,
        card=outcome,
        version=outcome.version,
        horizon="soon",
        actor=editor,
    )

    entry = HistoryEntry.objects.get(pk=result.entry_id)
    assert (entry.before, entry.after, entry.horizon) == ("current", "soon", "soon")


# Reasons ------------------------------------------------------------------


def test_add_reason_stores_the_authors_reason_once(editor):
    entry = HistoryEntryFactory(actor=editor)

    first = history.add_reason(entry=entry, user=editor, reason="  Ready sooner  ")
    second = history.add_reason(entry=entry, user=editor, reason="Changed my mind")

    entry.refresh_from_db()
    assert (first, second) == (True, False)
    assert entry.reason == "Ready sooner"


def test_add_reason_refuses_anyone_but_the_author(editor):
    entry = HistoryEntryFactory(actor=editor)

    stored = history.add_reason(entry=entry, user=UserFactory(), reason="Mine")

    entry.refresh_from_db()
    assert stored is False
    assert entry.reason == ""


def test_add_reason_refuses_after_the_window(editor):
    entry = HistoryEntryFactory(
        actor=editor,
        created_at=timezone.now() - history.REASON_WINDOW - dt.timedelta(seconds=1),
    )

    stored = history.add_reason(entry=entry, user=editor, reason="Late")

    entry.refresh_from_db()
    assert stored is False
    assert entry.reason == ""
