"""A board read after a write is patched from the board before it, and never stale.

Card edits and moves record what they changed (roadmap.board_data); the next
read at the new revision patches the data of the revision before instead of
reading the whole board again. Each test reads the board, makes one write by
the route a person uses, and checks that the board read next was patched
(no read from scratch) and equals the board read from scratch, with the
filters a person may have on.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import caches
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from roadmap import board_data as data_module
from roadmap.board import FIRST_PAGE, BoardFilters
from roadmap.board_data import BoardData, board_data, change_key, read
from roadmap.models import Challenge, Feature, Outcome, SuccessMetric, Team
from strategy.revision import plan_changed
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    OutcomeFactory,
    TeamFactory,
)
from tests.roadmap.test_board import HTMX, metric_card
from tests.strategy.factories import GoalFactory, ThemeFactory

pytestmark = pytest.mark.django_db

FILTERS = {
    "no filter": {},
    "a goal": {"goal": "first goal"},
    "a theme": {"theme": "first theme"},
    "a team": {"team": "first team"},
    "a status": {"status": "active"},
}


@pytest.fixture
def plan(product):
    """A board with more cards than a cell paints, linked across its rows."""
    roadmap = product.roadmap
    themes = [ThemeFactory(product=product, title=f"Theme {i}") for i in range(2)]
    goals = [
        GoalFactory(product=product, theme=themes[i % 2], title=f"Goal {i}")
        for i in range(3)
    ]
    teams = [TeamFactory(name=f"Team {i}") for i in range(3)]
    outcomes = [
        OutcomeFactory(
            roadmap=roadmap,
            horizon=("current", "soon", "future")[i % 3],
            goal=goals[i % 3],
            status=("active", "proposed")[i % 2],
            teams=[teams[i % 3]],
            title=f"Outcome {i}",
        )
        for i in range(9)
    ]
    for i in range(FIRST_PAGE * 2):
        outcome = outcomes[i % len(outcomes)]
        FeatureFactory(
            roadmap=roadmap,
            outcome=outcome,
            horizon="soon" if i % 3 else "current",
            team=teams[i % 3],
            title=f"Feature {i}",
        )
        ChallengeFactory(
            roadmap=roadmap, outcome=outcome, horizon="soon", title=f"Challenge {i}"
        )
    for i in range(6):
        metric_card(
            roadmap,
            outcome=outcomes[i],
            values=[100, 150 + i],
            name=f"Metric {i}",
            horizon=outcomes[i].horizon,
        )
    return product


@pytest.fixture
def reads_from_scratch(monkeypatch):
    """Count the boards read from scratch rather than patched."""
    count = []
    real = data_module.read

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(data_module, "read", counting)
    return count


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the writes' on-commit work, as a request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def filters_for(product, names: dict[str, str]) -> BoardFilters:
    values: dict[str, object] = {}
    if "goal" in names:
        values["goal"] = product.goals.order_by("pk").first().pk
    if "theme" in names:
        values["theme"] = product.themes.order_by("pk").first().pk
    if "team" in names:
        values["team"] = Team.objects.order_by("pk").first().pk
    if "status" in names:
        values["status"] = names["status"]
    return BoardFilters(**values)


def board_now(product, filters, loaded=None) -> BoardData:
    product.refresh_from_db()
    return board_data(
        product.roadmap, filters, loaded=loaded or {}, revision=product.revision
    )


def assert_same_board(product, filters, loaded=None):
    patched = board_now(product, filters, loaded)
    scratch = read(product.roadmap, filters, loaded or {}, timezone.localdate())
    assert patched.grid == scratch.grid
    assert patched.options == scratch.options


def url(product, name: str, *args) -> str:
    return reverse(f"roadmap:{name}", args=[product.slug, *args])


def edit(client, product, card, **changes):
    """Post the card's edit form as it was drawn, with `changes`."""
    kind = {
        Outcome: "outcome",
        Challenge: "challenge",
        Feature: "feature",
        SuccessMetric: "success_metric",
    }[type(card)]
    if kind == "success_metric":
        kr = card.key_result
        data = {
            "kr_version": kr.version,
            "outcome": card.outcome_id or "",
            "metric": kr.metric_id,
            "baseline": kr.baseline,
            "target": kr.target,
            "start_date": kr.start_date,
            "due_date": kr.due_date,
        }
    else:
        data = {
            name: value
            for name, value in model_to_dict(card).items()
            if value is not None and name not in ("id", "roadmap")
        }
        if kind == "outcome":
            data["teams"] = [team.pk for team in data.get("teams", [])]
    for flag in ("is_customer_visible", "safe_to_promise"):
        if data.get(flag) is False:
            del data[flag]
    data.update(changes, version=card.version)
    response = client.post(url(product, "card_edit", kind, card.pk), data, headers=HTMX)
    assert response.status_code == 200, response.content.decode()[:500]
    assert "conflict" not in response.content.decode().lower()


def first(model, **lookups):
    return model.objects.filter(**lookups).order_by("pk").first()


EDITS = {
    "a feature's title": lambda p: (
        first(Feature, horizon="soon"),
        {"title": "Renamed"},
    ),
    "a challenge's status": lambda p: (
        first(Challenge, horizon="soon"),
        {"status": "resolved"},
    ),
    "an outcome's title, which its cards show": lambda p: (
        first(Outcome),
        {"title": "Renamed outcome"},
    ),
    "a feature's outcome, which both outcomes count": lambda p: (
        first(Feature, horizon="soon"),
        {"outcome": first(Outcome, title="Outcome 5").pk},
    ),
    "a feature's team, which the team filter reads": lambda p: (
        first(Feature, horizon="current"),
        {"team": Team.objects.order_by("pk").last().pk},
    ),
    "a key result's target, which its outcome's bar draws": lambda p: (
        first(SuccessMetric),
        {"target": Decimal("160")},
    ),
    "a success metric's outcome": lambda p: (
        first(SuccessMetric),
        {"outcome": first(Outcome, title="Outcome 7").pk},
    ),
}


@pytest.mark.parametrize("filter_names", FILTERS.values(), ids=FILTERS.keys())
@pytest.mark.parametrize("write", EDITS.keys())
def test_a_card_edit_patches_the_board_to_the_board_read_from_scratch(
    editor_client, plan, reads_from_scratch, committed, write, filter_names
):
    filters = filters_for(plan, filter_names)
    board_now(plan, filters)
    card, changes = EDITS[write](plan)

    with committed():
        edit(editor_client, plan, card, **changes)
    read_before = len(reads_from_scratch)
    assert_same_board(plan, filters)

    assert len(reads_from_scratch) == read_before


MOVES = {
    "to another horizon, before a card": lambda: {
        "horizon": "current",
        "before": first(Feature, horizon="current").pk,
    },
    "to another horizon, last": lambda: {"horizon": "future"},
    "one place down": lambda: {"direction": "down"},
    "one place up": lambda: {"direction": "up"},
}


@pytest.mark.parametrize("filter_names", FILTERS.values(), ids=FILTERS.keys())
@pytest.mark.parametrize("move", MOVES.keys())
def test_a_card_move_patches_the_board_to_the_board_read_from_scratch(
    editor_client, plan, reads_from_scratch, committed, move, filter_names
):
    filters = filters_for(plan, filter_names)
    board_now(plan, filters)
    feature = Feature.objects.filter(horizon="soon").order_by("position")[3]

    with committed():
        response = editor_client.post(
            url(plan, "card_move", "feature", feature.pk),
            {"version": feature.version, **MOVES[move]()},
            headers=HTMX,
        )
    assert response.status_code == 200
    read_before = len(reads_from_scratch)
    assert_same_board(plan, filters)

    assert len(reads_from_scratch) == read_before


def test_a_move_patches_a_board_holding_more_than_its_first_page(
    editor_client, plan, reads_from_scratch, committed
):
    loaded = {"feature-soon": FIRST_PAGE + 6}
    board_now(plan, BoardFilters(), loaded)
    feature = Feature.objects.filter(horizon="soon").order_by("position")[FIRST_PAGE]

    with committed():
        editor_client.post(
            url(plan, "card_move", "feature", feature.pk),
            {"version": feature.version, "direction": "up"},
            headers=HTMX,
        )
    read_before = len(reads_from_scratch)
    assert_same_board(plan, BoardFilters(), loaded)

    assert len(reads_from_scratch) == read_before


def test_several_writes_between_two_reads_are_patched_together(
    editor_client, plan, reads_from_scratch, committed
):
    board_now(plan, BoardFilters())
    with committed():
        edit(editor_client, plan, first(Feature, horizon="soon"), title="One")
        edit(editor_client, plan, first(Outcome), title="Two")
        feature = first(Feature, horizon="current")
        editor_client.post(
            url(plan, "card_move", "feature", feature.pk),
            {"version": feature.version, "horizon": "future"},
            headers=HTMX,
        )
    read_before = len(reads_from_scratch)
    # Clear what the write views cached on the way, so this read chains.
    plan.refresh_from_db()
    caches["board"].delete(
        data_module.data_key(
            plan.pk, plan.revision, BoardFilters(), {}, timezone.localdate()
        )
    )
    assert_same_board(plan, BoardFilters())

    assert len(reads_from_scratch) == read_before


def test_an_outcome_status_change_reads_the_board_again(
    editor_client, plan, reads_from_scratch, committed
):
    """Its cards follow it through the status filter: not worth patching."""
    filters = BoardFilters(status="active")
    board_now(plan, filters)

    with committed():
        edit(editor_client, plan, first(Outcome, status="active"), status="proposed")
    read_before = len(reads_from_scratch)
    assert_same_board(plan, filters)

    assert len(reads_from_scratch) == read_before + 1


def test_a_write_that_records_nothing_reads_the_board_again(
    plan, reads_from_scratch, committed
):
    """A revision with no recorded change (here a raw update) is read whole."""
    board_now(plan, BoardFilters())
    with committed():
        Feature.objects.filter(pk=first(Feature, horizon="soon").pk).update(
            title="Changed elsewhere"
        )
        plan_changed(plan.pk)
    read_before = len(reads_from_scratch)

    assert_same_board(plan, BoardFilters())

    assert len(reads_from_scratch) == read_before + 1
    assert "Changed elsewhere" in {
        card.title
        for cell in board_now(plan, BoardFilters()).grid.cells()
        for card in cell.cards
    }


def test_a_change_the_cache_lost_reads_the_board_again(
    editor_client, plan, reads_from_scratch, committed
):
    board_now(plan, BoardFilters())
    with committed():
        edit(editor_client, plan, first(Feature, horizon="soon"), title="Renamed")
    plan.refresh_from_db()
    caches["board"].clear()
    read_before = len(reads_from_scratch)

    assert_same_board(plan, BoardFilters())

    assert len(reads_from_scratch) == read_before + 1


def test_a_write_rolled_back_records_nothing(editor, plan, committed, monkeypatch):
    """A change is kept when its transaction commits, under its revision."""
    from roadmap import services

    def failing(**kwargs):
        raise RuntimeError

    monkeypatch.setattr(services, "notify_requesters", failing)
    feature = first(Feature, horizon="soon")
    with committed(), pytest.raises(RuntimeError):
        services.card_update(
            roadmap=plan.roadmap,
            card=feature,
            version=feature.version,
            values={"title": "Never saved"},
            actor=editor,
        )
    plan.refresh_from_db()

    assert caches["board"].get(change_key(plan.pk, plan.revision + 1)) is None
