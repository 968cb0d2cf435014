"""The top of the line of sight: company, products, strategic themes and goals."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any, Self, cast

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from metrics.models import KeyResult


class Company(models.Model):
    """The one company an installation of Northstar belongs to."""

    name = models.CharField(max_length=200)
    mission = models.TextField(blank=True)
    vision = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "company"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="company_is_singleton"),
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"), name="company_name_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> Company:
        """Return the installation's company, creating an unnamed one if needed."""
        company, _ = cls.objects.get_or_create(id=1, defaults={"name": "Our company"})
        return company


class ProductQuerySet(models.QuerySet["Product"]):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        """The products user may read, by the rule of permissions.can_view.

        Every list of products (home, company page, the Soon kit, filters,
        the invitation form, notifications) starts here, so a private
        product shows only to its editors, its named viewers and admins.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(is_private=False)
            | models.Exists(
                Product.editors.through.objects.filter(
                    product_id=models.OuterRef("pk"), user_id=user.pk
                )
            )
            | models.Exists(
                Product.viewers.through.objects.filter(
                    product_id=models.OuterRef("pk"), user_id=user.pk
                )
            )
        )

    def editable_by(self, user: User | AnonymousUser) -> Self:
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(editors=user)

    def with_editor_flag(self, user: User | AnonymousUser) -> Self:
        """Annotate `is_editable` for user by the same rule as permissions.can_edit."""
        if not user.is_authenticated or not user.is_active:
            return self.annotate(is_editable=models.Value(False))
        if user.is_superuser:
            return self.annotate(is_editable=models.Value(True))
        return self.annotate(
            is_editable=models.Exists(
                Product.editors.through.objects.filter(
                    product_id=models.OuterRef("pk"), user_id=user.pk
                )
            )
        )


class Product(models.Model):
    """A product with its own vision, strategy, goals and roadmap."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    vision_statement = models.TextField(
        blank=True, help_text="The north star: why the product exists."
    )
    target_group = models.TextField(blank=True, help_text="Who the product is for.")
    needs = models.TextField(blank=True, help_text="The problems it solves for them.")
    product_description = models.TextField(
        blank=True, help_text="What the product is and what makes it stand out."
    )
    value = models.TextField(
        blank=True, help_text="The value it provides to the company (business goals)."
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="editable_products"
    )
    # A private product is read only by its editors, its named viewers and
    # installation admins; anyone else is told it does not exist (404).
    is_private = models.BooleanField(
        "Private",
        default=False,
        # Rows written by older code (a migration's historical model) are open.
        db_default=False,
        help_text="Only its editors and the people named below can see it.",
    )
    viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="readable_products",
        help_text="People who may read this product while it is private.",
    )
    version = models.PositiveIntegerField(default=1)
    # The plan's change marker: every write to anything the board, the
    # present page or a share page shows bumps it (strategy.revision).
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProductQuerySet.as_manager()

    # The editors' and named viewers' ids, which permissions.can_edit and
    # can_view read once per instance; not fields, unset until first asked.
    _editor_ids: set[int]
    _viewer_ids: set[int]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"), name="product_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(slug__regex=r"\S"), name="product_slug_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("strategy:product_detail", args=[self.slug])

    def roadmap_or_none(self) -> Any:
        """The product's roadmap, or None before its first write.

        Read once per instance: the overview's summary, review schedule and
        portfolio balance all ask for it.
        """
        try:
            return self.roadmap
        except ObjectDoesNotExist:
            return None


def readable_by(product: str, user: str) -> Q:
    """The rule of permissions.can_view as a filter over two relations.

    On a model with a `product` relation and a user relation (a
    notification's recipient, a request's author), keep the rows whose user
    may read their product: `Notification.objects.filter(readable_by(
    "product", "recipient"))`. The user's own activity is checked apart.
    """
    return (
        Q(**{f"{product}__is_private": False})
        | Q(**{f"{user}__is_superuser": True})
        | models.Exists(
            Product.editors.through.objects.filter(
                product_id=models.OuterRef(f"{product}_id"),
                user_id=models.OuterRef(f"{user}_id"),
            )
        )
        | models.Exists(
            Product.viewers.through.objects.filter(
                product_id=models.OuterRef(f"{product}_id"),
                user_id=models.OuterRef(f"{user}_id"),
            )
        )
    )


class Theme(models.Model):
    """A multi-year strategy pillar, e.g. "Acquire new customers"."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="themes"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start_year = models.PositiveSmallIntegerField()
    end_year = models.PositiveSmallIntegerField()
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(title__regex=r"\S"), name="theme_title_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")),
                name="theme_end_year_after_start_year",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def years_label(self) -> str:
        if self.start_year == self.end_year:
            return str(self.start_year)
        return f"{self.start_year}–{self.end_year}"


class GoalQuerySet(models.QuerySet["Goal"]):
    def active(self) -> Self:
        return self.exclude(status=Goal.Status.ARCHIVED)

    def choices_keeping(self, current_id: int | None) -> Self:
        """Return the goals a form offers: the active ones and the one linked now.

        An archived goal stays offered where it is already linked, so saving an
        unrelated change never unlinks it silently.
        """
        return self.filter(~Q(status=Goal.Status.ARCHIVED) | Q(pk=current_id))

    def with_key_results(self) -> Self:
        """Prefetch each goal's key results with their current value.

        Key results live in metrics, an app above this one, so the model is
        reached through the reverse relation rather than imported.
        """
        key_result_model = cast("type[KeyResult]", Goal.key_results.rel.related_model)
        return self.prefetch_related(
            models.Prefetch(
                "key_results", queryset=key_result_model.objects.with_current()
            )
        )

    def for_overview(self, *, include_archived: bool = False) -> Self:
        """Fetch what the product overview shows of each goal."""
        goals = self if include_archived else self.active()
        return goals.select_related("theme").with_key_results()


class GoalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    MISSED = "missed", "Missed"
    ARCHIVED = "archived", "Archived"


class Goal(models.Model):
    """A business or product goal for the next 12-18 months."""

    Status = GoalStatus

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="goals")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="goals"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["position", "end_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(title__regex=r"\S"), name="goal_title_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="goal_end_date_after_start_date",
            ),
            models.CheckConstraint(
                condition=Q(status__in=GoalStatus.values),
                name="goal_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> Self:
        return self.filter(revoked_at__isnull=True)

    def with_maker_standing(self) -> Self:
        """Load each token's maker and annotate `maker_edits`.

        A token acts for the person who made it: it works only while they
        are active and edit its product (an installation admin edits every
        product), by the same rule as permissions.can_edit. Their rights are
        read on every request, so a token stops the moment they lose them
        and works again should they get them back.
        """
        return self.select_related("product", "created_by").annotate(
            maker_edits=models.ExpressionWrapper(
                Q(created_by__is_superuser=True)
                | models.Exists(
                    Product.editors.through.objects.filter(
                        product_id=models.OuterRef("product_id"),
                        user_id=models.OuterRef("created_by_id"),
                    )
                ),
                output_field=models.BooleanField(),
            )
        )


class ApiToken(models.Model):
    """A per-product bearer token for the JSON API; only its hash is stored."""

    PREFIX = "ns_"

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"), name="apitoken_name_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(
        cls, *, product: Product, name: str, created_by: User | None = None
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with its secret, which is shown only once."""
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            product=product,
            name=name,
            token_hash=cls.hash_secret(secret),
            hint=secret[: len(cls.PREFIX) + 6],
            created_by=created_by,
        )
        return token, secret

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def stopped_reason(self) -> str:
        """Why an unrevoked token does not work now ("" when it works).

        Needs `with_maker_standing()`.
        """
        maker = self.created_by
        if maker is None:
            return "its maker's account no longer exists"
        if not maker.is_active:
            return "its maker's account is deactivated"
        if not getattr(self, "maker_edits", False):
            return "its maker no longer edits this product"
        return ""

    @property
    def works(self) -> bool:
        return self.is_active and not self.stopped_reason

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class HistoryAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    MOVED = "moved", "Moved"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"
    LINKED = "linked", "Linked"
    UNLINKED = "unlinked", "Unlinked"


class ItemKind(models.TextChoices):
    """Every kind of item of a product's plan that the history names."""

    PRODUCT = "product", "Product"
    VISION_BOARD = "vision_board", "Vision board"
    THEME = "theme", "Theme"
    GOAL = "goal", "Goal"
    METRIC = "metric", "Metric"
    MEASUREMENT = "measurement", "Measurement"
    KEY_RESULT = "key_result", "Key result"
    CHECK_IN = "check_in", "Check-in"
    ROADMAP = "roadmap", "Roadmap"
    OUTCOME = "outcome", "Outcome"
    CHALLENGE = "challenge", "Challenge"
    SUCCESS_METRIC = "success_metric", "Success metric"
    FEATURE = "feature", "Feature"
    DEPENDENCY = "dependency", "Dependency"
    INSIGHT = "insight", "Insight"
    SHARE_LINK = "share_link", "Share link"
    API_TOKEN = "api_token", "API token"


class HistoryEntryQuerySet(models.QuerySet["HistoryEntry"]):
    def for_product(self, product: Product) -> Self:
        return self.filter(product=product)

    def for_item(self, kind: str, item_id: int) -> Self:
        """Entries of the item and of the items it holds (a metric's values)."""
        return self.filter(
            Q(item_kind=kind, item_id=item_id) | Q(parent_kind=kind, parent_id=item_id)
        )

    def moves(self) -> Self:
        return self.filter(action=HistoryAction.MOVED, field="horizon")

    def in_horizon(self, horizon: str) -> Self:
        """Entries of items in the horizon, and moves into or out of it."""
        return self.filter(
            Q(horizon=horizon)
            | Q(action=HistoryAction.MOVED, field="horizon", before=horizon)
        )

    def for_list(self) -> Self:
        """Fetch what a timeline row shows, newest first, in one query."""
        return self.select_related("actor").order_by("-created_at", "-id")


class HistoryEntry(models.Model):
    """One change to a product's plan: who, when, what item, which field, why.

    Append-only: written by strategy.history only; the one later update an
    entry ever gets is its reason, by its author, shortly after.
    """

    Action = HistoryAction
    Kind = ItemKind

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="history"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who acted when no person did (an API token), or the person's name as
    # it was, should the account go.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=HistoryAction)
    item_kind = models.CharField(max_length=20, choices=ItemKind)
    item_id = models.PositiveBigIntegerField(null=True, blank=True)
    item_title = models.CharField(max_length=300, blank=True)
    # The item this one belongs to, whose history shows it too: a
    # measurement's metric, a check-in's key result.
    parent_kind = models.CharField(max_length=20, choices=ItemKind, blank=True)
    parent_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The board horizon the item was in (after a move: the one it went to).
    horizon = models.CharField(max_length=10, blank=True)
    field = models.CharField(max_length=50, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = HistoryEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "history entries"
        indexes = [
            models.Index(
                fields=["product", "-created_at", "-id"], name="history_product_time"
            ),
            models.Index(
                fields=["item_kind", "item_id", "-created_at"], name="history_item"
            ),
            models.Index(
                fields=["parent_kind", "parent_id", "-created_at"],
                name="history_parent",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=HistoryAction.values),
                name="history_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(item_kind__in=ItemKind.values),
                name="history_item_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.item_kind} {self.item_title}"

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.created_at).date()

    @property
    def is_move(self) -> bool:
        return self.action == HistoryAction.MOVED and self.field == "horizon"

    @property
    def who(self) -> str:
        if self.actor is not None:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.actor_label or "Someone"
