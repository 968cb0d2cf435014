"""The outcome roadmap: a board of cards in three horizons and four rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import OuterRef, Q
from django.db.models.functions import JSONObject
from django.urls import reverse

from metrics.models import KeyResult, Measurement
from strategy.models import Goal, Product

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Horizon(models.TextChoices):
    CURRENT = "current", "Current"
    SOON = "soon", "Soon"
    FUTURE = "future", "Future"


HORIZON_VALUES = Horizon.values


class Roadmap(models.Model):
    """A product's roadmap; horizon labels and time hints are its own."""

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


class OutcomeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    MISSED = "missed", "Missed"
    DROPPED = "dropped", "Dropped"


class OutcomeConfidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class OutcomeCategory(models.TextChoices):
    GROWTH = "growth", "Growth"
    OPTIMISATION = "optimisation", "Optimisation"
    INNOVATION = "innovation", "Innovation"
    CAPABILITY = "capability", "Capability"


class Outcome(TitledCard):
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

    objects: ClassVar = OutcomeQuerySet.as_manager()

    class Meta(TitledCard.Meta):
        constraints = [
            *TitledCard.Meta.constraints,
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


class FeatureImpact(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Feature(TitledCard):
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
    customer_summary = models.TextField(
        blank=True, help_text="What customers may be told, in customer-safe words."
    )
    is_customer_visible = models.BooleanField(default=False)
    safe_to_promise = models.BooleanField(
        default=False,
        help_text="Sales and support may promise this to customers.",
    )

    objects: ClassVar = FeatureQuerySet.as_manager()

    class Meta(TitledCard.Meta):
        constraints = [
            *TitledCard.Meta.constraints,
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
