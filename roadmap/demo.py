"""The demo roadmap: Fabrikam's AI-powered fashion app, from the product documents.

Everything is created in one transaction and keyed by the product's slug, so
loading twice changes nothing and a failed load leaves nothing behind.
Dates are relative to the day of loading, so the demo never looks stale.
The demo's share links are issued with it; only their hashes are stored, so
their secrets are in the result of the load that created them and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F

from metrics import services as metric_services
from metrics.models import CheckIn, KeyResult, Measurement, Metric
from roadmap import services
from roadmap.models import (
    Challenge,
    Evidence,
    Feature,
    Horizon,
    Insight,
    Outcome,
    Review,
    ReviewVerdict,
    Roadmap,
    ShareLink,
    Snapshot,
    SnapshotKind,
    SuccessMetric,
    Team,
    TeamCapacity,
    TeamDependency,
    VerdictChoice,
)
from roadmap.reviews import evidence_for
from roadmap.snapshots import take_snapshot
from strategy import history
from strategy.models import Company, Goal, HistoryEntry, Product, Theme

if TYPE_CHECKING:
    # The model get_user_model() returns for AUTH_USER_MODEL; the plugin
    # resolves the call to it, so annotations name it directly.
    from django.contrib.auth.models import User

DEMO_SLUG = "fabrikam-style"
# A second product, private to its team: pm edits it, the stakeholder is a
# named viewer; sales and support are told it does not exist.
PRIVATE_DEMO_SLUG = "fabrikam-atelier"
# Customer-visible Soon features that sales and support may promise; the
# others in Soon are visible but not yet safe to promise, or internal only.
PROMISED_FEATURES = {"Weekly look digest"}


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    role: str
    is_editor: bool = False
    is_superuser: bool = False
    # The team group; it decides the source of the customer requests they log.
    group: str = ""


# The teams whose members log customer requests (InsightSource.for_user).
DEMO_GROUPS = ["Sales", "Support", "Marketing"]

DEMO_USERS = [
    DemoUser(
        "pm",
        "northstar-pm",
        "Product manager",
        "product manager, edits the roadmap",
        is_editor=True,
    ),
    DemoUser("stakeholder", "northstar-sponsor", "Sponsor", "stakeholder, reads"),
    DemoUser(
        "sales",
        "northstar-sales",
        "Sales lead",
        "sales, reads the Soon kit and logs customer requests",
        group="Sales",
    ),
    DemoUser(
        "support",
        "northstar-support",
        "Support lead",
        "support, reads the Soon kit and logs customer requests",
        group="Support",
    ),
    DemoUser(
        "admin",
        "northstar-admin",
        "Administrator",
        "installation admin",
        is_superuser=True,
    ),
]


@dataclass(frozen=True)
class DemoShare:
    """A share link made with the demo, and its secret (shown only now)."""

    link: ShareLink
    secret: str


@dataclass(frozen=True)
class DemoResult:
    product: Product
    created: bool
    users: list[DemoUser]
    # Filled only when the demo was created: a link's secret is not stored.
    shares: list[DemoShare] = field(default_factory=list)


def quarter_label(day: dt.date) -> str:
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def series(start: float, end: float, count: int, wobble: float) -> list[Decimal]:
    """Return a deterministic, slightly noisy path from start to end."""
    values = []
    for i in range(count):
        share = i / (count - 1)
        noise = math.sin(i * 1.7) * wobble
        values.append(Decimal(str(round(start + (end - start) * share + noise, 1))))
    return values


def ensure_users() -> dict[str, User]:
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in DEMO_GROUPS}
    user_model = get_user_model()
    users = {}
    for demo in DEMO_USERS:
        user, created = user_model.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "is_superuser": demo.is_superuser,
                "is_staff": demo.is_superuser,
            },
        )
        if created:
            user.set_password(demo.password)
            user.save(update_fields=["password"])
        if demo.group:
            user.groups.add(groups[demo.group])
        users[demo.username] = user
    return users


@transaction.atomic
def load_demo(*, today: dt.date, reset: bool = False) -> DemoResult:
    users = ensure_users()
    if reset:
        for product in Product.objects.filter(slug__in=[DEMO_SLUG, PRIVATE_DEMO_SLUG]):
            KeyResult.objects.filter(metric__product=product).delete()
            product.delete()
    existing = Product.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        return DemoResult(product=existing, created=False, users=DEMO_USERS)
    product = build_product(today=today, users=users)
    take_demo_snapshots(product=product, editor=users["pm"], today=today)
    shares = issue_share_links(product=product, editor=users["pm"])
    if not Product.objects.filter(slug=PRIVATE_DEMO_SLUG).exists():
        build_private_product(today=today, users=users)
    return DemoResult(product=product, created=True, users=DEMO_USERS, shares=shares)


def issue_share_links(*, product: Product, editor: User) -> list[DemoShare]:
    """Issue one share link of each scope; their secrets exist only in the result."""
    shares = []
    for label, scope in [
        ("Quarterly business review", ShareLink.Scope.INTERNAL),
        ("Customer advisory board", ShareLink.Scope.CUSTOMER_SAFE),
    ]:
        link, secret = ShareLink.issue(
            product=product, label=label, scope=scope, created_by=editor
        )
        shares.append(DemoShare(link=link, secret=secret))
    return shares


# The released feature's date, and what its key result did around it.
RELEASE_WEEKS_AGO = 6
ACCEPTANCE_LIFT = Decimal("1.6")

# Estimates: reach (people per quarter), impact (on the key result, in its
# unit), key result, confidence (%), effort (person-weeks). None is missing,
# on purpose: those items show under "Not estimated".
FEATURE_ESTIMATES: dict[str, tuple[Any, ...]] = {
    "Style quiz onboarding": (4000, "30", "signups", 80, "3"),
    "Wardrobe import from photos": (2500, "40", "signups", 50, "6"),
    "Worn / skipped feedback on outfits": (1300, "2", "acceptance", 70, "1"),
    "Weekly look digest": (1200, "150", "wau", 60, "3"),
    "Fit predictor from past purchases": (900, "2.5", "returns", None, "12"),
    "Dark mode": (None, None, None, None, "1"),
    "Brand storefronts": (300, "5000", "revenue", 40, "12"),
}
OUTCOME_ESTIMATES: dict[str, tuple[Any, ...]] = {
    "first_minute": (6000, "120", "signups", 70, "10"),
    "worn_suggestions": (1300, "5", "acceptance", 60, "8"),
    "weekly_habit": (1300, "300", "wau", 50, None),
    "brand_reach": (None, "20000", "revenue", 30, "30"),
}


def fill_estimates(
    *,
    today: dt.date,
    roadmap: Roadmap,
    features: dict[str, Feature],
    outcomes: dict[str, Outcome],
    key_results: dict[str, KeyResult],
) -> None:
    """Give the demo's items estimates (some missing), a target mix and a release."""

    def values(estimate: tuple[Any, ...]) -> dict[str, Any]:
        reach, impact, kr, confidence, weeks = estimate
        return {
            "reach": reach,
            "impact": Decimal(impact) if impact else None,
            "impact_key_result": key_results[kr] if kr else None,
            "estimate_confidence": confidence,
            "effort_weeks": Decimal(weeks) if weeks else None,
        }

    for title, estimate in FEATURE_ESTIMATES.items():
        Feature.objects.filter(pk=features[title].pk).update(**values(estimate))
    for name, estimate in OUTCOME_ESTIMATES.items():
        Outcome.objects.filter(pk=outcomes[name].pk).update(**values(estimate))
    Roadmap.objects.filter(pk=roadmap.pk).update(
        target_growth=35,
        target_optimisation=20,
        target_innovation=25,
        target_capability=20,
    )
    # Worn / skipped feedback shipped weeks ago; suggestion acceptance rose
    # after it, so its page has a before and an after to compare.
    released = today - dt.timedelta(weeks=RELEASE_WEEKS_AGO)
    released_feature = features["Worn / skipped feedback on outfits"]
    Feature.objects.filter(pk=released_feature.pk).update(released_on=released)
    Measurement.objects.filter(
        metric=key_results["acceptance"].metric, date__gte=released
    ).update(value=F("value") + ACCEPTANCE_LIFT)


def build_private_product(*, today: dt.date, users: dict[str, User]) -> Product:
    """A small private product: a made-to-measure pilot not yet announced."""
    product = Product.objects.create(
        name="Fabrikam Atelier",
        slug=PRIVATE_DEMO_SLUG,
        is_private=True,
        vision_statement="Clothes made to your measurements from the photos you "
        "already take, delivered in a week.",
        target_group="Fabrikam Style regulars who struggle to find clothes that fit.",
        needs="A perfect fit without a tailor's appointment.",
        product_description="A made-to-measure service with a partner atelier, "
        "announced once the partnership is signed.",
        value="A premium tier and the partner's commission.",
    )
    product.editors.add(users["pm"])
    product.viewers.add(users["stakeholder"])
    year = today.year
    theme = Theme.objects.create(
        product=product,
        title="Fit without the fitting room",
        description="Measurements from photos, good enough to cut cloth.",
        start_year=year,
        end_year=year + 1,
        position=1,
    )
    goal = Goal.objects.create(
        product=product,
        theme=theme,
        title="Run a paid pilot with 200 customers",
        description="Prove that people pay for fit, and that it fits.",
        start_date=add_months(today, -2),
        end_date=add_months(today, 9),
        position=1,
    )
    fit = Metric.objects.create(
        product=product,
        name="garments kept after delivery",
        unit="%",
        description="Share of pilot garments not returned for fit.",
    )
    dates = [add_months(today, -2) + dt.timedelta(weeks=i) for i in range(8)]
    Measurement.objects.bulk_create(
        Measurement(metric=fit, date=d, value=v, source=Measurement.Source.IMPORT)
        for d, v in zip(dates, series(61, 78, len(dates), 2.0), strict=True)
        if d <= today
    )
    KeyResult.objects.create(
        metric=fit,
        goal=goal,
        baseline=Decimal(60),
        target=Decimal(90),
        start_date=add_months(today, -2),
        due_date=add_months(today, 9),
    )
    roadmap = Roadmap.objects.create(
        product=product,
        current_hint=quarter_label(today),
        soon_hint=quarter_label(add_months(today, 3)),
        future_hint=f"{quarter_label(add_months(today, 6))} and later",
    )
    measured = Outcome.objects.create(
        roadmap=roadmap,
        horizon=Horizon.CURRENT,
        position=1,
        title="Pilot customers are measured from two photos",
        goal=goal,
        status=Outcome.Status.ACTIVE,
        confidence=Outcome.Confidence.MEDIUM,
        description="No tape measure, no appointment.",
    )
    Outcome.objects.create(
        roadmap=roadmap,
        horizon=Horizon.SOON,
        position=1,
        title="Pilot garments arrive within a week",
        goal=goal,
        status=Outcome.Status.PROPOSED,
        confidence=Outcome.Confidence.LOW,
        description="The partner atelier cuts and ships in five working days.",
    )
    Feature.objects.create(
        roadmap=roadmap,
        horizon=Horizon.CURRENT,
        position=1,
        title="Measurements from two photos",
        outcome=measured,
    )
    return product


def build_product(*, today: dt.date, users: dict[str, User]) -> Product:
    company, _ = Company.objects.update_or_create(
        id=1,
        defaults={
            "name": "Fabrikam",
            "mission": "Help everyone feel confident in what they wear, without the stress "
            "and waste of guessing.",
            "vision": "A world where getting dressed is effortless, personal and sustainable.",
        },
    )
    product = Product.objects.create(
        name="Fabrikam Style",
        slug=DEMO_SLUG,
        vision_statement="Everyone opens their wardrobe knowing what to wear: an AI stylist "
        "that learns your taste, fits your body and your budget.",
        target_group="Busy 20-40 year olds who care how they look but don't enjoy "
        "shopping or planning outfits.",
        needs="Decide what to wear in seconds; buy fewer clothes that fit and get worn; "
        "discover styles that suit them.",
        product_description="A mobile app that turns photos of your wardrobe into daily "
        "outfit suggestions and recommends the few pieces worth buying.",
        value="Subscription revenue, partner-brand commissions and a loyal, growing "
        "community after our MVP.",
    )
    product.editors.add(users["pm"])
    year = today.year

    acquire = Theme.objects.create(
        product=product,
        title="Acquire new customers",
        description="Grow beyond early adopters: make the app's value obvious in the first minute.",
        start_year=year,
        end_year=year + 2,
        position=1,
    )
    retain = Theme.objects.create(
        product=product,
        title="Become part of the daily routine",
        description="Earn a place in the morning routine with suggestions people trust.",
        start_year=year,
        end_year=year + 2,
        position=2,
    )
    sustain = Theme.objects.create(
        product=product,
        title="Build a sustainable fashion business",
        description="Fewer returns, fewer wasted purchases, and revenue from brands that fit.",
        start_year=year + 1,
        end_year=year + 3,
        position=3,
    )

    goal_start = add_months(today, -5)
    goal_end = add_months(today, 10)
    signups_goal = Goal.objects.create(
        product=product,
        theme=acquire,
        title="Grow weekly signups fivefold",
        description="Turn the MVP's word of mouth into a repeatable acquisition engine.",
        start_date=goal_start,
        end_date=goal_end,
        position=1,
    )
    regulars_goal = Goal.objects.create(
        product=product,
        theme=retain,
        title="Turn first-time users into regulars",
        description="Most users try the app once; we want them back every week.",
        start_date=goal_start,
        end_date=goal_end,
        position=2,
    )
    trust_goal = Goal.objects.create(
        product=product,
        theme=retain,
        title="Make outfit suggestions people trust",
        description="Suggestions should be worn, not skipped.",
        start_date=goal_start,
        end_date=goal_end,
        position=3,
    )
    revenue_goal = Goal.objects.create(
        product=product,
        theme=sustain,
        title="Open a second revenue stream with partner brands",
        description="Commission on style-matched purchases from partner brands.",
        start_date=add_months(today, -1),
        end_date=add_months(today, 14),
        position=4,
        status=Goal.Status.DRAFT,
    )

    measured_from = add_months(today, -6)
    weeks = [
        measured_from + dt.timedelta(weeks=i)
        for i in range(27)
        if measured_from + dt.timedelta(weeks=i) <= today
    ]
    months = [
        add_months(measured_from, i)
        for i in range(7)
        if add_months(measured_from, i) <= today
    ]

    def metric(
        name: str, unit: str, dates: list[dt.date], values: list[Decimal], **fields: str
    ) -> Metric:
        m = Metric.objects.create(product=product, name=name, unit=unit, **fields)
        Measurement.objects.bulk_create(
            Measurement(metric=m, date=d, value=v, source=Measurement.Source.IMPORT)
            for d, v in zip(dates, values, strict=True)
        )
        return m

    signups = metric(
        "weekly signups",
        "signups",
        weeks,
        series(100, 290, len(weeks), 14),
        description="New accounts created per week.",
        data_source="Product analytics, signup_completed events",
    )
    wau = metric(
        "weekly active users",
        "users",
        weeks,
        series(1200, 1390, len(weeks), 25),
        description="Users who opened at least one outfit suggestion in the week.",
        data_source="Product analytics",
    )
    retention = metric(
        "30-day retention",
        "%",
        months,
        series(22, 27, len(months), 0.6),
        description="Share of new users still active 30 days after signing up.",
        data_source="Cohort report",
        review_cadence=Metric.Cadence.MONTHLY,
    )
    acceptance = metric(
        "suggestion acceptance rate",
        "%",
        weeks,
        series(18, 21, len(weeks), 0.8),
        description="Share of suggested outfits marked as worn.",
        data_source="Outfit feedback events",
    )
    returns = metric(
        "purchase return rate",
        "%",
        months,
        series(28, 25.5, len(months), 0.4),
        direction=Metric.Direction.DOWN,
        description="Share of purchases made through the app that are returned.",
        data_source="Partner order feeds",
        review_cadence=Metric.Cadence.MONTHLY,
    )
    partner_revenue = metric(
        "partner revenue",
        "€",
        months,
        series(0, 2500, len(months), 150),
        description="Monthly commission from partner-brand purchases.",
        data_source="Finance",
        review_cadence=Metric.Cadence.MONTHLY,
    )

    def key_result(
        m: Metric, goal: Goal, baseline: int, target: int, months_ahead: int
    ) -> KeyResult:
        return KeyResult.objects.create(
            metric=m,
            goal=goal,
            baseline=Decimal(baseline),
            target=Decimal(target),
            start_date=measured_from,
            due_date=add_months(today, months_ahead),
        )

    kr_signups = key_result(signups, signups_goal, 100, 500, 7)
    kr_wau = key_result(wau, regulars_goal, 1200, 2000, 4)
    kr_retention = key_result(retention, regulars_goal, 22, 35, 9)
    kr_acceptance = key_result(acceptance, trust_goal, 18, 30, 6)
    kr_returns = key_result(returns, trust_goal, 28, 20, 10)
    kr_revenue = key_result(partner_revenue, revenue_goal, 0, 40000, 14)
    for kr, weeks_ago, confidence, happened, next_steps in [
        (
            kr_signups,
            6,
            CheckIn.Confidence.MEDIUM,
            "Signups flattened while the quiz test ran.",
            "Ship the shorter quiz to everyone.",
        ),
        (
            kr_signups,
            1,
            CheckIn.Confidence.HIGH,
            "The shorter quiz lifted completion by a third.",
            "Start on photo import.",
        ),
        (
            kr_wau,
            2,
            CheckIn.Confidence.LOW,
            "Active users grow, but far slower than the path to 2,000.",
            "Pull the weekly digest into Current.",
        ),
    ]:
        CheckIn.objects.create(
            key_result=kr,
            date=today - dt.timedelta(weeks=weeks_ago),
            confidence=confidence,
            what_happened=happened,
            next_steps=next_steps,
            author=users["pm"],
        )

    roadmap = Roadmap.objects.create(
        product=product,
        current_hint=quarter_label(today),
        soon_hint=quarter_label(add_months(today, 3)),
        future_hint=f"{quarter_label(add_months(today, 6))} and later",
    )
    team_by_name = {
        name: Team.objects.get_or_create(
            name=name, defaults={"description": description}
        )[0]
        for name, description in [
            ("Growth", "Acquisition, onboarding and activation."),
            ("Personalisation", "Recommendation models and the styling experience."),
            ("Platform", "APIs, data pipelines and infrastructure."),
            ("Partnerships", "Brand partners and commerce integrations."),
        ]
    }

    def outcome(
        horizon: str,
        position: int,
        title: str,
        *,
        teams: Sequence[str] = (),
        **fields: object,
    ) -> Outcome:
        card = Outcome.objects.create(
            roadmap=roadmap, horizon=horizon, position=position, title=title, **fields
        )
        card.teams.add(*(team_by_name[name] for name in teams))
        return card

    first_minute = outcome(
        Horizon.CURRENT,
        1,
        "New visitors see the app's value in their first minute",
        description="Visitors who leave during onboarding never come back; they need a "
        "great outfit before they are asked for anything.",
        goal=signups_goal,
        status=Outcome.Status.ACTIVE,
        confidence=Outcome.Confidence.HIGH,
        category=Outcome.Category.GROWTH,
        teams=["Growth"],
        customer_summary="A faster, friendlier start: your first outfit in under a minute.",
        is_customer_visible=True,
    )
    worn_suggestions = outcome(
        Horizon.CURRENT,
        2,
        "People wear the outfits we suggest",
        description="Suggestions that get skipped erode trust; we measure what is worn.",
        goal=trust_goal,
        status=Outcome.Status.ACTIVE,
        confidence=Outcome.Confidence.MEDIUM,
        category=Outcome.Category.OPTIMISATION,
        teams=["Personalisation"],
        customer_summary="Suggestions that learn from what you actually wear.",
        is_customer_visible=True,
    )
    weekly_habit = outcome(
        Horizon.SOON,
        1,
        "Users come back every week for fresh looks",
        description="A weekly reason to return turns curious users into regulars.",
        goal=regulars_goal,
        status=Outcome.Status.PROPOSED,
        confidence=Outcome.Confidence.MEDIUM,
        category=Outcome.Category.GROWTH,
        teams=["Growth", "Personalisation"],
        customer_summary="A weekly digest of new looks built from your own wardrobe.",
        is_customer_visible=True,
        safe_to_promise=True,
    )
    fewer_returns = outcome(
        Horizon.SOON,
        2,
        "Shoppers buy clothes that fit the first time",
        description="Returns cost our partners money and our users patience.",
        goal=trust_goal,
        status=Outcome.Status.PROPOSED,
        confidence=Outcome.Confidence.LOW,
        category=Outcome.Category.INNOVATION,
        teams=["Personalisation"],
        customer_summary="Size advice based on what already fits you.",
        is_customer_visible=True,
    )
    fresh_models = outcome(
        Horizon.SOON,
        3,
        "Suggestions learn from new feedback within a day",
        description="Models retrained by hand every month miss what people wore this "
        "week; nightly retraining keeps suggestions current.",
        goal=trust_goal,
        status=Outcome.Status.PROPOSED,
        confidence=Outcome.Confidence.HIGH,
        category=Outcome.Category.CAPABILITY,
        teams=["Platform", "Personalisation"],
    )
    brand_reach = outcome(
        Horizon.FUTURE,
        1,
        "Brands reach shoppers whose style they match",
        description="Partner brands pay for qualified, style-matched reach.",
        goal=revenue_goal,
        status=Outcome.Status.PROPOSED,
        confidence=Outcome.Confidence.LOW,
        category=Outcome.Category.INNOVATION,
        teams=["Partnerships"],
    )
    portable_data = outcome(
        Horizon.FUTURE,
        2,
        "Wardrobe data stays private and portable",
        description="Trust in how we treat personal photos is a precondition for growth.",
        status=Outcome.Status.PROPOSED,
        confidence=Outcome.Confidence.MEDIUM,
        category=Outcome.Category.CAPABILITY,
        teams=["Platform"],
    )

    for horizon, position, title, threatened, status in [
        (
            Horizon.CURRENT,
            1,
            "Cold start: no style data for brand-new users",
            first_minute,
            Challenge.Status.MITIGATING,
        ),
        (
            Horizon.CURRENT,
            2,
            "Suggestions take over 2 s on mid-range phones",
            worn_suggestions,
            Challenge.Status.OPEN,
        ),
        (
            Horizon.SOON,
            1,
            "Notification fatigue could drive uninstalls",
            weekly_habit,
            Challenge.Status.OPEN,
        ),
        (
            Horizon.SOON,
            2,
            "Size charts differ wildly between brands",
            fewer_returns,
            Challenge.Status.OPEN,
        ),
        (
            Horizon.FUTURE,
            1,
            "Brands need self-serve onboarding to scale",
            brand_reach,
            Challenge.Status.OPEN,
        ),
    ]:
        Challenge.objects.create(
            roadmap=roadmap,
            horizon=horizon,
            position=position,
            title=title,
            outcome=threatened,
            status=status,
        )

    for horizon, position, kr, served in [
        (Horizon.CURRENT, 1, kr_signups, first_minute),
        (Horizon.CURRENT, 2, kr_acceptance, worn_suggestions),
        (Horizon.SOON, 1, kr_wau, weekly_habit),
        (Horizon.SOON, 2, kr_retention, weekly_habit),
        (Horizon.SOON, 3, kr_returns, fewer_returns),
        (Horizon.FUTURE, 1, kr_revenue, brand_reach),
    ]:
        SuccessMetric.objects.create(
            roadmap=roadmap,
            horizon=horizon,
            position=position,
            key_result=kr,
            outcome=served,
        )

    features = {}
    for (
        horizon,
        position,
        title,
        served_outcome,
        stage,
        team,
        effort,
        impact,
        summary,
    ) in [
        (
            Horizon.CURRENT,
            1,
            "Style quiz onboarding",
            first_minute,
            Feature.Stage.BUILDING,
            "Growth",
            "m",
            "high",
            "Answer five quick questions and get your first outfit.",
        ),
        (
            Horizon.CURRENT,
            2,
            "Wardrobe import from photos",
            first_minute,
            Feature.Stage.VALIDATED,
            "Personalisation",
            "l",
            "high",
            "Snap a few photos and your wardrobe is ready.",
        ),
        (
            Horizon.CURRENT,
            3,
            "Worn / skipped feedback on outfits",
            worn_suggestions,
            Feature.Stage.RELEASED,
            "Personalisation",
            "s",
            "medium",
            "Tell us what you wore and suggestions get better.",
        ),
        (
            Horizon.SOON,
            1,
            "Weekly look digest",
            weekly_habit,
            Feature.Stage.DESIGNED,
            "Growth",
            "m",
            "medium",
            "A weekly set of new looks from clothes you already own.",
        ),
        (
            Horizon.SOON,
            2,
            "Fit predictor from past purchases",
            fewer_returns,
            Feature.Stage.DEFINED,
            "Personalisation",
            "xl",
            "high",
            "Size advice based on what fits you today.",
        ),
        (
            Horizon.SOON,
            3,
            "Dark mode",
            None,
            Feature.Stage.IDEA,
            "Platform",
            "s",
            "low",
            "",
        ),
        (
            Horizon.SOON,
            4,
            "Nightly model retraining",
            fresh_models,
            Feature.Stage.DEFINED,
            "Platform",
            "l",
            "medium",
            "",
        ),
        (
            Horizon.FUTURE,
            1,
            "Brand storefronts",
            brand_reach,
            Feature.Stage.IDEA,
            "Partnerships",
            "xl",
            "high",
            "",
        ),
        (
            Horizon.FUTURE,
            2,
            "Wardrobe export and delete",
            portable_data,
            Feature.Stage.IDEA,
            "Platform",
            "m",
            "medium",
            "",
        ),
    ]:
        features[title] = Feature.objects.create(
            roadmap=roadmap,
            horizon=horizon,
            position=position,
            title=title,
            outcome=served_outcome,
            stage=stage,
            team=team_by_name[team],
            effort=effort,
            expected_impact=impact,
            customer_summary=summary,
            is_customer_visible=bool(summary),
            safe_to_promise=title in PROMISED_FEATURES,
        )

    fill_estimates(
        today=today,
        roadmap=roadmap,
        features=features,
        outcomes={
            "first_minute": first_minute,
            "worn_suggestions": worn_suggestions,
            "weekly_habit": weekly_habit,
            "fewer_returns": fewer_returns,
            "brand_reach": brand_reach,
        },
        key_results={
            "signups": kr_signups,
            "acceptance": kr_acceptance,
            "wau": kr_wau,
            "retention": kr_retention,
            "returns": kr_returns,
            "revenue": kr_revenue,
        },
    )

    TeamDependency.objects.create(
        team=team_by_name["Platform"],
        outcome=worn_suggestions,
        description="A faster inference endpoint for suggestions.",
        status=TeamDependency.Status.AGREED,
        due_date=today + dt.timedelta(days=20),
    )
    TeamDependency.objects.create(
        team=team_by_name["Partnerships"],
        feature=features["Fit predictor from past purchases"],
        description="Size and return data from partner order feeds.",
        status=TeamDependency.Status.BLOCKED,
        note="Two partners have not signed the data-sharing agreement yet.",
        due_date=today - dt.timedelta(days=6),
    )
    TeamDependency.objects.create(
        team=team_by_name["Platform"],
        outcome=brand_reach,
        description="Partner API with per-brand access tokens.",
        due_date=add_months(today, 5),
    )
    # What this product counts on from each team, per horizon: Platform
    # owns two features in Soon with room for one, so Soon is over-committed.
    for name, current, soon, future in [
        ("Growth", 2, 2, 1),
        ("Personalisation", 2, 2, 2),
        ("Platform", 2, 1, 2),
        ("Partnerships", 1, 1, 2),
    ]:
        TeamCapacity.objects.create(
            product=product,
            team=team_by_name[name],
            current_capacity=current,
            soon_capacity=soon,
            future_capacity=future,
        )

    for source, account, text, about_outcome, about_feature, author in [
        (
            Insight.Source.SALES,
            "Contoso Retail",
            "Asked twice when they can run a branded storefront in the app.",
            brand_reach,
            features["Brand storefronts"],
            "sales",
        ),
        (
            Insight.Source.SUPPORT,
            "",
            "A third of tickets this month are about sizing after a purchase.",
            fewer_returns,
            None,
            "pm",
        ),
        (
            Insight.Source.CUSTOMER,
            "",
            "Loved the quiz, but it asked about my budget before showing anything.",
            first_minute,
            features["Style quiz onboarding"],
            "pm",
        ),
        (
            Insight.Source.ENGINEERING,
            "",
            "Model inference is 1.8 s p50 on a three-year-old Android phone.",
            worn_suggestions,
            None,
            "pm",
        ),
        (
            Insight.Source.MARKETING,
            "",
            "Outfit-of-the-week posts get three times the engagement of feature posts.",
            weekly_habit,
            features["Weekly look digest"],
            "stakeholder",
        ),
    ]:
        Insight.objects.create(
            product=product,
            source=source,
            account=account,
            text=text,
            outcome=about_outcome,
            feature=about_feature,
            author=users[author],
        )

    # Customer requests logged by sales and support on Soon items; each
    # request's source follows its author's team group.
    digest = features["Weekly look digest"]
    fit = features["Fit predictor from past purchases"]
    for author, account, text, requested_outcome, requested_feature in [
        (
            "sales",
            "Acme Retail",
            "Their stylists want a weekly set of looks they can send to loyalty "
            "members; asked when the digest ships.",
            weekly_habit,
            digest,
        ),
        (
            "sales",
            "Northwind Outfitters",
            "Would pilot the weekly digest with 2,000 members if it is ready "
            "before their spring campaign.",
            weekly_habit,
            digest,
        ),
        (
            "support",
            "Northwind Outfitters",
            "A shopper returned two jackets in the wrong size and asked why the "
            "app did not warn her.",
            fewer_returns,
            fit,
        ),
        (
            "support",
            "Northwind Outfitters",
            "Second ticket this month from their shoppers: partner-brand trousers "
            "run small and the app suggested the usual size.",
            fewer_returns,
            fit,
        ),
        (
            "support",
            "Acme Retail",
            "Store staff show the app in dim fitting rooms and asked for a darker "
            "screen.",
            None,
            features["Dark mode"],
        ),
        (
            "sales",
            "Acme Retail",
            "Asked whether size advice will cover their own label, not only "
            "partner brands.",
            fewer_returns,
            None,
        ),
    ]:
        user = users[author]
        Insight.objects.create(
            product=product,
            source=Insight.Source.for_user(user),
            account=account,
            text=text,
            outcome=requested_outcome,
            feature=requested_feature,
            author=user,
        )
    add_done_and_review(
        product=product,
        roadmap=roadmap,
        today=today,
        users=users,
        goal=trust_goal,
        reviewed=[
            (first_minute, VerdictChoice.KEEP, "Signups are on the path; keep going."),
            (
                worn_suggestions,
                VerdictChoice.CHANGE,
                "Acceptance barely moves: test fewer, bolder suggestions.",
            ),
            (
                weekly_habit,
                VerdictChoice.KEEP,
                "The digest is the next bet; start it this quarter.",
            ),
        ],
    )
    add_assumptions(
        roadmap=roadmap,
        today=today,
        users=users,
        first_minute=first_minute,
        weekly_habit=weekly_habit,
        wau=kr_wau.metric,
    )
    del company
    return product


def add_done_and_review(
    *,
    product: Product,
    roadmap: Roadmap,
    today: dt.date,
    users: dict[str, User],
    goal: Goal,
    reviewed: Sequence[tuple[Outcome, str, str]],
) -> Review:
    """Two closed outcomes in the Done archive and a closed review.

    One outcome was achieved (its key result hit its target), one missed
    (its key result fell short), each with what the team learned; the
    review gave verdicts three weeks ago, so the next is due within weeks.
    """
    # Measured for half a year, and still measured after the close; the
    # archive reads each key result as it stood on the day it was closed.
    closed_on = today - dt.timedelta(weeks=5)
    start = today - dt.timedelta(weeks=27)
    weeks = [start + dt.timedelta(weeks=i) for i in range(28)]
    for position, (title, status, metric_name, values, target, learning) in enumerate(
        [
            (
                "Shoppers find their size without a size chart",
                Outcome.Status.ACHIEVED,
                "size guide completion",
                series(40, 90, len(weeks), 1.5),
                75,
                "Two questions about fit beat a full size chart: completion rose "
                "from 40% to over 75%. Keep questions short and ask them in context.",
            ),
            (
                "Shoppers share outfits with friends",
                Outcome.Status.MISSED,
                "outfits shared per week",
                series(120, 200, len(weeks), 8),
                600,
                "People share outfits in their own chat apps, not in ours: a share "
                "button moved little. Next time, test the behaviour before building.",
            ),
        ],
        start=10,
    ):
        unit = "%" if "completion" in metric_name else "shares"
        metric = Metric.objects.create(product=product, name=metric_name, unit=unit)
        Measurement.objects.bulk_create(
            Measurement(
                metric=metric, date=d, value=v, source=Measurement.Source.IMPORT
            )
            for d, v in zip(weeks, values, strict=True)
        )
        key_result = KeyResult.objects.create(
            metric=metric,
            goal=goal,
            baseline=values[0],
            target=Decimal(target),
            start_date=start,
            due_date=closed_on,
        )
        closed = Outcome.objects.create(
            roadmap=roadmap,
            horizon=Horizon.CURRENT,
            position=position,
            title=title,
            goal=goal,
            status=status,
            learning=learning,
            closed_at=dt.datetime.combine(closed_on, dt.time(16), tzinfo=dt.UTC),
        )
        SuccessMetric.objects.create(
            roadmap=roadmap,
            horizon=Horizon.CURRENT,
            position=position,
            key_result=key_result,
            outcome=closed,
        )
    held_on = today - dt.timedelta(weeks=3)
    review = Review.objects.create(
        roadmap=roadmap,
        held_on=held_on,
        attendees="Priya (product), Tom (design), Ana (engineering), the sponsor",
        notes="Onboarding works; suggestions still miss. Returns need the fit data "
        "from partners before anything else.",
        decisions="Keep the onboarding work in Current.\n"
        "Change how suggestions are tested: fewer, bolder looks.",
        status=Review.Status.CLOSED,
        created_by=users["pm"],
        closed_by=users["pm"],
        closed_at=dt.datetime.combine(held_on, dt.time(15), tzinfo=dt.UTC),
    )
    evidence = evidence_for([outcome.pk for outcome, _, _ in reviewed], held_on)
    ReviewVerdict.objects.bulk_create(
        ReviewVerdict(
            review=review,
            outcome=outcome,
            verdict=verdict,
            note=note,
            evidence=evidence[outcome.pk].as_json(),
        )
        for outcome, verdict, note in reviewed
    )
    # The plan as the review left it, dated the review's close, so the next
    # review's comparison starts from it.
    snapshot = take_snapshot(
        product, name=str(review), kind=SnapshotKind.REVIEW, user=users["pm"]
    )
    Snapshot.objects.filter(pk=snapshot.pk).update(taken_at=review.closed_at)
    Review.objects.filter(pk=review.pk).update(snapshot=snapshot)
    return review


def take_demo_snapshots(*, product: Product, editor: User, today: dt.date) -> None:
    """Two snapshots with real changes between them, and one change since.

    The changes go through the services, as an editor's would, so the
    history holds them with their reasons and the comparison finds them.
    """
    roadmap = Roadmap.objects.get(product=product)
    before = take_snapshot(
        product, name="Before Q1 planning", kind=Snapshot.Kind.MANUAL, user=editor
    )
    # Kept three weeks ago, as a team would have before its planning session.
    Snapshot.objects.filter(pk=before.pk).update(
        taken_at=before.taken_at - dt.timedelta(days=21)
    )

    private = Outcome.objects.get(
        roadmap=roadmap, title="Wardrobe data stays private and portable"
    )
    moved = services.card_move(
        roadmap=roadmap,
        card=private,
        version=private.version,
        actor=editor,
        horizon=Horizon.SOON,
    )
    history.add_reason(
        entry=HistoryEntry.objects.get(pk=moved.entry_id or 0),
        user=editor,
        reason="Two partner brands want a privacy review before they sign.",
    )
    returns = Outcome.objects.get(
        roadmap=roadmap, title="Shoppers buy clothes that fit the first time"
    )
    services.card_update(
        roadmap=roadmap,
        card=returns,
        version=returns.version,
        values={
            "customer_summary": "Size advice based on what already fits you, "
            "starting with partner brands."
        },
        actor=editor,
    )
    weekly = Outcome.objects.get(
        roadmap=roadmap, title="Users come back every week for fresh looks"
    )
    services.card_create(
        roadmap=roadmap,
        card=Feature(
            title="Share a look with a friend",
            description="A link to one outfit that opens without an account.",
            horizon=Horizon.SOON,
            outcome=weekly,
            stage=Feature.Stage.IDEA,
            team=Team.objects.get(name="Growth"),
            effort="m",
            expected_impact="medium",
            customer_summary="Share a look with a friend before you wear it.",
            is_customer_visible=True,
        ),
        actor=editor,
    )
    signups = Metric.objects.get(product=product, name="weekly signups")
    latest = signups.measurements.order_by("-date").first()
    if latest is not None and latest.date < today:
        metric_services.measurement_create(
            metric=signups,
            values={"date": today, "value": latest.value + 9},
            actor=editor,
        )
    take_snapshot(
        product, name="After the roadmap review", kind=Snapshot.Kind.MANUAL, user=editor
    )

    fit = Feature.objects.get(
        roadmap=roadmap, title="Fit predictor from past purchases"
    )
    services.card_update(
        roadmap=roadmap,
        card=fit,
        version=fit.version,
        values={"stage": Feature.Stage.BUILDING},
        actor=editor,
    )


def add_assumptions(
    *,
    roadmap: Roadmap,
    today: dt.date,
    users: dict[str, User],
    first_minute: Outcome,
    weekly_habit: Outcome,
    wau: Metric,
) -> None:
    """Two key challenges written as assumptions: one fresh, one going stale."""
    photos = Challenge.objects.create(
        roadmap=roadmap,
        horizon=Horizon.CURRENT,
        position=3,
        title="Users will upload wardrobe photos",
        description="Wardrobe import only helps if people take photos of their clothes.",
        outcome=first_minute,
        is_assumption=True,
        confidence=60,
        assumed_on=today - dt.timedelta(days=40),
    )
    Evidence.objects.create(
        challenge=photos,
        kind=Evidence.Kind.NOTE,
        effect=Evidence.Effect.SUPPORTS,
        note="7 of 10 people in the prototype test photographed at least five items.",
        observed_on=today - dt.timedelta(days=9),
        author=users["pm"],
    )
    Evidence.objects.create(
        challenge=photos,
        kind=Evidence.Kind.LINK,
        effect=Evidence.Effect.WEAKENS,
        note="Diary study: photographing clothes feels like a chore after day two.",
        url="https://research.example.com/wardrobe-diary-study",
        observed_on=today - dt.timedelta(days=4),
        author=users["pm"],
    )
    digest = Challenge.objects.create(
        roadmap=roadmap,
        horizon=Horizon.SOON,
        position=3,
        title="Shoppers will open a weekly look digest",
        description="The weekly habit rests on people opening the digest.",
        outcome=weekly_habit,
        is_assumption=True,
        confidence=70,
        assumed_on=today - dt.timedelta(days=140),
    )
    request = (
        Insight.objects.filter(
            product=roadmap.product, account="Acme Retail", feature__isnull=False
        )
        .order_by("id")
        .first()
    )
    Evidence.objects.create(
        challenge=digest,
        kind=Evidence.Kind.REQUEST,
        effect=Evidence.Effect.SUPPORTS,
        insight=request,
        note="A retailer asked for it for their loyalty members.",
        observed_on=today - dt.timedelta(days=95),
        author=users["pm"],
    )
    measurement = (
        Measurement.objects.filter(metric=wau, date__lte=today - dt.timedelta(days=70))
        .order_by("-date")
        .first()
    )
    if measurement is not None:
        Evidence.objects.create(
            challenge=digest,
            kind=Evidence.Kind.MEASUREMENT,
            effect=Evidence.Effect.WEAKENS,
            measurement=measurement,
            note="Weekly active users were flat the month the test email went out.",
            observed_on=measurement.date,
            author=users["pm"],
        )
