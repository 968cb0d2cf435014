"""Generate a large, realistic roadmap: for load tests, benchmarks and demos of scale.

One scale unit is "the large roadmap": 300 outcomes, 300 challenges, 300 key
results (each on its own metric with 20 weekly measurements, and placed on the
board by a success-metric card) and 1,000 features, 1,900 cards in all, with
6 themes and 12 goals. Teams are shared by every product, so the 8 teams are
reused by name. Titles are composed from word lists; every choice comes from a
random generator seeded with the slug, so a slug and scale always give the same
roadmap. Dates are relative to `today`, so a generated roadmap never looks
stale.

Everything is bulk-inserted in one transaction that also bumps the product's
plan revision.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from metrics.models import KeyResult, Measurement, Metric
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    Feature,
    FeatureStage,
    Horizon,
    Outcome,
    Roadmap,
    SuccessMetric,
    Team,
    TeamDependency,
)
from strategy.models import Goal, Product, Theme
from strategy.revision import every_plan_changed, plan_changed

# Counts per scale unit.
UNIT_OUTCOMES = 300
UNIT_CHALLENGES = 300
UNIT_KEY_RESULTS = 300
UNIT_FEATURES = 1000
UNIT_THEMES = 6
UNIT_GOALS = 12
UNIT_OUTCOME_DEPENDENCIES = 6
UNIT_FEATURE_DEPENDENCIES = 10
MEASUREMENTS_PER_METRIC = 20
BATCH_SIZE = 2000

# A real roadmap is most detailed where work happens now.
HORIZON_SHARES = {Horizon.CURRENT: 0.40, Horizon.SOON: 0.35, Horizon.FUTURE: 0.25}
# Of the cards that belong under an outcome, a few are not linked to one (the
# gaps the line of sight page shows) and a few serve an outcome of another
# horizon.
UNLINKED_SHARE = 0.07
OTHER_HORIZON_SHARE = 0.03

TEAMS = [
    ("Growth", "Acquisition, onboarding and activation."),
    ("Personalisation", "Recommendation models and the styling experience."),
    ("Platform", "APIs, data pipelines and infrastructure."),
    ("Partnerships", "Brand partners and commerce integrations."),
    ("Checkout", "Basket, payments and order confirmation."),
    ("Fulfilment", "Delivery, store pickup and returns."),
    ("Mobile", "The iOS and Android apps."),
    ("Customer care", "Support tools, chat and the help centre."),
]

THEMES = [
    ("Acquire new customers", "Make the product's value obvious in the first minute."),
    ("Become part of the daily routine", "Earn a place in people's week."),
    ("Build a sustainable fashion business", "Fewer returns, less waste."),
    ("Win the mobile shopper", "The app is where our customers are."),
    ("Open the platform to partners", "Brands and stores sell through us."),
    ("Make service effortless", "Problems are solved before people call."),
    ("Expand across Europe", "Local payments, sizes and languages."),
    ("Run on a platform we trust", "Fast, safe and cheap to change."),
]

GOALS = [
    "Grow weekly signups fivefold",
    "Turn first-time users into regulars",
    "Make outfit suggestions people trust",
    "Open a second revenue stream with partner brands",
    "Halve the return rate",
    "Double mobile conversion",
    "Cut support contacts per order by a third",
    "Launch in three new countries",
    "Reach 50,000 paying subscribers",
    "Deliver next day to 90% of customers",
    "Make every page load in under a second",
    "Lift customer satisfaction above 85%",
    "Sell 20% of orders through partner storefronts",
    "Make the app the first place people shop",
]
REGIONS = ["Nordics", "DACH", "Benelux", "Iberia", "France", "UK", "Italy", "Poland"]

OUTCOME_ACTORS = [
    "Shoppers",
    "New visitors",
    "Returning customers",
    "Subscribers",
    "Mobile shoppers",
    "Partner brands",
    "Store staff",
    "Support agents",
    "Gift buyers",
    "First-time buyers",
    "Loyalty members",
    "Stylists",
]
OUTCOME_CHANGES = [
    "find their size",
    "check out",
    "discover styles that suit them",
    "track their orders",
    "return an item",
    "find what they came for",
    "trust our recommendations",
    "build a complete outfit",
    "pay the way they prefer",
    "get answers about delivery",
    "reorder their favourites",
    "share their wishlist",
    "see what is in stock nearby",
    "understand what a product is made of",
    "set up their account",
    "come back for fresh looks",
    "compare prices and fits",
    "plan a capsule wardrobe",
    "resell what they no longer wear",
    "hear about new arrivals they like",
]
OUTCOME_QUALIFIERS = [
    "on the first try",
    "in under a minute",
    "without calling support",
    "on any device",
    "without leaving the app",
    "in their own language",
    "with confidence",
    "every week",
    "in two taps",
    "without surprises",
    "before they give up",
    "at a glance",
]
OUTCOME_REASONS = [
    "Today too many give up halfway, and every extra step costs us customers.",
    "Support tickets and reviews keep naming this as the main frustration.",
    "Our research shows this is where trust is won or lost.",
    "Competitors do this well; we lose people at exactly this point.",
    "This drives most of the returns our partners complain about.",
    "People who manage this once come back twice as often.",
    "It is the step with the biggest drop-off in the funnel.",
    "Sales hear about it in every second customer call.",
]

CHALLENGE_RISKS = [
    "Unclear ownership",
    "Data quality gaps",
    "Slow page loads",
    "A pending legal review",
    "Vendor lock-in",
    "Notification fatigue",
    "Inconsistent size charts",
    "Fragile integration tests",
    "Missing consent for personal data",
    "Low test coverage",
    "Seasonal traffic peaks",
    "Too few designers",
    "An unreliable partner feed",
    "Model drift",
    "Accessibility debt",
    "High payment fees",
]
CHALLENGE_AREAS = [
    "checkout",
    "onboarding",
    "search",
    "size advice",
    "returns",
    "the wishlist",
    "outfit suggestions",
    "wardrobe import",
    "partner storefronts",
    "the loyalty programme",
    "delivery tracking",
    "product pages",
    "notifications",
    "payments",
    "support chat",
    "store pickup",
]

FEATURE_THINGS = [
    "Size advisor",
    "Saved searches",
    "One-tap reorder",
    "Visual search",
    "Outfit builder",
    "Price drop alerts",
    "Guest checkout",
    "Address autocomplete",
    "Store stock lookup",
    "Live chat handover",
    "Return label generator",
    "Loyalty points balance",
    "Referral codes",
    "Wishlist sharing",
    "Gift wrapping option",
    "Delivery slot picker",
    "Review photos",
    "Fit feedback prompt",
    "Personal style profile",
    "Brand follow button",
    "Offline wardrobe view",
    "Payment retry flow",
    "Wallet payments",
    "Split payments",
    "Carbon footprint label",
    "Resale listing",
    "Back-in-stock alerts",
    "Order status timeline",
    "Fabric and care details",
    "Virtual try-on",
    "Bundle discounts",
    "Smart filters",
    "Recently viewed strip",
    "Size conversion table",
    "Exchange instead of refund",
    "Order-again reminders",
    "Accessibility fixes",
    "Faster image loading",
    "Consent centre",
    "Support answer search",
]
FEATURE_PLACES = [
    "in checkout",
    "on product pages",
    "in the mobile app",
    "for partner brands",
    "on the home feed",
    "in search results",
    "in the account area",
    "for new customers",
    "in order history",
    "in the weekly digest",
    "for loyalty members",
    "in the basket",
    "for store staff",
    "in the help centre",
    "in emails",
    "for gift buyers",
    "on the website",
    "in push notifications",
    "for subscribers",
    "in the returns flow",
]
FEATURE_VARIANTS = ["", " (pilot)", " v2", " for the EU"]
FEATURE_DESCRIPTIONS = [
    "A first version behind a flag, for a tenth of traffic.",
    "Reuses the components the design system already has.",
    "Needs an API change from the platform team.",
    "Asked for by partner brands in the last review.",
    "Small change, measured with an A/B test.",
    "Copy and layout agreed with research; build next.",
]
DEPENDENCY_NEEDS = [
    "An endpoint that returns stock per store.",
    "Consent flags in the customer profile.",
    "Order events on the data bus.",
    "A review of the new payment flow.",
    "Size data from partner order feeds.",
    "Push notification templates in every language.",
    "A faster inference endpoint for suggestions.",
    "A shared component for the product card.",
]


@dataclass(frozen=True)
class Measure:
    """A kind of metric: its name around an area, unit, direction and range."""

    name: str
    unit: str
    is_increasing: bool
    low: float
    high: float
    description: str
    data_source: str


MEASURES = [
    Measure(
        "{Area} conversion rate",
        "%",
        True,
        2,
        30,
        "Share of {area} sessions that end in an order.",
        "Product analytics",
    ),
    Measure(
        "{Area} drop-off rate",
        "%",
        False,
        20,
        60,
        "Share of people who start {area} and leave before the end.",
        "Product analytics",
    ),
    Measure(
        "Weekly {area} users",
        "users",
        True,
        500,
        20000,
        "People who used {area} at least once in the week.",
        "Product analytics",
    ),
    Measure(
        "{Area} error rate",
        "%",
        False,
        0.5,
        5,
        "Share of {area} requests that fail.",
        "Real-user monitoring",
    ),
    Measure(
        "{Area} support tickets",
        "tickets",
        False,
        50,
        800,
        "Tickets per week tagged with {area}.",
        "Support desk",
    ),
    Measure(
        "{Area} revenue",
        "€",
        True,
        5000,
        200000,
        "Weekly revenue through {area}.",
        "Finance",
    ),
    Measure(
        "{Area} satisfaction",
        "%",
        True,
        55,
        85,
        "Share of {area} surveys answered with 4 or 5 stars.",
        "In-app surveys",
    ),
    Measure(
        "Time to complete {area}",
        "s",
        False,
        20,
        300,
        "Median time from starting {area} to finishing it.",
        "Product analytics",
    ),
    Measure(
        "{Area} p95 load time",
        "ms",
        False,
        300,
        3000,
        "95th percentile of the time {area} takes to load.",
        "Real-user monitoring",
    ),
    Measure(
        "{Area} adoption",
        "%",
        True,
        5,
        40,
        "Share of weekly active customers who use {area}.",
        "Product analytics",
    ),
]
METRIC_AREAS = [
    "checkout",
    "onboarding",
    "search",
    "size advice",
    "returns",
    "wishlist",
    "outfit suggestions",
    "wardrobe import",
    "partner storefront",
    "loyalty programme",
    "gift card",
    "delivery tracking",
    "product page",
    "review",
    "notification",
    "weekly digest",
    "style quiz",
    "account settings",
    "payment",
    "support chat",
    "store pickup",
    "recommendation",
    "price alert",
    "subscription",
    "referral",
]
METRIC_SEGMENTS = [
    "",
    " (mobile)",
    " (web)",
    " (new customers)",
    " (returning customers)",
    " (EU)",
]
DECIMALS = {"%": 1, "s": 1}


@dataclass(frozen=True)
class Size:
    """How many of each thing a roadmap of a given scale has."""

    outcomes: int
    challenges: int
    key_results: int
    features: int
    themes: int
    goals: int
    outcome_dependencies: int
    feature_dependencies: int

    @classmethod
    def for_scale(cls, scale: float) -> Size:
        """Scale every count of the large roadmap; each is rounded and at least 1."""
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError("The scale must be a positive number.")

        def count(per_unit: int) -> int:
            return max(1, round(per_unit * scale))

        return cls(
            outcomes=count(UNIT_OUTCOMES),
            challenges=count(UNIT_CHALLENGES),
            key_results=count(UNIT_KEY_RESULTS),
            features=count(UNIT_FEATURES),
            themes=count(UNIT_THEMES),
            goals=count(UNIT_GOALS),
            outcome_dependencies=count(UNIT_OUTCOME_DEPENDENCIES),
            feature_dependencies=count(UNIT_FEATURE_DEPENDENCIES),
        )

    @property
    def cards(self) -> int:
        return self.outcomes + self.challenges + self.key_results + self.features

    @property
    def measurements(self) -> int:
        return self.key_results * MEASUREMENTS_PER_METRIC


@dataclass(frozen=True)
class GeneratedRoadmap:
    product: Product
    size: Size
    teams_created: int


class ProductExists(Exception):
    """A product with the slug exists and replacing it was not asked for."""


def generate_roadmap(
    *,
    slug: str,
    scale: float,
    today: dt.date,
    name: str = "",
    replace: bool = False,
    editor: Any = None,
) -> GeneratedRoadmap:
    """Create a product with `scale` times the large roadmap, in one transaction.

    Raise ProductExists if the slug is taken, unless `replace` is given: then
    the existing product and everything in it is deleted first.
    """
    size = Size.for_scale(scale)
    with transaction.atomic():
        existing = Product.objects.select_for_update().filter(slug=slug).first()
        if existing is not None:
            if not replace:
                raise ProductExists(slug)
            delete_product(existing)
        builder = RoadmapBuilder(
            slug=slug, name=name, size=size, today=today, rng=random.Random(slug)
        )
        product = builder.build()
        if editor is not None:
            product.editors.add(editor)
        plan_changed(product.pk)
        if builder.teams_created:
            # New team rows are offered by every product's forms.
            every_plan_changed()
    refresh_statistics()
    return GeneratedRoadmap(
        product=product, size=size, teams_created=builder.teams_created
    )


def refresh_statistics() -> None:
    """Have PostgreSQL re-read the size of the tables just filled.

    Until autovacuum gets to it, the planner believes a table that grew by
    thousands of rows is as small as before, and plans the board's reads
    for a few rows: it sorts a whole cell instead of walking its index to
    the first cards (7 ms instead of 0.5 ms per cell on the 4x roadmap).
    """
    models = (
        Outcome,
        Outcome.teams.through,
        Challenge,
        SuccessMetric,
        Feature,
        TeamDependency,
        KeyResult,
        Metric,
        Measurement,
        Goal,
    )
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def delete_product(product: Product) -> None:
    """Delete a product and all it holds; key results protect their metrics."""
    KeyResult.objects.filter(metric__product=product).delete()
    product.delete()


def composed_titles(
    rng: random.Random, count: int, combinations: list[str]
) -> list[str]:
    """Return `count` titles drawn from the combinations in a shuffled order.

    Titles repeat only once every combination has been used; a repeat gets a
    numbered suffix so the board can still tell the cards apart.
    """
    combinations = list(combinations)
    rng.shuffle(combinations)
    titles = []
    for index in range(count):
        title = combinations[index % len(combinations)]
        rounds = index // len(combinations)
        titles.append(f"{title} ({rounds + 1})" if rounds else title)
    return titles


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def quarter_label(day: dt.date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def board_places(count: int) -> list[tuple[str, int]]:
    """Return a (horizon, position) for each of count cards, by horizon share."""
    bounds = list(itertools.accumulate(HORIZON_SHARES.values()))
    positions = dict.fromkeys(HORIZON_VALUES, 0)
    places = []
    for index in range(count):
        share = (index + 0.5) / count
        horizon = next(
            (
                h
                for h, bound in zip(HORIZON_VALUES, bounds, strict=True)
                if share < bound
            ),
            HORIZON_VALUES[-1],
        )
        positions[horizon] += 1
        places.append((horizon, positions[horizon]))
    return places


class RoadmapBuilder:
    """Build one product's roadmap with bulk inserts; see the module docstring."""

    def __init__(
        self, *, slug: str, name: str, size: Size, today: dt.date, rng: random.Random
    ) -> None:
        self.slug = slug
        self.name = name or capitalised(slug.replace("-", " ").replace("_", " "))
        self.size = size
        self.today = today
        self.rng = rng
        self.teams_created = 0

    def build(self) -> Product:
        self.product = Product.objects.create(
            name=self.name,
            slug=self.slug,
            vision_statement="Everyone finds clothes they love, that fit and that "
            "last, without the stress and waste of guessing.",
            target_group="People who care how they look but do not enjoy shopping.",
            needs="Find the right size, style and price quickly; return less.",
            product_description="An online fashion store with an AI stylist, "
            "partner-brand storefronts and store pickup.",
            value="Order revenue, partner commissions and subscriptions.",
        )
        self.roadmap = Roadmap.objects.create(
            product=self.product,
            current_hint=quarter_label(self.today),
            soon_hint=quarter_label(add_months(self.today, 3)),
            future_hint=f"{quarter_label(add_months(self.today, 6))} and later",
        )
        self.teams = self.build_teams()
        self.goals = self.build_goals()
        self.outcomes = self.build_outcomes()
        self.outcomes_by_horizon = {
            horizon: [o for o in self.outcomes if o.horizon == horizon]
            for horizon in HORIZON_VALUES
        }
        self.build_challenges()
        self.build_key_results()
        self.features = self.build_features()
        self.build_dependencies()
        return self.product

    def bulk(self, model: Any, rows: Sequence[Any]) -> list[Any]:
        return model.objects.bulk_create(rows, batch_size=BATCH_SIZE)

    def build_teams(self) -> list[Team]:
        names = [name for name, _ in TEAMS]
        existing = set(
            Team.objects.filter(name__in=names).values_list("name", flat=True)
        )
        missing = [
            Team(name=name, description=description)
            for name, description in TEAMS
            if name not in existing
        ]
        Team.objects.bulk_create(missing, ignore_conflicts=True)
        self.teams_created = len(missing)
        by_name = {team.name: team for team in Team.objects.filter(name__in=names)}
        return [by_name[name] for name in names]

    def build_goals(self) -> list[Goal]:
        year = self.today.year
        themes = self.bulk(
            Theme,
            [
                Theme(
                    product=self.product,
                    title=self.numbered(THEMES, index)[0],
                    description=THEMES[index % len(THEMES)][1],
                    start_year=year + (index % 3 == 2),
                    end_year=year + 2 + (index % 3 == 2),
                    position=index + 1,
                )
                for index in range(self.size.themes)
            ],
        )
        goals = []
        for index in range(self.size.goals):
            rounds, goal_index = divmod(index, len(GOALS))
            title = GOALS[goal_index]
            if rounds:
                title = f"{title} in {REGIONS[(rounds - 1) % len(REGIONS)]}"
                if rounds > len(REGIONS):
                    title += f" ({(rounds - 1) // len(REGIONS) + 1})"
            status = Goal.Status.ACTIVE
            if index % 6 == 5:
                status = Goal.Status.DRAFT
            elif index % 11 == 10:
                status = Goal.Status.ACHIEVED
            goals.append(
                Goal(
                    product=self.product,
                    theme=themes[index % len(themes)],
                    title=title,
                    start_date=add_months(self.today, -self.rng.randint(2, 6)),
                    end_date=add_months(self.today, self.rng.randint(8, 16)),
                    status=status,
                    position=index + 1,
                )
            )
        return self.bulk(Goal, goals)

    @staticmethod
    def numbered(items: Sequence[tuple[str, str]], index: int) -> tuple[str, str]:
        rounds, at = divmod(index, len(items))
        title, description = items[at]
        return (f"{title} ({rounds + 1})" if rounds else title), description

    def build_outcomes(self) -> list[Outcome]:
        rng = self.rng
        titles = composed_titles(
            rng,
            self.size.outcomes,
            [
                f"{actor} {change} {qualifier}"
                for actor, change, qualifier in itertools.product(
                    OUTCOME_ACTORS, OUTCOME_CHANGES, OUTCOME_QUALIFIERS
                )
            ],
        )
        outcomes = []
        for title, (horizon, position) in zip(
            titles, board_places(self.size.outcomes), strict=True
        ):
            outcomes.append(
                Outcome(
                    roadmap=self.roadmap,
                    title=title,
                    description=rng.choice(OUTCOME_REASONS),
                    goal=rng.choice(self.goals) if rng.random() > 0.08 else None,
                    horizon=horizon,
                    position=position,
                    status=self.outcome_status(horizon),
                    confidence=rng.choice(Outcome.Confidence.values),
                    category=rng.choices(Outcome.Category.values, weights=[4, 3, 2, 1])[
                        0
                    ],
                    customer_summary=f"{title}." if horizon != Horizon.FUTURE else "",
                    is_customer_visible=horizon != Horizon.FUTURE
                    and rng.random() < 0.5,
                )
            )
        outcomes = self.bulk(Outcome, outcomes)
        through = Outcome.teams.through
        links = []
        for outcome in outcomes:
            for team in rng.sample(self.teams, rng.choice([1, 1, 2])):
                links.append(through(outcome_id=outcome.pk, team_id=team.pk))
        self.bulk(through, links)
        self.outcome_teams: dict[int, list[int]] = {}
        for link in links:
            self.outcome_teams.setdefault(link.outcome_id, []).append(link.team_id)
        return outcomes

    def outcome_status(self, horizon: str) -> str:
        Status = Outcome.Status
        if horizon == Horizon.CURRENT:
            return self.rng.choices(
                [Status.ACTIVE, Status.ACHIEVED, Status.MISSED, Status.DROPPED],
                weights=[85, 8, 4, 3],
            )[0]
        if horizon == Horizon.SOON:
            return self.rng.choices([Status.PROPOSED, Status.ACTIVE], [70, 30])[0]
        return Status.PROPOSED

    def outcome_for(self, horizon: str) -> Outcome | None:
        """Pick the outcome a card serves: mostly one of its own horizon."""
        roll = self.rng.random()
        if roll < UNLINKED_SHARE:
            return None
        same = self.outcomes_by_horizon[horizon]
        if roll < UNLINKED_SHARE + OTHER_HORIZON_SHARE or not same:
            others = [o for o in self.outcomes if o.horizon != horizon]
            return self.rng.choice(others or self.outcomes)
        return self.rng.choice(same)

    def build_challenges(self) -> None:
        rng = self.rng
        titles = composed_titles(
            rng,
            self.size.challenges,
            [
                f"{risk} in {area}"
                for risk, area in itertools.product(CHALLENGE_RISKS, CHALLENGE_AREAS)
            ],
        )
        Status = Challenge.Status
        self.bulk(
            Challenge,
            [
                Challenge(
                    roadmap=self.roadmap,
                    title=title,
                    outcome=self.outcome_for(horizon),
                    horizon=horizon,
                    position=position,
                    status=rng.choices(
                        [Status.OPEN, Status.MITIGATING, Status.RESOLVED],
                        weights=[5, 4, 1] if horizon == Horizon.CURRENT else [9, 1, 0],
                    )[0],
                )
                for title, (horizon, position) in zip(
                    titles, board_places(self.size.challenges), strict=True
                )
            ],
        )

    def build_key_results(self) -> None:
        rng = self.rng
        kinds = list(itertools.product(MEASURES, METRIC_AREAS, METRIC_SEGMENTS))
        rng.shuffle(kinds)
        metrics, plans = [], []
        for index, (horizon, position) in enumerate(
            board_places(self.size.key_results)
        ):
            measure, area, segment = kinds[index % len(kinds)]
            rounds = index // len(kinds)
            name = measure.name.format(Area=capitalised(area), area=area) + segment
            if rounds:
                name += f" #{rounds + 1}"
            metrics.append(
                Metric(
                    product=self.product,
                    name=name,
                    unit=measure.unit,
                    direction=Metric.Direction.UP
                    if measure.is_increasing
                    else Metric.Direction.DOWN,
                    description=measure.description.format(area=area),
                    data_source=measure.data_source,
                )
            )
            plans.append((measure, horizon, position))
        metrics = self.bulk(Metric, metrics)

        key_results, measurements, cards = [], [], []
        for metric, (measure, horizon, position) in zip(metrics, plans, strict=True):
            outcome = self.outcome_for(horizon)
            start, due = self.key_result_dates(horizon)
            baseline = self.rounded(rng.uniform(measure.low, measure.high), measure)
            factor = (
                rng.uniform(1.15, 1.8)
                if measure.is_increasing
                else rng.uniform(0.5, 0.85)
            )
            target = self.rounded(float(baseline) * factor, measure)
            if measure.unit == "%":
                target = min(target, Decimal("99"))
            if target == baseline:
                target = baseline + (1 if measure.is_increasing else -1)
            goal = outcome.goal if outcome is not None else None
            key_results.append(
                KeyResult(
                    metric=metric,
                    goal=goal
                    or (rng.choice(self.goals) if rng.random() < 0.5 else None),
                    baseline=baseline,
                    target=target,
                    start_date=start,
                    due_date=due,
                )
            )
            measurements.extend(
                self.measurements(metric, measure, baseline, target, start, due)
            )
            cards.append((outcome, horizon, position))
        key_results = self.bulk(KeyResult, key_results)
        self.bulk(Measurement, measurements)
        self.bulk(
            SuccessMetric,
            [
                SuccessMetric(
                    roadmap=self.roadmap,
                    key_result=key_result,
                    outcome=outcome,
                    horizon=horizon,
                    position=position,
                )
                for key_result, (outcome, horizon, position) in zip(
                    key_results, cards, strict=True
                )
            ],
        )

    def key_result_dates(self, horizon: str) -> tuple[dt.date, dt.date]:
        """Return start and due dates: running now, about to start, or later."""
        weeks_by_horizon: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
            Horizon.CURRENT: ((-20, -8), (4, 20)),
            Horizon.SOON: ((-4, 4), (16, 36)),
            Horizon.FUTURE: ((4, 12), (30, 60)),
        }
        weeks = weeks_by_horizon[horizon]
        (start_low, start_high), (due_low, due_high) = weeks
        start = self.today + dt.timedelta(weeks=self.rng.randint(start_low, start_high))
        due = self.today + dt.timedelta(weeks=self.rng.randint(due_low, due_high))
        return start, max(due, start + dt.timedelta(weeks=4))

    @staticmethod
    def rounded(value: float, measure: Measure) -> Decimal:
        places = DECIMALS.get(measure.unit, 0)
        return Decimal(str(round(max(value, 0.0), places)))

    def measurements(
        self,
        metric: Metric,
        measure: Measure,
        baseline: Decimal,
        target: Decimal,
        start: dt.date,
        due: dt.date,
    ) -> list[Measurement]:
        """Weekly values up to last week: flat before the start, then a trend.

        Each key result moves at its own pace (some ahead of the straight
        path, most a little behind, some stuck), with weekly noise.
        """
        rng = self.rng
        pace = rng.choice([0.2, 0.6, 0.8, 0.9, 1.0, 1.1, 1.3])
        span = float(target - baseline)
        noise = abs(span) * rng.uniform(0.02, 0.06)
        last = self.today - dt.timedelta(days=rng.randint(1, 7))
        total_days = max((due - start).days, 1)
        rows = []
        for week in range(MEASUREMENTS_PER_METRIC - 1, -1, -1):
            day = last - dt.timedelta(weeks=week)
            elapsed = max((day - start).days, 0) / total_days
            value = float(baseline) + span * pace * elapsed + rng.gauss(0, noise)
            if measure.unit == "%":
                value = min(value, 100.0)
            rows.append(
                Measurement(
                    metric=metric,
                    date=day,
                    value=self.rounded(value, measure),
                    source=Measurement.Source.IMPORT,
                )
            )
        return rows

    def build_features(self) -> list[Feature]:
        rng = self.rng
        titles = composed_titles(
            rng,
            self.size.features,
            [
                f"{thing} {place}{variant}"
                for thing, place, variant in itertools.product(
                    FEATURE_THINGS, FEATURE_PLACES, FEATURE_VARIANTS
                )
            ],
        )
        Stage = Feature.Stage
        stages: dict[str, tuple[list[FeatureStage], list[int]]] = {
            Horizon.CURRENT: (
                [Stage.DESIGNED, Stage.VALIDATED, Stage.BUILDING, Stage.RELEASED],
                [2, 3, 5, 2],
            ),
            Horizon.SOON: ([Stage.IDEA, Stage.DEFINED, Stage.DESIGNED], [3, 4, 2]),
            Horizon.FUTURE: ([Stage.IDEA, Stage.DEFINED], [8, 2]),
        }
        team_ids = [team.pk for team in self.teams]
        features = []
        for title, (horizon, position) in zip(
            titles, board_places(self.size.features), strict=True
        ):
            outcome = self.outcome_for(horizon)
            own_teams = self.outcome_teams.get(outcome.pk) if outcome else None
            choices, weights = stages[horizon]
            is_visible = horizon != Horizon.FUTURE and rng.random() < 0.3
            features.append(
                Feature(
                    roadmap=self.roadmap,
                    title=title,
                    description=rng.choice(FEATURE_DESCRIPTIONS)
                    if rng.random() < 0.3
                    else "",
                    outcome=outcome,
                    team_id=rng.choice(own_teams or team_ids),
                    horizon=horizon,
                    position=position,
                    stage=rng.choices(choices, weights)[0],
                    effort=rng.choice(["", *Feature.Effort.values]),
                    expected_impact=rng.choice(["", *Feature.Impact.values]),
                    customer_summary=f"{title}, coming soon." if is_visible else "",
                    is_customer_visible=is_visible,
                )
            )
        return self.bulk(Feature, features)

    def build_dependencies(self) -> None:
        rng = self.rng
        dependencies = []
        for outcome in rng.sample(
            self.outcomes, min(self.size.outcome_dependencies, len(self.outcomes))
        ):
            own = set(self.outcome_teams.get(outcome.pk, []))
            dependencies.append(
                TeamDependency(
                    team=rng.choice([t for t in self.teams if t.pk not in own]),
                    outcome=outcome,
                    description=rng.choice(DEPENDENCY_NEEDS),
                    status=rng.choice(TeamDependency.Status.values),
                )
            )
        for feature in rng.sample(
            self.features, min(self.size.feature_dependencies, len(self.features))
        ):
            dependencies.append(
                TeamDependency(
                    team=rng.choice([t for t in self.teams if t.pk != feature.team_id]),
                    feature=feature,
                    description=rng.choice(DEPENDENCY_NEEDS),
                    status=rng.choice(TeamDependency.Status.values),
                )
            )
        self.bulk(TeamDependency, dependencies)
