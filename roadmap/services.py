"""Every write to the board: one transaction, history entries, a new revision.

Each service first bumps the product's plan revision (strategy.revision),
which locks the product row, so board writes to one roadmap are serialised
and positions stay consistent. Optimistic concurrency is the one mechanism
of strategy.concurrency: a conditional UPDATE on the card's version, and
StaleVersion when someone saved first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from metrics.models import KeyResult, Metric
from roadmap import board_data
from roadmap.models import (
    CLOSED_OUTCOME_STATUSES,
    Challenge,
    Evidence,
    Feature,
    FeatureStage,
    Insight,
    Outcome,
    OutcomeStatus,
    Roadmap,
    SuccessMetric,
    Team,
    TeamCapacity,
    TeamDependency,
)
from roadmap.notifications import notify_requesters
from strategy import history
from strategy.concurrency import StaleVersion, update_if_version
from strategy.history import as_json
from strategy.models import HistoryAction, HistoryEntry, ItemKind, Product
from strategy.revision import plan_changed

BoardCard = Outcome | Challenge | SuccessMetric | Feature

CARD_MODELS: dict[str, type[BoardCard]] = {
    "outcome": Outcome,
    "challenge": Challenge,
    "success_metric": SuccessMetric,
    "feature": Feature,
}

CARD_TYPES = {
    "outcome": ItemKind.OUTCOME,
    "challenge": ItemKind.CHALLENGE,
    "success_metric": ItemKind.SUCCESS_METRIC,
    "feature": ItemKind.FEATURE,
}

# Fields whose change links or unlinks a card rather than editing its text.
LINK_FIELDS = {"goal", "outcome", "team", "teams"}

# An edit's reason is kept with these fields' changes (the form asks for it
# when one of them changes).
REASON_FIELDS = {"status", "confidence"}


@dataclass(frozen=True)
class MoveResult:
    revision: int
    horizon_changed: bool
    # Linked cards of a moved outcome that stayed in another horizon.
    linked_elsewhere: int
    # The history entry of the move, which a reason may be added to.
    entry_id: int | None = None


@dataclass(frozen=True)
class WriteResult:
    revision: int
    # The history entry the write made, which a reason may be added to.
    entry_id: int | None = None


def kind_of(card: BoardCard) -> str:
    for kind, model in CARD_MODELS.items():
        if isinstance(card, model):
            return kind
    raise TypeError(f"Not a board card: {card!r}")


def _as_outcome(card: BoardCard) -> Outcome:
    """Return the card as an outcome, the one kind of card that has teams."""
    if not isinstance(card, Outcome):
        raise TypeError(f"Only an outcome has teams: {card!r}")
    return card


def _as_success_metric(card: BoardCard) -> SuccessMetric:
    """Return the card as a success metric, the one kind with a key result."""
    if not isinstance(card, SuccessMetric):
        raise TypeError(f"Only a success metric has a key result: {card!r}")
    return card


def bump_revision(roadmap: Roadmap) -> int:
    """Mark the product's plan as changed; locks the product row until commit."""
    return plan_changed(roadmap.product_id)


def roadmap_for_write(product: Product) -> Roadmap:
    """The product's roadmap, made on the first write (reading never makes it)."""
    roadmap, _ = Roadmap.objects.get_or_create(product=product)
    return roadmap


def _comparable(value: Any) -> Any:
    return history.comparable(value)


def _stored(card: BoardCard, name: str) -> Any:
    """The comparable value of a field as stored, without fetching a relation."""
    field = card._meta.get_field(name)
    # Only a forward field has an attname that holds the raw id.
    if isinstance(field, models.Field) and field.many_to_one:
        pk = getattr(card, field.attname)
        return None if pk is None else ("pk", pk)
    return _comparable(getattr(card, name))


def _entry(
    *,
    roadmap: Roadmap,
    actor: Any,
    action: str,
    card: BoardCard,
    field: str = "",
    before: Any = None,
    after: Any = None,
    horizon: str = "",
    reason: str = "",
) -> HistoryEntry:
    """Build the history entry of a change to a card (saved by the caller)."""
    return history.entry(
        product_id=roadmap.product_id,
        actor=actor,
        action=action,
        kind=CARD_TYPES[kind_of(card)],
        item=card,
        field=field,
        before=before,
        after=after,
        horizon=horizon,
        reason=reason,
    )


def _cell(card: BoardCard, horizon: str) -> models.QuerySet:
    model = type(card)
    return model.objects.filter(roadmap_id=card.roadmap_id, horizon=horizon).alive()


def _next_position(model: type[BoardCard], roadmap: Roadmap, horizon: str) -> int:
    last = (
        model.objects.filter(roadmap=roadmap, horizon=horizon)
        .alive()
        .aggregate(last=Max("position"))["last"]
    )
    return 0 if last is None else last + 1


def _conditional_update(card: BoardCard, version: int, **values: Any) -> None:
    """Save a live card's fields only if it is still at `version`."""
    update_if_version(
        card, version=version, values=values, queryset=type(card).objects.alive()
    )


@transaction.atomic
def card_create(
    *,
    roadmap: Roadmap,
    card: BoardCard,
    actor: Any,
    teams: Iterable[Team] = (),
    key_result: KeyResult | None = None,
    new_metric: Mapping[str, Any] | None = None,
) -> BoardCard:
    """Add a card at the end of its cell; a success metric saves its key result.

    `new_metric`: the key result measures a metric named with it, created
    here in the same transaction (nothing is saved if any part fails).
    """
    bump_revision(roadmap)
    if key_result is not None:
        if new_metric is not None:
            # The revision bumped above covers the new metric too.
            key_result.metric = Metric.objects.create(
                product_id=roadmap.product_id, **new_metric
            )
        key_result.save()
        _as_success_metric(card).key_result = key_result
    card.roadmap = roadmap
    card.position = _next_position(type(card), roadmap, card.horizon)
    if (
        isinstance(card, Feature)
        and card.stage == FeatureStage.RELEASED
        and card.released_on is None
    ):
        card.released_on = timezone.localdate()
    card.save()
    teams = list(teams)
    if teams:
        _as_outcome(card).teams.set(teams)
    entries = []
    if key_result is not None:
        if new_metric is not None:
            entries.append(
                history.entry(
                    product_id=roadmap.product_id,
                    actor=actor,
                    action=HistoryAction.CREATED,
                    kind=ItemKind.METRIC,
                    item=key_result.metric,
                    after={"name": key_result.metric.name},
                )
            )
        entries.append(
            history.entry(
                product_id=roadmap.product_id,
                actor=actor,
                action=HistoryAction.CREATED,
                kind=ItemKind.KEY_RESULT,
                item=key_result,
                after={"title": str(key_result)},
            )
        )
    entries.append(
        _entry(
            roadmap=roadmap,
            actor=actor,
            action=HistoryAction.CREATED,
            card=card,
            after={"title": str(card), "horizon": card.horizon},
        )
    )
    if teams:
        entries.append(
            _entry(
                roadmap=roadmap,
                actor=actor,
                action=HistoryAction.LINKED,
                card=card,
                field="teams",
                before=[],
                after=teams,
            )
        )
    history.record_all(entries)
    return card


def released_now(card: BoardCard, changes: Mapping[str, tuple[Any, Any]]) -> bool:
    """Whether this edit releases a feature that has no release date yet."""
    stage = changes.get("stage")
    return (
        isinstance(card, Feature)
        and stage is not None
        and stage[1] == FeatureStage.RELEASED
        and card.released_on is None
    )


def _served_outcomes(
    card: BoardCard, changes: Mapping[str, tuple[Any, Any]]
) -> list[int | None]:
    """The outcomes a card served before and after an edit."""
    if "outcome" in changes:
        return [getattr(side, "pk", None) for side in changes["outcome"]]
    return [getattr(card, "outcome_id", None)]


@transaction.atomic
def card_update(
    *,
    roadmap: Roadmap,
    card: BoardCard,
    version: int,
    values: dict[str, Any],
    actor: Any,
    teams: Sequence[Team] | None = None,
    key_result_values: dict[str, Any] | None = None,
    key_result_version: int | None = None,
    reason: str = "",
) -> int:
    """Save the changed fields of a card rendered at `version`; return the revision.

    `card` holds the values as they were before the edit (the caller read it at
    `version`), so each history entry can say from what to what. A
    success-metric card also edits its key result, which has a version of its
    own: the key result can change on the metrics pages while the card does
    not; its changes are the key result's history. `reason` is kept with a
    change of status or confidence.
    """
    changes = {
        name: (getattr(card, name), new)
        for name, new in values.items()
        if _stored(card, name) != _comparable(new)
    }
    if (
        isinstance(card, Feature)
        and released_now(card, changes)
        and "released_on" not in changes
    ):
        changes["released_on"] = (card.released_on, timezone.localdate())
    old_teams: list[Team] = []
    teams_changed = False
    if teams is not None:
        old_teams = list(_as_outcome(card).teams.all())
        teams_changed = _comparable(old_teams) != _comparable(list(teams))
    # The card's key result, read only when the edit gives values for it.
    kr = _as_success_metric(card).key_result if key_result_values is not None else None
    kr_changes: dict[str, tuple[Any, Any]] = {}
    if kr is not None and key_result_values:
        kr_changes = {
            name: (getattr(kr, name), new)
            for name, new in key_result_values.items()
            if _comparable(getattr(kr, name)) != _comparable(new)
        }
    if card.version != version:
        raise StaleVersion(card)
    if kr is not None and kr.version != key_result_version:
        raise StaleVersion(kr)
    revision = bump_revision(roadmap)
    kind = kind_of(card)
    board_data.record(
        roadmap.product_id,
        revision,
        board_data.card_edited(
            kind,
            card.pk,
            card.horizon,
            [*changes, *(["teams"] if teams_changed else [])],
            outcome_ids=_served_outcomes(card, changes),
            key_result_changed=bool(kr_changes),
        ),
    )
    _conditional_update(card, version, **{k: new for k, (_, new) in changes.items()})
    notify_requesters(roadmap=roadmap, changed=[(card, changes)])
    entries = [
        _entry(
            roadmap=roadmap,
            actor=actor,
            action=HistoryAction.LINKED
            if name in LINK_FIELDS and new is not None
            else HistoryAction.UNLINKED
            if name in LINK_FIELDS
            else HistoryAction.UPDATED,
            card=card,
            field=name,
            before=old,
            after=new,
            reason=reason if name in REASON_FIELDS else "",
        )
        for name, (old, new) in changes.items()
    ]
    if teams is not None and teams_changed:
        _as_outcome(card).teams.set(teams)
        entries.append(
            _entry(
                roadmap=roadmap,
                actor=actor,
                action=HistoryAction.LINKED
                if len(teams) >= len(old_teams)
                else HistoryAction.UNLINKED,
                card=card,
                field="teams",
                before=old_teams,
                after=list(teams),
            )
        )
    if kr is not None and kr_changes:
        update_if_version(
            kr,
            version=key_result_version or 0,
            values={k: new for k, (_, new) in kr_changes.items()},
        )
        entries += history.change_entries(
            product_id=roadmap.product_id,
            actor=actor,
            kind=ItemKind.KEY_RESULT,
            item=kr,
            changed=kr_changes,
        )
    history.record_all(entries)
    return revision


@transaction.atomic
def card_move(
    *,
    roadmap: Roadmap,
    card: BoardCard,
    version: int,
    actor: Any,
    horizon: str | None = None,
    before_id: int | None = None,
    direction: str | None = None,
    at_most: int | None = None,
) -> MoveResult:
    """Move a card to another horizon (before a given card) or one step up/down.

    Without a card to go before, the card goes last, or at index `at_most`
    when the mover's board shows only that many cards of the target cell (so
    it lands right after the last card they could see).
    """
    revision = bump_revision(roadmap)
    old_horizon, old_position = card.horizon, card.position
    target = horizon or card.horizon
    places = list(
        _cell(card, target)
        .exclude(pk=card.pk)
        .order_by("position", "id")
        .values_list("pk", "position")
    )
    ids = [pk for pk, _ in places]
    if direction in ("up", "down"):
        current = list(
            _cell(card, card.horizon)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        index = current.index(card.pk) if card.pk in current else len(current)
        index = max(0, index - 1) if direction == "up" else index + 1
        index = min(index, len(ids))
    elif before_id is not None and before_id in ids:
        index = ids.index(before_id)
    else:
        index = len(ids) if at_most is None else min(at_most, len(ids))
    if index < len(places):
        # Make room: the cards from the insertion point on move down one
        # place, in one UPDATE (the rest of the cell keeps its positions).
        position = places[index][1]
        _cell(card, target).exclude(pk=card.pk).filter(position__gte=position).update(
            position=F("position") + 1
        )
    else:
        position = places[-1][1] + 1 if places else 0
    _conditional_update(card, version, horizon=target, position=position)
    board_data.record(
        roadmap.product_id,
        revision,
        board_data.card_moved(kind_of(card), old_horizon, target),
    )
    notify_requesters(
        roadmap=roadmap, changed=[(card, {"horizon": (old_horizon, target)})]
    )
    if target != old_horizon:
        entry = _entry(
            roadmap=roadmap,
            actor=actor,
            action=HistoryAction.MOVED,
            card=card,
            field="horizon",
            before=old_horizon,
            after=target,
            horizon=target,
        )
    else:
        entry = _entry(
            roadmap=roadmap,
            actor=actor,
            action=HistoryAction.MOVED,
            card=card,
            field="position",
            before=old_position,
            after=index,
            horizon=target,
        )
    entry.save()
    linked = 0
    if isinstance(card, Outcome) and target != old_horizon:
        linked = sum(
            related.alive().exclude(horizon=target).count()
            for related in (card.challenges, card.success_metrics, card.features)
        )
    return MoveResult(
        revision=revision,
        horizon_changed=target != old_horizon,
        linked_elsewhere=linked,
        entry_id=entry.pk,
    )


@transaction.atomic
def outcome_move_linked(
    *, roadmap: Roadmap, outcome: Outcome, version: int, actor: Any
) -> int:
    """Move an outcome's challenges, key results and features to its horizon.

    Return how many cards moved. They go to the end of their new cells, in
    their current order.
    """
    if outcome.version != version or outcome.is_deleted:
        raise StaleVersion(outcome)
    bump_revision(roadmap)
    horizon = outcome.horizon
    entries = []
    moved = 0
    changed: list[tuple[BoardCard, dict[str, tuple[Any, Any]]]] = []
    for related in (outcome.challenges, outcome.success_metrics, outcome.features):
        cards = list(
            related.alive().exclude(horizon=horizon).order_by("horizon", "position")
        )
        if not cards:
            continue
        model = type(cards[0])
        position = _next_position(model, roadmap, horizon)
        for offset, card in enumerate(cards):
            changed.append((card, {"horizon": (card.horizon, horizon)}))
            entries.append(
                _entry(
                    roadmap=roadmap,
                    actor=actor,
                    action=HistoryAction.MOVED,
                    card=card,
                    field="horizon",
                    before=card.horizon,
                    after=horizon,
                    horizon=horizon,
                )
            )
            model.objects.filter(pk=card.pk).update(
                horizon=horizon,
                position=position + offset,
                version=F("version") + 1,
                updated_at=timezone.now(),
            )
        moved += len(cards)
    history.record_all(entries)
    notify_requesters(roadmap=roadmap, changed=changed)
    return moved


@transaction.atomic
def card_delete(
    *, roadmap: Roadmap, card: BoardCard, version: int, actor: Any, reason: str = ""
) -> WriteResult:
    """Soft-delete a card (it keeps its place and links, so undo is exact)."""
    revision = bump_revision(roadmap)
    _conditional_update(card, version, deleted_at=timezone.now())
    notify_requesters(
        roadmap=roadmap, changed=[(card, {"deleted_at": (None, card.deleted_at)})]
    )
    entry = _entry(
        roadmap=roadmap,
        actor=actor,
        action=HistoryAction.DELETED,
        card=card,
        before={"horizon": card.horizon, "position": card.position},
        reason=reason,
    )
    entry.save()
    return WriteResult(revision=revision, entry_id=entry.pk)


@transaction.atomic
def card_restore(*, roadmap: Roadmap, card: BoardCard, version: int, actor: Any) -> int:
    """Bring a deleted card back to exactly where it was."""
    revision = bump_revision(roadmap)
    update_if_version(
        card,
        version=version,
        values={"deleted_at": None},
        queryset=type(card).objects.filter(deleted_at__isnull=False),
    )
    _entry(
        roadmap=roadmap,
        actor=actor,
        action=HistoryAction.RESTORED,
        card=card,
        after={"horizon": card.horizon, "position": card.position},
    ).save()
    return revision


@transaction.atomic
def dependency_add(
    *,
    roadmap: Roadmap,
    outcome: Outcome,
    version: int,
    dependency: TeamDependency,
    actor: Any,
) -> TeamDependency:
    """Record that an outcome needs work from another team."""
    bump_revision(roadmap)
    _conditional_update(outcome, version)
    dependency.outcome = outcome
    dependency.save()
    _entry(
        roadmap=roadmap,
        actor=actor,
        action=HistoryAction.LINKED,
        card=outcome,
        field="dependencies",
        after={"team": as_json(dependency.team), "description": dependency.description},
    ).save()
    return dependency


@transaction.atomic
def dependency_remove(
    *,
    roadmap: Roadmap,
    outcome: Outcome,
    version: int,
    dependency: TeamDependency,
    actor: Any,
) -> None:
    bump_revision(roadmap)
    _conditional_update(outcome, version)
    _entry(
        roadmap=roadmap,
        actor=actor,
        action=HistoryAction.UNLINKED,
        card=outcome,
        field="dependencies",
        before={
            "team": as_json(dependency.team),
            "description": dependency.description,
        },
    ).save()
    dependency.delete()


@transaction.atomic
def insight_create(*, product: Product, insight: Insight, actor: Any) -> Insight:
    """Log a customer request or insight on an outcome or a feature."""
    insight.product = product
    insight.save()
    target = ItemKind.OUTCOME if insight.outcome_id else ItemKind.FEATURE
    history.record_created(
        product_id=product.pk,
        actor=actor,
        item=insight,
        kind=ItemKind.INSIGHT,
        # The entry's title carries the start of the text.
        after={"account": insight.account, "source": insight.source},
        parent=(target, insight.outcome_id or insight.feature_id),
    )
    return insight


@transaction.atomic
def outcome_close(
    *,
    roadmap: Roadmap,
    outcome: Outcome,
    version: int,
    status: str,
    learning: str,
    actor: Any,
) -> WriteResult:
    """Close an outcome as achieved, missed or dropped, with what was learned.

    The outcome leaves the board (with the cards that served it) for the
    Done archive. The history keeps the status change with the learning as
    its reason, and the learning itself in full.
    """
    learning = learning.strip()
    if status not in CLOSED_OUTCOME_STATUSES:
        raise ValueError(f"Not a closing status: {status!r}")
    if not learning:
        raise ValueError("Closing an outcome says what was learned.")
    revision = bump_revision(roadmap)
    changed = {
        "status": (outcome.status, status),
        "learning": (outcome.learning, learning),
    }
    _conditional_update(
        outcome, version, status=status, learning=learning, closed_at=timezone.now()
    )
    entries = history.change_entries(
        product_id=roadmap.product_id,
        actor=actor,
        kind=ItemKind.OUTCOME,
        item=outcome,
        changed={k: v for k, v in changed.items() if v[0] != v[1]},
        reasons={"status": learning},
    )
    history.record_all(entries)
    status_entry = next((e for e in entries if e.field == "status"), None)
    return WriteResult(
        revision=revision, entry_id=status_entry.pk if status_entry else None
    )


@transaction.atomic
def outcome_reopen(
    *, roadmap: Roadmap, outcome: Outcome, version: int, actor: Any, reason: str = ""
) -> WriteResult:
    """Bring a closed outcome back to the board as active, where it was.

    What was learned stays with it (and in the history).
    """
    if not outcome.is_closed:
        raise ValueError("Only a closed outcome can be reopened.")
    revision = bump_revision(roadmap)
    before = outcome.status
    update_if_version(
        outcome,
        version=version,
        values={"status": OutcomeStatus.ACTIVE, "closed_at": None},
        queryset=Outcome.objects.alive().closed(),
    )
    entry = _entry(
        roadmap=roadmap,
        actor=actor,
        action=HistoryAction.UPDATED,
        card=outcome,
        field="status",
        before=before,
        after=OutcomeStatus.ACTIVE,
        reason=reason or "Reopened",
    )
    entry.save()
    return WriteResult(revision=revision, entry_id=entry.pk)


@transaction.atomic
def prioritisation_settings_update(
    *, product: Product, version: int, values: dict[str, Any], actor: Any
) -> int:
    """Save the score method and target mix of a product's roadmap.

    The roadmap is made on the first save; a page that showed its unsaved
    default posted version 1, which a new roadmap has.
    """
    roadmap = roadmap_for_write(product)
    return history.update_recorded(
        product_id=product.pk,
        kind=ItemKind.ROADMAP,
        item=roadmap,
        version=version,
        values=values,
        actor=actor,
    )


# Teams, dependencies and assumptions -----------------------------------------


def products_naming_team(team: Team) -> list[int]:
    """The ids of every product whose plan names the team."""
    condition = (
        Q(team_capacities__team=team)
        | Q(roadmap__outcomes__teams=team)
        | Q(roadmap__features__team=team)
        | Q(roadmap__outcomes__dependencies__team=team)
        | Q(roadmap__features__dependencies__team=team)
    )
    return sorted(set(Product.objects.filter(condition).values_list("pk", flat=True)))


def _team_entry(
    *,
    product_id: int,
    roadmap_id: int | None,
    actor: Any,
    action: str,
    team: Team,
    field: str = "",
    before: Any = None,
    after: Any = None,
) -> HistoryEntry:
    """A team's change, kept in the history of a product's roadmap."""
    return history.entry(
        product_id=product_id,
        actor=actor,
        action=action,
        kind=ItemKind.ROADMAP,
        item_id=roadmap_id,
        title=f"Team “{team.name}”",
        field=field,
        before=before,
        after=after,
    )


@transaction.atomic
def team_add(*, product: Product, name: str, actor: Any) -> tuple[Team, bool]:
    """Put a team on the product's plan: a new one, or one another product has.

    Teams are shared by name: an existing team (any case) is reused, so the
    product counts on the same team as the others. Return the team and
    whether it was new to this product.
    """
    roadmap = roadmap_for_write(product)
    plan_changed(product.pk)
    name = name.strip()
    team = Team.objects.filter(name__iexact=name).first()
    created = team is None
    if team is None:
        team = Team.objects.create(name=name)
    _, added = TeamCapacity.objects.get_or_create(product=product, team=team)
    if added:
        _team_entry(
            product_id=product.pk,
            roadmap_id=roadmap.pk,
            actor=actor,
            action=HistoryAction.CREATED if created else HistoryAction.LINKED,
            team=team,
            field="" if created else "teams",
            after={"title": team.name},
        ).save()
    return team, added


class TeamShared(Exception):
    """The team is on the plan of a product the person may not change."""


@transaction.atomic
def team_rename(
    *, team: Team, version: int, name: str, actor: Any, editable: set[int] | None
) -> list[int]:
    """Rename a team on every plan that names it; return those products' ids.

    `editable`: the products the actor may change (None: all). A team on
    another product's plan is renamed only by someone who may change that
    plan too, since its board shows the new name.
    """
    products = products_naming_team(team)
    if editable is not None and not set(products) <= editable:
        raise TeamShared(team)
    for product_id in products:
        plan_changed(product_id)
    old = Team.objects.filter(pk=team.pk).values_list("name", flat=True).first()
    update_if_version(team, version=version, values={"name": name.strip()})
    roadmaps = dict(
        Roadmap.objects.filter(product_id__in=products).values_list("product_id", "pk")
    )
    if old != team.name:
        history.record_all(
            _team_entry(
                product_id=product_id,
                roadmap_id=roadmaps.get(product_id),
                actor=actor,
                action=HistoryAction.UPDATED,
                team=team,
                field="name",
                before=old,
                after=team.name,
            )
            for product_id in products
        )
    return products


CAPACITY_FIELDS = ("current_capacity", "soon_capacity", "future_capacity")


@transaction.atomic
def team_capacity_update(
    *,
    product: Product,
    capacity: TeamCapacity,
    version: int | None,
    values: Mapping[str, int | None],
    actor: Any,
) -> TeamCapacity:
    """Set what the product counts on from a team per horizon.

    A team named on the plan without a capacity yet has no row: the first
    save creates it (`version` None); later saves carry its version.
    """
    roadmap = roadmap_for_write(product)
    plan_changed(product.pk)
    if capacity.pk is None:
        existing = TeamCapacity.objects.filter(
            product=product, team_id=capacity.team_id
        ).first()
        if existing is not None:
            raise StaleVersion(existing)
        before = dict.fromkeys(CAPACITY_FIELDS)
        for name, value in values.items():
            setattr(capacity, name, value)
        capacity.product = product
        capacity.save()
    else:
        before = {name: getattr(history.saved(capacity), name) for name in values}
        update_if_version(capacity, version=version or 0, values=values)
    history.record_all(
        _team_entry(
            product_id=product.pk,
            roadmap_id=roadmap.pk,
            actor=actor,
            action=HistoryAction.UPDATED,
            team=capacity.team,
            field=name,
            before=before[name],
            after=value,
        )
        for name, value in values.items()
        if before[name] != value
    )
    return capacity


@transaction.atomic
def dependency_create(
    *, product: Product, dependency: TeamDependency, actor: Any
) -> TeamDependency:
    """Record that an outcome or a feature needs work from a team."""
    plan_changed(product.pk)
    dependency.save()
    card = dependency.card
    history.record_created(
        product_id=product.pk,
        actor=actor,
        item=dependency,
        kind=ItemKind.DEPENDENCY,
        after={
            "team": as_json(dependency.team),
            "status": dependency.status,
            "description": dependency.description,
        },
        parent=(CARD_TYPES[dependency.card_kind], card.pk if card else None),
    )
    return dependency


@transaction.atomic
def dependency_update(
    *,
    product: Product,
    dependency: TeamDependency,
    version: int,
    values: Mapping[str, Any],
    actor: Any,
) -> int:
    """Save a dependency's status, note and due date; return the revision."""
    return history.update_recorded(
        product_id=product.pk,
        kind=ItemKind.DEPENDENCY,
        item=dependency,
        version=version,
        values=values,
        actor=actor,
    )


@transaction.atomic
def assumption_update(
    *,
    product: Product,
    challenge: Challenge,
    version: int,
    values: Mapping[str, Any],
    actor: Any,
    today: Any,
) -> int:
    """Mark a challenge as an assumption to test (or not), with a confidence."""
    values = dict(values)
    if values.get("is_assumption") and challenge.assumed_on is None:
        values["assumed_on"] = today
    return history.update_recorded(
        product_id=product.pk,
        kind=ItemKind.CHALLENGE,
        item=challenge,
        version=version,
        values=values,
        actor=actor,
    )


@transaction.atomic
def evidence_add(
    *, product: Product, challenge: Challenge, evidence: Evidence, actor: Any
) -> Evidence:
    """Add evidence for or against an assumption; its confidence is fresh again."""
    plan_changed(product.pk)
    evidence.challenge = challenge
    evidence.author = actor if getattr(actor, "is_authenticated", False) else None
    evidence.save()
    history.record(
        product_id=product.pk,
        actor=actor,
        action=HistoryAction.UPDATED,
        kind=ItemKind.CHALLENGE,
        item=challenge,
        field="evidence",
        after={
            "kind": evidence.kind,
            "effect": evidence.effect,
            "note": evidence.note,
            "link": evidence.url,
            "learned_on": evidence.observed_on,
        },
    )
    return evidence


@transaction.atomic
def stale_days_update(*, roadmap: Roadmap, version: int, days: int, actor: Any) -> int:
    """Set after how many days without evidence an assumption goes stale."""
    return history.update_recorded(
        product_id=roadmap.product_id,
        kind=ItemKind.ROADMAP,
        item=roadmap,
        version=version,
        values={"assumption_stale_days": days},
        actor=actor,
    )
