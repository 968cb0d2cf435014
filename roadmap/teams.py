"""Teams of a product's plan: what each owns or is needed by, and its load.

`load_teams` reads a product's teams, capacities, owned cards and
dependencies in a fixed number of queries; `build_team_loads` is a pure
function over those rows, so the load rule can be read and tested alone:

- a team's load in a horizon counts the features it owns there that are not
  released, and the open dependencies (needed, agreed or blocked) on the
  outcomes and features there that need it; outcomes it owns are listed but
  not counted (capacity is in features);
- a horizon is over-committed when the load is above the capacity the
  product set for the team there; without a capacity nothing is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from roadmap.models import (
    HORIZON_VALUES,
    DependencyStatus,
    Feature,
    FeatureStage,
    Outcome,
    Roadmap,
    Team,
    TeamCapacity,
    TeamDependency,
)
from strategy.models import Product

LOAD_RULE = (
    "Load counts the features a team owns in a horizon that are not released, "
    "and the open dependencies (needed, agreed or blocked) of cards there on the "
    "team. A horizon is over-committed when its load is above the capacity set "
    "for it on this product."
)

# Items of each list a team's horizon names; the rest are counted.
LIST_LIMIT = 6

OPEN_DEPENDENCY = frozenset(
    {DependencyStatus.NEEDED, DependencyStatus.AGREED, DependencyStatus.BLOCKED}
)


def counts_towards_load(*, kind: str, stage: str = "", status: str = "") -> bool:
    """Whether an owned feature or a dependency takes some of a team's capacity."""
    if kind == "feature":
        return stage != FeatureStage.RELEASED
    if kind == "dependency":
        return status in OPEN_DEPENDENCY
    return False


def is_over_committed(load: int, capacity: int | None) -> bool:
    return capacity is not None and load > capacity


@dataclass(frozen=True)
class LoadItem:
    """An outcome or feature on a team's list, and how it involves the team."""

    kind: str  # "outcome" or "feature"
    pk: int
    title: str
    horizon: str
    detail: str  # stage, or the dependency's status
    counts: bool
    is_blocked: bool = False


@dataclass
class HorizonLoad:
    horizon: str
    label: str
    capacity: int | None
    outcomes: list[LoadItem] = field(default_factory=list)
    features: list[LoadItem] = field(default_factory=list)
    needed_by: list[LoadItem] = field(default_factory=list)

    @property
    def load(self) -> int:
        return sum(item.counts for item in (*self.features, *self.needed_by))

    @property
    def is_over(self) -> bool:
        return is_over_committed(self.load, self.capacity)

    @property
    def summary(self) -> str:
        if self.capacity is None:
            return f"Load {self.load}, no capacity set"
        if self.is_over:
            return (
                f"Over-committed: load {self.load} of capacity {self.capacity}, "
                f"{self.load - self.capacity} too many"
            )
        return f"Load {self.load} of capacity {self.capacity}"

    @property
    def percent(self) -> int:
        """The load as a share of capacity, for a meter (at most 100)."""
        if not self.capacity:
            return 100 if self.load else 0
        return min(100, round(100 * self.load / self.capacity))

    @property
    def is_empty(self) -> bool:
        return not (self.outcomes or self.features or self.needed_by)

    @property
    def lists(self) -> list[tuple[str, list[LoadItem], int]]:
        """(heading, first items, how many more) of each non-empty list."""
        return [
            (heading, items[:LIST_LIMIT], max(0, len(items) - LIST_LIMIT))
            for heading, items in (
                ("Owns outcomes", self.outcomes),
                ("Owns features", self.features),
                ("Needed by", self.needed_by),
            )
            if items
        ]


@dataclass
class TeamLoad:
    team: Team
    capacity: TeamCapacity
    horizons: list[HorizonLoad]

    @property
    def over_committed(self) -> list[HorizonLoad]:
        return [h for h in self.horizons if h.is_over]


def build_team_loads(
    *,
    teams: Sequence[Team],
    capacities: Iterable[TeamCapacity],
    owned_outcomes: Iterable[Any],
    owned_features: Iterable[Any],
    dependencies: Iterable[Any],
    horizon_labels: dict[str, str],
    product_id: int,
) -> list[TeamLoad]:
    """Gather each team's cards per horizon and its load; no queries here.

    Rows: owned outcomes {team_id, outcome_id, outcome__title,
    outcome__horizon}; owned features
    {team_id, id, title, horizon, stage}; dependencies {team_id, status,
    outcome_id, outcome__title, outcome__horizon, feature_id,
    feature__title, feature__horizon}. A team without a capacity row gets
    an unsaved one (no capacity set).
    """
    by_team = {c.team_id: c for c in capacities}
    loads: dict[int, TeamLoad] = {}
    for team in teams:
        capacity = by_team.get(team.pk) or TeamCapacity(
            product_id=product_id, team=team
        )
        loads[team.pk] = TeamLoad(
            team=team,
            capacity=capacity,
            horizons=[
                HorizonLoad(h, horizon_labels[h], capacity.capacity(h))
                for h in HORIZON_VALUES
            ],
        )

    def cell(team_id: int, horizon: str) -> HorizonLoad | None:
        load = loads.get(team_id)
        return load.horizons[HORIZON_VALUES.index(horizon)] if load else None

    for row in owned_outcomes:
        horizon = row["outcome__horizon"]
        if target := cell(row["team_id"], horizon):
            target.outcomes.append(
                LoadItem(
                    "outcome",
                    row["outcome_id"],
                    row["outcome__title"],
                    horizon,
                    "",
                    False,
                )
            )
    for row in owned_features:
        if target := cell(row["team_id"], row["horizon"]):
            target.features.append(
                LoadItem(
                    "feature",
                    row["id"],
                    row["title"],
                    row["horizon"],
                    FeatureStage(row["stage"]).label,
                    counts_towards_load(kind="feature", stage=row["stage"]),
                )
            )
    for row in dependencies:
        kind = "outcome" if row["outcome_id"] else "feature"
        horizon = row[f"{kind}__horizon"]
        if target := cell(row["team_id"], horizon):
            target.needed_by.append(
                LoadItem(
                    kind,
                    row[f"{kind}_id"],
                    row[f"{kind}__title"],
                    horizon,
                    DependencyStatus(row["status"]).label,
                    counts_towards_load(kind="dependency", status=row["status"]),
                    is_blocked=row["status"] == DependencyStatus.BLOCKED,
                )
            )
    return list(loads.values())


def product_teams(product: Product, roadmap_id: int | None) -> Any:
    """The teams a product's plan names: with a capacity, owning or needed."""
    condition = Q(capacities__product=product)
    if roadmap_id is not None:
        condition |= Q(
            outcomes__roadmap_id=roadmap_id, outcomes__deleted_at__isnull=True
        )
        condition |= Q(
            features__roadmap_id=roadmap_id, features__deleted_at__isnull=True
        )
        condition |= Q(
            dependencies__in=TeamDependency.objects.for_roadmap(roadmap_id).values("pk")
        )
    ids = Team.objects.filter(condition).values("pk")
    return Team.objects.filter(pk__in=ids).order_by("name")


def load_teams(
    product: Product, roadmap: Roadmap | None, horizon_labels: dict[str, str]
) -> list[TeamLoad]:
    """A product's teams with their loads, in five queries."""
    roadmap_id = roadmap.pk if roadmap is not None else None
    teams = list(product_teams(product, roadmap_id))
    capacities = list(TeamCapacity.objects.filter(product=product))
    if roadmap_id is None:
        return build_team_loads(
            teams=teams,
            capacities=capacities,
            owned_outcomes=[],
            owned_features=[],
            dependencies=[],
            horizon_labels=horizon_labels,
            product_id=product.pk,
        )
    owned_outcomes = (
        Outcome.teams.through.objects.filter(
            outcome__roadmap_id=roadmap_id, outcome__deleted_at__isnull=True
        )
        .order_by("outcome__position", "outcome_id")
        .values("team_id", "outcome_id", "outcome__title", "outcome__horizon")
    )
    owned_features = (
        Feature.objects.alive()
        .filter(roadmap_id=roadmap_id, team__isnull=False)
        .order_by("position", "id")
        .values("team_id", "id", "title", "horizon", "stage")
    )
    dependencies = (
        TeamDependency.objects.for_roadmap(roadmap_id)
        .order_by("id")
        .values(
            "team_id",
            "status",
            "outcome_id",
            "outcome__title",
            "outcome__horizon",
            "feature_id",
            "feature__title",
            "feature__horizon",
        )
    )
    return build_team_loads(
        teams=teams,
        capacities=capacities,
        owned_outcomes=owned_outcomes,
        owned_features=owned_features,
        dependencies=dependencies,
        horizon_labels=horizon_labels,
        product_id=product.pk,
    )
