"""The outcome roadmap: a board of cards in three horizons and four rows."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import F, OuterRef, Q
from django.db.models.functions import JSONObject
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone

from metrics.models import KeyResult, Measurement
from strategy.models import Goal, Product

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Horizon(models.TextChoices):
    CURRENT = "current", "Current"
    SOON = "soon", "Soon"
    FUTURE = "future", "Future"


HORIZON_VALUES = Horizon.values


class ReviewCadence(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every quarter"


def _add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day `months` later, or that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


@dataclass(frozen=True)
class ReviewSchedule:
    """When a roadmap's next review is due, by its cadence.

    `due_on` is None before the first review: the first one is due now.
    """

    cadence_label: str
    today: dt.date
    last_held_on: dt.date | None = None
    due_on: dt.date | None = None
    open_review_id: int | None = None

    @property
    def is_overdue(self) -> bool:
        return self.due_on is not None and self.due_on < self.today

    @property
    def days_overdue(self) -> int:
        return (self.today - self.due_on).days if self.is_overdue and self.due_on else 0

    @property
    def is_due(self) -> bool:
        """Whether a review should be held now (due today, overdue, or never held)."""
        return self.due_on is None or self.due_on <= self.today


class ScoreMethod(models.TextChoices):
    RICE = "rice", "RICE: reach × impact × confidence ÷ effort"
    ICE = "ice", "Impact ÷ effort"


class Roadmap(models.Model):
    """A product's roadmap; horizon labels and time hints are its own."""

    ReviewCadence = ReviewCadence

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, related_name="roadmap"
    )
    current_label = models.CharField(max_length=40, default="Current")
    soon_label = models.CharField(max_length=40, default="Soon")
    future_label = models.CharField(max_length=40, default="Future")
    current_hint = models.CharField(
        max_length=60, blank=True, help_text='e.g. "Q1 2027"'
    )
    soon_hint = models.CharField(max_length=60, blank=True)
    future_hint = models.CharField(max_length=60, blank=True)
    review_cadence = models.CharField(
        max_length=10,
        choices=ReviewCadence,
        default=ReviewCadence.MONTHLY,
        help_text="How often the team reviews its outcomes against the evidence.",
    )
    score_method = models.CharField(
        max_length=4, choices=ScoreMethod, default=ScoreMethod.RICE
    )
    # The portfolio's target mix by outcome category, in percent; all four
    # are set (adding up to 100) or none is.
    target_growth = models.PositiveSmallIntegerField(null=True, blank=True)
    target_optimisation = models.PositiveSmallIntegerField(null=True, blank=True)
    target_innovation = models.PositiveSmallIntegerField(null=True, blank=True)
    target_capability = models.PositiveSmallIntegerField(null=True, blank=True)
    # An assumption with no evidence for this many days is going stale.
    assumption_stale_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="Days without new evidence after which an assumption goes stale.",
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(assumption_stale_days__gte=1)
                & Q(assumption_stale_days__lte=365),
                name="roadmap_assumption_stale_days_range",
            ),
            models.CheckConstraint(
                condition=Q(current_label__regex=r"\S")
                & Q(soon_label__regex=r"\S")
                & Q(future_label__regex=r"\S"),
                name="roadmap_horizon_labels_not_blank",
            ),
            models.CheckConstraint(
                condition=Q(review_cadence__in=ReviewCadence.values),
                name="roadmap_review_cadence_valid",
            ),
            models.CheckConstraint(
                condition=Q(score_method__in=ScoreMethod.values),
                name="roadmap_score_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    target_growth__isnull=True,
                    target_optimisation__isnull=True,
                    target_innovation__isnull=True,
                    target_capability__isnull=True,
                )
                | Q(
                    Q(
                        target_growth__isnull=False,
                        target_optimisation__isnull=False,
                        target_innovation__isnull=False,
                        target_capability__isnull=False,
                    ),
                    Exact(
                        F("target_growth")
                        + F("target_optimisation")
                        + F("target_innovation")
                        + F("target_capability"),
                        100,
                    ),
                ),
                name="roadmap_target_mix_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"Roadmap of {self.product}"

    def get_absolute_url(self) -> str:
        return reverse("roadmap:board", args=[self.product.slug])

    def horizon_label(self, horizon: str) -> str:
        return getattr(self, f"{horizon}_label")

    def horizon_hint(self, horizon: str) -> str:
        return getattr(self, f"{horizon}_hint")

    @property
    def horizons(self) -> list[tuple[str, str, str]]:
        """Return (value, label, time hint) for each horizon, in board order."""
        return [
            (h, self.horizon_label(h), self.horizon_hint(h)) for h in HORIZON_VALUES
        ]

    def review_due_after(self, held_on: dt.date) -> dt.date:
        """The day the review after one held on `held_on` is due, by the cadence."""
        if self.review_cadence == ReviewCadence.WEEKLY:
            return held_on + dt.timedelta(days=7)
        if self.review_cadence == ReviewCadence.BIWEEKLY:
            return held_on + dt.timedelta(days=14)
        if self.review_cadence == ReviewCadence.QUARTERLY:
            return _add_months(held_on, 3)
        return _add_months(held_on, 1)

    def review_schedule(self, today: dt.date | None = None) -> ReviewSchedule:
        """The last closed review, the next one's due date and the open one.

        One query (none for a roadmap not saved yet, which has no review).
        """
        today = today or timezone.localdate()
        label = ReviewCadence(self.review_cadence).label
        if self.pk is None:
            return ReviewSchedule(label, today)
        found = self.reviews.aggregate(
            last=models.Max("held_on", filter=Q(status=ReviewStatus.CLOSED)),
            open_id=models.Max("id", filter=Q(status=ReviewStatus.OPEN)),
        )
        last = found["last"]
        return ReviewSchedule(
            cadence_label=label,
            today=today,
            last_held_on=last,
            due_on=self.review_due_after(last) if last else None,
            open_review_id=found["open_id"],
        )

    @property
    def target_mix(self) -> dict[str, int] | None:
        """The target share of each outcome category in percent, if set."""
        mix = {
            category: getattr(self, f"target_{category}")
            for category in OutcomeCategory.values
        }
        if any(value is None for value in mix.values()):
            return None
        return mix


class Team(models.Model):
    """A team; shared by every product that counts on it."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"), name="team_name_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamCapacity(models.Model):
    """What one product's plan may count on from a team, per horizon.

    Capacity belongs to a product, not to the team: a team shared by two
    products gives each a share of its time, each product's editors set
    their own share (and only they may change their plan), and a team's
    load is counted against the share of the plan it is in.
    """

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="team_capacities"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="capacities")
    # Features the team can take on in each horizon; empty: not set.
    current_capacity = models.PositiveSmallIntegerField(null=True, blank=True)
    soon_capacity = models.PositiveSmallIntegerField(null=True, blank=True)
    future_capacity = models.PositiveSmallIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "team"], name="teamcapacity_one_per_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} on {self.product}"

    def capacity(self, horizon: str) -> int | None:
        return getattr(self, f"{horizon}_capacity")


class CardQuerySet(models.QuerySet):
    def alive(self) -> Self:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> Self:
        return self.filter(deleted_at__isnull=False).order_by("-deleted_at")

    def in_horizon(self, horizon: str) -> Self:
        return self.filter(horizon=horizon)

    def in_board_order(self) -> Self:
        return self.order_by("horizon", "position", "id")

    def board_fields(self, *extra: str) -> Self:
        """Load only what a card shows, and updated_at to tell saves apart."""
        return self.only(
            "id",
            "roadmap_id",
            "horizon",
            "position",
            "version",
            "updated_at",
            "title",
            "description",
            *extra,
        )


class OutcomeQuerySet(CardQuerySet):
    def open(self) -> Self:
        """Outcomes still pursued: not closed as achieved, missed or dropped."""
        return self.exclude(status__in=CLOSED_OUTCOME_STATUSES)

    def closed(self) -> Self:
        return self.filter(status__in=CLOSED_OUTCOME_STATUSES)

    def for_board(self) -> Self:
        """Fetch what an outcome card shows, teams included, in one query."""
        teams = ArraySubquery(
            Team.objects.filter(outcomes=OuterRef("pk"))
            .order_by("name")
            .values(json=JSONObject(id="id", name="name"))
        )
        return (
            self.alive()
            .select_related("goal__theme")
            .board_fields(
                "status",
                "confidence",
                "category",
                "goal__title",
                "goal__theme__title",
            )
            .annotate(team_list=teams)
            .in_board_order()
        )


class ChallengeQuerySet(CardQuerySet):
    def for_board(self) -> Self:
        return self.alive().board_fields("status", "outcome_id").in_board_order()


class FeatureQuerySet(CardQuerySet):
    def for_board(self) -> Self:
        return (
            self.alive()
            .board_fields("stage", "outcome_id", "team_id")
            .annotate(team_name=models.F("team__name"))
            .in_board_order()
        )


class Card(models.Model):
    """What every card on the board has: a place, a version and a soft delete."""

    horizon = models.CharField(max_length=10, choices=Horizon, default=Horizon.CURRENT)
    position = models.PositiveIntegerField(default=0)
    # Optimistic concurrency: an edit posts the version it was rendered with.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    # Subclasses replace this manager; mypy sees it as a class variable, so
    # theirs are annotated ClassVar (the plugin still infers the manager type).
    objects = CardQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "id"]
        # Every concrete card has a roadmap; the board reads cells in order.
        indexes = [
            models.Index(
                fields=["roadmap", "horizon", "position"],
                name="%(app_label)s_%(class)s_cell",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon__in=HORIZON_VALUES),
                name="%(app_label)s_%(class)s_horizon_valid",
            ),
        ]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        # The board's card forms leave every field out of model validation
        # (BoardCardForm._get_validation_exclusions). Django would still build
        # a map of every field for each check constraint only to skip it.
        if exclude is not None and {f.name for f in self._meta.fields} <= set(exclude):
            return
        super().validate_constraints(exclude)


class TitledCard(Card):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta(Card.Meta):
        abstract = True
        constraints = [
            *Card.Meta.constraints,
            models.CheckConstraint(
                condition=Q(title__regex=r"\S"),
                name="%(app_label)s_%(class)s_title_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EstimatedCard(TitledCard):
    """A card with a prioritisation estimate (see roadmap.prioritisation).

    Every part may be missing: an item without a whole estimate is listed
    as "Not estimated", never ranked.
    """

    reach = models.PositiveIntegerField(
        null=True, blank=True, help_text="People reached per quarter."
    )
    impact = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Expected improvement of the key result, in its unit.",
    )
    impact_key_result = models.ForeignKey(
        KeyResult,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="estimated_%(class)ss",
    )
    estimate_confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Confidence in the estimate, in percent."
    )
    effort_weeks = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Effort in person-weeks.",
    )

    class Meta(TitledCard.Meta):
        abstract = True
        constraints = [
            *TitledCard.Meta.constraints,
            models.CheckConstraint(
                condition=Q(estimate_confidence__lte=100),
                name="%(app_label)s_%(class)s_estimate_confidence_percent",
            ),
            models.CheckConstraint(
                condition=Q(effort_weeks__gt=0),
                name="%(app_label)s_%(class)s_effort_weeks_positive",
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=0),
                name="%(app_label)s_%(class)s_impact_not_negative",
            ),
        ]


class OutcomeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    MISSED = "missed", "Missed"
    DROPPED = "dropped", "Dropped"


# An outcome closed with one of these has left the board for the Done archive.
CLOSED_OUTCOME_STATUSES = (
    OutcomeStatus.ACHIEVED,
    OutcomeStatus.MISSED,
    OutcomeStatus.DROPPED,
)
OPEN_OUTCOME_STATUSES = (OutcomeStatus.PROPOSED, OutcomeStatus.ACTIVE)


class OutcomeConfidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class OutcomeCategory(models.TextChoices):
    GROWTH = "growth", "Growth"
    OPTIMISATION = "optimisation", "Optimisation"
    INNOVATION = "innovation", "Innovation"
    CAPABILITY = "capability", "Capability"


class Outcome(EstimatedCard):
    """A desired outcome: the change in the world the product team is after."""

    Status = OutcomeStatus
    Confidence = OutcomeConfidence
    Category = OutcomeCategory

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="outcomes"
    )
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="outcomes"
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PROPOSED)
    confidence = models.CharField(
        max_length=6, choices=Confidence, default=Confidence.MEDIUM
    )
    category = models.CharField(
        max_length=12, choices=Category, default=Category.GROWTH
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="outcomes")
    customer_summary = models.TextField(
        blank=True, help_text="What customers may be told, in customer-safe words."
    )
    is_customer_visible = models.BooleanField(default=False)
    safe_to_promise = models.BooleanField(
        default=False,
        help_text="Sales and support may promise this to customers.",
    )
    # Set when the outcome is closed as achieved, missed or dropped.
    closed_at = models.DateTimeField(null=True, blank=True)
    learning = models.TextField(
        "What we learned",
        blank=True,
        help_text="What closing this outcome taught the team.",
    )

    objects: ClassVar = OutcomeQuerySet.as_manager()

    class Meta(EstimatedCard.Meta):
        constraints = [
            *EstimatedCard.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status__in=OutcomeStatus.values),
                name="outcome_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=OutcomeConfidence.values),
                name="outcome_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(category__in=OutcomeCategory.values),
                name="outcome_category_valid",
            ),
        ]

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_OUTCOME_STATUSES


class ChallengeStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Being mitigated"
    RESOLVED = "resolved", "Resolved"


class Challenge(TitledCard):
    """A key challenge to overcome on the way to an outcome."""

    Status = ChallengeStatus

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="challenges"
    )
    outcome = models.ForeignKey(
        Outcome,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="challenges",
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    # A challenge written as an assumption to test, e.g. "Users will upload
    # wardrobe photos", with how sure the team is that it holds.
    is_assumption = models.BooleanField("An assumption to test", default=False)
    confidence = models.PositiveSmallIntegerField(
        "Confidence (%)",
        null=True,
        blank=True,
        help_text="How sure the team is that the assumption holds, 0-100 %.",
    )
    # When it became an assumption: its age counts from here until evidence.
    assumed_on = models.DateField(null=True, blank=True)

    objects: ClassVar = ChallengeQuerySet.as_manager()

    class Meta(TitledCard.Meta):
        constraints = [
            *TitledCard.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status__in=ChallengeStatus.values),
                name="challenge_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__lte=100),
                name="challenge_confidence_percent",
            ),
        ]


class SuccessMetric(Card):
    """Places a key result on the board's Success metrics row, under an outcome."""

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="success_metrics"
    )
    key_result = models.OneToOneField(
        KeyResult, on_delete=models.CASCADE, related_name="success_metric"
    )
    outcome = models.ForeignKey(
        Outcome,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="success_metrics",
    )

    class Meta(Card.Meta):
        pass

    def __str__(self) -> str:
        return self.key_result.statement

    @property
    def title(self) -> str:
        return self.key_result.statement


class FeatureStage(models.TextChoices):
    IDEA = "idea", "Idea"
    DEFINED = "defined", "Defined"
    DESIGNED = "designed", "Designed"
    VALIDATED = "validated", "Validated"
    BUILDING = "building", "Building"
    RELEASED = "released", "Released"


class FeatureEffort(models.TextChoices):
    XS = "xs", "XS"
    S = "s", "S"
    M = "m", "M"
    L = "l", "L"
    XL = "xl", "XL"

    @property
    def weeks(self) -> Decimal:
        """The person-weeks a t-shirt size stands for (a quick pick)."""
        return EFFORT_WEEKS[self.value]


# What each t-shirt size fills in as effort, in person-weeks.
EFFORT_WEEKS = {
    "xs": Decimal("0.5"),
    "s": Decimal("1"),
    "m": Decimal("3"),
    "l": Decimal("6"),
    "xl": Decimal("12"),
}


class FeatureImpact(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Feature(EstimatedCard):
    """A solution bet that should move an outcome."""

    Stage = FeatureStage
    Effort = FeatureEffort
    Impact = FeatureImpact

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="features"
    )
    outcome = models.ForeignKey(
        Outcome,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="features",
    )
    stage = models.CharField(max_length=10, choices=Stage, default=Stage.IDEA)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="features"
    )
    effort = models.CharField(max_length=2, choices=Effort, blank=True)
    expected_impact = models.CharField(max_length=6, choices=Impact, blank=True)
    released_on = models.DateField(
        null=True,
        blank=True,
        help_text="Set when the stage becomes Released; you may correct it.",
    )
    customer_summary = models.TextField(
        blank=True, help_text="What customers may be told, in customer-safe words."
    )
    is_customer_visible = models.BooleanField(default=False)
    safe_to_promise = models.BooleanField(
        default=False,
        help_text="Sales and support may promise this to customers.",
    )

    objects: ClassVar = FeatureQuerySet.as_manager()

    class Meta(EstimatedCard.Meta):
        constraints = [
            *EstimatedCard.Meta.constraints,
            models.CheckConstraint(
                condition=Q(stage__in=FeatureStage.values), name="feature_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(effort__in=["", *FeatureEffort.values]),
                name="feature_effort_valid",
            ),
            models.CheckConstraint(
                condition=Q(expected_impact__in=["", *FeatureImpact.values]),
                name="feature_expected_impact_valid",
            ),
        ]


class DependencyStatus(models.TextChoices):
    NEEDED = "needed", "Needed"
    AGREED = "agreed", "Agreed"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"


class TeamDependencyQuerySet(models.QuerySet["TeamDependency"]):
    def for_roadmap(self, roadmap_id: int) -> Self:
        """Dependencies of the roadmap's live cards."""
        return self.filter(
            Q(outcome__roadmap_id=roadmap_id, outcome__deleted_at__isnull=True)
            | Q(feature__roadmap_id=roadmap_id, feature__deleted_at__isnull=True)
        )

    def open(self) -> Self:
        return self.exclude(status=DependencyStatus.DONE)

    def for_list(self) -> Self:
        return (
            self.select_related("team", "outcome", "feature")
            .only(
                "id",
                "version",
                "status",
                "description",
                "note",
                "due_date",
                "team__id",
                "team__name",
                "outcome__id",
                "outcome__title",
                "outcome__horizon",
                "feature__id",
                "feature__title",
                "feature__horizon",
            )
            .order_by("due_date", "id")
        )


class TeamDependency(models.Model):
    """An outcome or feature needs work from another team."""

    Status = DependencyStatus

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="dependencies"
    )
    outcome = models.ForeignKey(
        Outcome,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dependencies",
    )
    feature = models.ForeignKey(
        Feature,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dependencies",
    )
    description = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.NEEDED)
    note = models.CharField(
        max_length=500, blank=True, help_text="Where it stands, e.g. why it is blocked."
    )
    due_date = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar = TeamDependencyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "team dependencies"
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome__isnull=False) & Q(feature__isnull=True))
                | (Q(outcome__isnull=True) & Q(feature__isnull=False)),
                name="teamdependency_on_exactly_one_card",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DependencyStatus.values),
                name="teamdependency_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome or self.feature} needs {self.team}"

    @property
    def card(self) -> Outcome | Feature | None:
        return self.outcome or self.feature

    @property
    def card_kind(self) -> str:
        return "outcome" if self.outcome_id else "feature"

    def is_overdue(self, today: dt.date) -> bool:
        return (
            self.due_date is not None
            and self.due_date < today
            and self.status != DependencyStatus.DONE
        )


class InsightSource(models.TextChoices):
    SALES = "sales", "Sales"
    SUPPORT = "support", "Support"
    MARKETING = "marketing", "Marketing"
    ENGINEERING = "engineering", "Engineering"
    CUSTOMER = "customer", "Customer"

    @classmethod
    def for_user(cls, user: Any) -> InsightSource:
        """The source a user's requests come from: their team's group, else sales."""
        groups = {name.lower() for name in user.groups.values_list("name", flat=True)}
        for source in (cls.SUPPORT, cls.MARKETING, cls.SALES):
            if source.value in groups:
                return source
        return cls.SALES


class Insight(models.Model):
    """Feedback from the field that informs the roadmap."""

    Source = InsightSource

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="insights"
    )
    source = models.CharField(max_length=12, choices=Source)
    account = models.CharField(
        max_length=200, blank=True, help_text="Customer account, if any."
    )
    text = models.TextField()
    outcome = models.ForeignKey(
        Outcome,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="insights",
    )
    feature = models.ForeignKey(
        Feature,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="insights",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(text__regex=r"\S"), name="insight_text_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(source__in=InsightSource.values),
                name="insight_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class EvidenceKind(models.TextChoices):
    NOTE = "note", "Note"
    LINK = "link", "Link"
    MEASUREMENT = "measurement", "Measurement"
    REQUEST = "request", "Customer request"


class EvidenceEffect(models.TextChoices):
    SUPPORTS = "supports", "Supports it"
    WEAKENS = "weakens", "Weakens it"


class Evidence(models.Model):
    """Something learned about an assumption: a note, link, value or request."""

    Kind = EvidenceKind
    Effect = EvidenceEffect

    challenge = models.ForeignKey(
        Challenge, on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.NOTE)
    effect = models.CharField(max_length=8, choices=Effect, default=Effect.SUPPORTS)
    note = models.TextField(blank=True)
    url = models.URLField("Link", max_length=500, blank=True)
    measurement = models.ForeignKey(
        Measurement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evidence",
    )
    insight = models.ForeignKey(
        Insight,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name="customer request",
    )
    observed_on = models.DateField("Learned on")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["-observed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EvidenceKind.values), name="evidence_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(effect__in=EvidenceEffect.values),
                name="evidence_effect_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="link")
                | Q(url__startswith="http://")
                | Q(url__startswith="https://"),
                name="evidence_link_is_http",
            ),
        ]

    def __str__(self) -> str:
        what = self.note or self.url or self.get_kind_display()
        return f"{self.get_effect_display()}: {what}"[:120]


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def for_list(self) -> Self:
        """Fetch everything the management page shows, in one query."""
        return self.select_related("created_by").order_by("-created_at", "-id")


class ShareLink(models.Model):
    """A read-only link to a product's stakeholder page; only its hash is stored."""

    class Scope(models.TextChoices):
        INTERNAL = "internal", "Internal"
        CUSTOMER_SAFE = "customer_safe", "Customer-safe"

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="share_links"
    )
    label = models.CharField(
        max_length=100, help_text="Who the link is for, e.g. “Board meeting Dec”."
    )
    scope = models.CharField(
        max_length=13,
        choices=Scope,
        default=Scope.INTERNAL,
        help_text="Internal shows what the present page shows; customer-safe shows "
        "only customer-visible items, by their customer summary.",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="The last day the link works (optional)."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(label__regex=r"\S"), name="sharelink_label_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=["internal", "customer_safe"]),
                name="sharelink_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(
        cls,
        *,
        product: Product,
        label: str,
        scope: str = "internal",
        expires_on: dt.date | None = None,
        created_by: User | None = None,
    ) -> tuple[ShareLink, str]:
        """Create a link and return it with its secret, which is shown only once."""
        secret = secrets.token_urlsafe(32)
        link = cls.objects.create(
            product=product,
            label=label,
            scope=scope,
            expires_on=expires_on,
            token_hash=cls.hash_secret(secret),
            created_by=created_by,
        )
        return link, secret

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, today: dt.date) -> bool:
        return self.expires_on is not None and self.expires_on < today

    def is_valid(self, today: dt.date) -> bool:
        """Whether the link still opens the page on `today`."""
        return not self.is_revoked and not self.is_expired(today)

    def status_label(self, today: dt.date) -> str:
        if self.is_revoked:
            return "Revoked"
        if self.is_expired(today):
            return "Expired"
        return "Active"

    @property
    def is_customer_safe(self) -> bool:
        return self.scope == self.Scope.CUSTOMER_SAFE


class SoonVisit(models.Model):
    """What the Soon kit showed a user for a product when they last opened it.

    `items` maps "<kind>:<pk>" to what the kit compares on the next visit
    (title, customer visibility, safe to promise, confidence), so "what
    changed since your last visit" needs no history of its own.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="soon_visits"
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="soon_visits"
    )
    seen_at = models.DateTimeField()
    items = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product"], name="soonvisit_one_per_user_and_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} saw {self.product} Soon at {self.seen_at:%Y-%m-%d %H:%M}"


class NotificationKind(models.TextChoices):
    ENTERED_CURRENT = "entered_current", "Now in progress"
    RELEASED = "released", "Released"
    BACK_TO_FUTURE = "back_to_future", "Moved back to Future"
    DELETED = "deleted", "Removed from the roadmap"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Tells someone who logged a customer request that its item moved."""

    Kind = NotificationKind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind)
    outcome = models.ForeignKey(
        Outcome,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    feature = models.ForeignKey(
        Feature,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # The item's title when it happened: the item may be renamed or deleted.
    item_title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values),
                name="notification_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(outcome__isnull=False) & Q(feature__isnull=True))
                | (Q(outcome__isnull=True) & Q(feature__isnull=False)),
                name="notification_on_exactly_one_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_title}: {self.get_kind_display()}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SnapshotKind(models.TextChoices):
    MANUAL = "manual", "Taken by hand"
    REVIEW = "review", "At a review"
    MONTHLY = "monthly", "Start of the month"


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def for_list(self) -> Self:
        """The list's rows without their documents, newest first, in one query."""
        return (
            self.defer("document")
            .select_related("taken_by")
            .order_by("-taken_at", "-id")
        )


class Snapshot(models.Model):
    """A product's whole plan frozen at one moment, as one plan document.

    `document` is a `roadmap.schemas.PlanDoc` dumped as JSON (the export's
    schema, `schema_version` inside); every item in it carries its database
    id, which matches it across two snapshots of the same product. Snapshots
    are never edited: `roadmap.snapshots.take_snapshot` writes them.
    """

    Kind = SnapshotKind

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="snapshots"
    )
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=SnapshotKind)
    schema_version = models.PositiveSmallIntegerField()
    document = models.JSONField()
    size = models.PositiveIntegerField(help_text="The document's size in bytes.")
    # The plan's revision when taken: a snapshot of a later revision differs.
    revision = models.PositiveIntegerField()
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects: ClassVar = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [
            models.Index(
                fields=["product", "-taken_at"], name="snapshot_product_taken"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"), name="snapshot_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["manual", "review", "monthly"]),
                name="snapshot_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewStatus(models.TextChoices):
    OPEN = "open", "In progress"
    CLOSED = "closed", "Closed"


class ReviewQuerySet(models.QuerySet["Review"]):
    def open(self) -> Self:
        return self.filter(status=ReviewStatus.OPEN)

    def closed(self) -> Self:
        return self.filter(status=ReviewStatus.CLOSED)

    def for_list(self) -> Self:
        """Newest first, with who started and closed each, in one query."""
        return self.select_related("created_by", "closed_by").order_by(
            "-held_on", "-id"
        )


class Review(models.Model):
    """A regular look at the roadmap's outcomes against the evidence.

    While open, editors keep notes and give each open outcome a verdict;
    closing it freezes it and takes a snapshot of the plan.
    """

    Status = ReviewStatus

    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.CASCADE, related_name="reviews"
    )
    held_on = models.DateField("Date", default=timezone.localdate)
    attendees = models.TextField(
        blank=True, help_text="Who took part: names or roles, separated by commas."
    )
    notes = models.TextField(blank=True)
    decisions = models.TextField(
        blank=True, help_text="What the team decided, one decision a line."
    )
    status = models.CharField(max_length=6, choices=Status, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # The plan as the review left it, taken when it was closed.
    snapshot = models.ForeignKey(
        Snapshot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values),
                name="review_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.OPEN, closed_at__isnull=True)
                | Q(status=ReviewStatus.CLOSED, closed_at__isnull=False),
                name="review_closed_has_closed_at",
            ),
            # One review at a time: a second "Start" opens the running one.
            models.UniqueConstraint(
                fields=["roadmap"],
                condition=Q(status=ReviewStatus.OPEN),
                name="review_one_open_per_roadmap",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.held_on.day} {self.held_on:%b %Y}"

    def get_absolute_url(self) -> str:
        return reverse(
            "roadmap:review_detail", args=[self.roadmap.product.slug, self.pk]
        )

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN

    @property
    def in_sentence(self) -> str:
        """The review as named inside a sentence: "review of 6 Nov 2026"."""
        return f"review of {self.held_on.day} {self.held_on:%b %Y}"


class VerdictChoice(models.TextChoices):
    KEEP = "keep", "Keep"
    CHANGE = "change", "Change"
    DROP = "drop", "Drop"


class ReviewVerdict(models.Model):
    """What a review decided about one outcome, with why.

    `evidence` keeps what the outcome's key results and check-ins said when
    the review was closed, so a closed review reads as it was held.
    """

    Verdict = VerdictChoice

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="verdicts"
    )
    outcome = models.ForeignKey(
        Outcome, on_delete=models.CASCADE, related_name="review_verdicts"
    )
    verdict = models.CharField(max_length=6, choices=Verdict, blank=True)
    note = models.TextField(blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "outcome"], name="reviewverdict_one_per_outcome"
            ),
            models.CheckConstraint(
                condition=Q(verdict__in=["", *VerdictChoice.values]),
                name="reviewverdict_verdict_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display() or 'No verdict'}: {self.outcome_id}"
