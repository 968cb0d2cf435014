"""Metrics, their measurements over time, key results and check-ins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone

from metrics import progress as progress_maths
from metrics.formatting import format_value
from strategy.models import Goal, Product


class MetricQuerySet(models.QuerySet["Metric"]):
    def for_product(self, product: Product) -> Self:
        return self.filter(product=product)

    def with_latest(self) -> Self:
        """Annotate the latest and previous measurement, in the same query."""
        latest = Measurement.objects.filter(metric=OuterRef("pk")).order_by("-date")
        return self.annotate(
            latest_value=Subquery(latest.values("value")[:1]),
            latest_date=Subquery(latest.values("date")[:1]),
            previous_value=Subquery(latest.values("value")[1:2]),
        )


class Metric(models.Model):
    class Direction(models.TextChoices):
        UP = "up", "Higher is better"
        DOWN = "down", "Lower is better"

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="metrics"
    )
    name = models.CharField(max_length=200)
    unit = models.CharField(
        max_length=30, blank=True, help_text='e.g. "%", "users", "€"'
    )
    direction = models.CharField(max_length=4, choices=Direction, default=Direction.UP)
    description = models.TextField(blank=True)
    data_source = models.CharField(
        max_length=200, blank=True, help_text="Where the numbers come from."
    )
    review_cadence = models.CharField(
        max_length=10, choices=Cadence, default=Cadence.WEEKLY
    )
    version = models.PositiveIntegerField(default=1)

    objects = MetricQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"), name="metric_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["up", "down"]), name="metric_direction_valid"
            ),
            models.UniqueConstraint(
                fields=["product", "name"], name="metric_name_unique_per_product"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("metrics:metric_detail", args=[self.product.slug, self.pk])

    @property
    def is_increasing(self) -> bool:
        return self.direction == self.Direction.UP

    def format(self, value: Decimal | None) -> str:
        return format_value(value, self.unit)

    @property
    def change(self) -> Decimal | None:
        """Latest minus previous value; needs `with_latest()`."""
        latest = getattr(self, "latest_value", None)
        previous = getattr(self, "previous_value", None)
        if latest is None or previous is None:
            return None
        return latest - previous

    @property
    def change_label(self) -> str:
        """The change with its sign and unit, e.g. "+120 users" or "−0.5%"."""
        change = self.change
        if change is None:
            return ""
        sign = "+" if change > 0 else "−" if change < 0 else "±"
        return sign + format_value(abs(change), self.unit)

    @property
    def change_is_good(self) -> bool | None:
        """Whether the latest change went the way the metric should go."""
        change = self.change
        if not change:
            return None
        return (change > 0) == self.is_increasing


class MeasurementQuerySet(models.QuerySet["Measurement"]):
    def for_product(self, product: Product) -> Self:
        return self.filter(metric__product=product)

    def recent_per_metric(self, limit: int) -> Self:
        """Keep only each metric's `limit` most recent measurements.

        One query for any number of metrics, and a payload that stays the
        same size however long a metric has been measured.
        """
        return self.annotate(
            recency=Window(
                RowNumber(), partition_by=[F("metric_id")], order_by=F("date").desc()
            )
        ).filter(recency__lte=limit)


class Measurement(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Imported"
        API = "api", "API"

    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="measurements"
    )
    date = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4)
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=Source, default=Source.MANUAL)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "date"],
                name="measurement_one_value_per_metric_per_date",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["manual", "import", "api"]),
                name="measurement_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.value} on {self.date}"


class KeyResultQuerySet(models.QuerySet["KeyResult"]):
    def for_product(self, product: Product) -> Self:
        return self.filter(metric__product=product)

    def with_current(self) -> Self:
        """Annotate the metric's latest value, so progress needs no extra query."""
        latest = Measurement.objects.filter(metric=OuterRef("metric_id")).order_by(
            "-date"
        )
        return self.select_related("metric").annotate(
            current_value=Subquery(latest.values("value")[:1]),
            current_date=Subquery(latest.values("date")[:1]),
        )


def metric_name_in_sentence(name: str) -> str:
    """Lower-case a leading capital so the name reads inside a sentence.

    "Weekly active users" becomes "weekly active users"; acronyms such as
    "NPS" or "MRR growth" keep their capitals.
    """
    if len(name) > 1 and name[0].isupper() and not name[1].isupper():
        return name[0].lower() + name[1:]
    return name


class KeyResult(models.Model):
    """A measurable target on a metric: from baseline to target between two dates."""

    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="key_results"
    )
    goal = models.ForeignKey(
        Goal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="key_results",
    )
    baseline = models.DecimalField(max_digits=18, decimal_places=4)
    target = models.DecimalField(max_digits=18, decimal_places=4)
    start_date = models.DateField()
    due_date = models.DateField()
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = KeyResultQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=F("start_date")),
                name="keyresult_due_date_after_start_date",
            ),
        ]

    def __str__(self) -> str:
        return self.statement

    @property
    def statement(self) -> str:
        """Read the key result as a sentence: "Increase X from 100 to 500 by 30 Jun 2027"."""
        metric = self.metric
        name = metric_name_in_sentence(metric.name)
        due = f"{self.due_date.day} {self.due_date:%b %Y}"
        baseline = format_value(self.baseline, metric.unit, with_words=False)
        target = format_value(self.target, metric.unit, with_words=False)
        if self.target == self.baseline:
            return f"Keep {name} at {target} until {due}"
        verb = "Increase" if self.target > self.baseline else "Reduce"
        return f"{verb} {name} from {baseline} to {target} by {due}"

    def current(self) -> Decimal | None:
        if hasattr(self, "current_value"):
            return self.current_value
        latest = self.metric.measurements.order_by("-date").values_list(
            "value", flat=True
        )
        return latest.first()

    def progress(self, today: dt.date | None = None) -> progress_maths.Progress:
        today = today or timezone.localdate()
        return progress_maths.measure(
            baseline=self.baseline,
            target=self.target,
            current=self.current(),
            direction_up=self.metric.is_increasing,
            start=self.start_date,
            due=self.due_date,
            today=today,
        )


class CheckIn(models.Model):
    """A regular note on how a key result is going and what will change."""

    class Confidence(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    key_result = models.ForeignKey(
        KeyResult, on_delete=models.CASCADE, related_name="check_ins"
    )
    date = models.DateField(default=timezone.localdate)
    confidence = models.CharField(max_length=6, choices=Confidence)
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Confidence from 1 (none) to 10 (certain)."
    )
    what_happened = models.TextField()
    next_steps = models.TextField(blank=True, help_text="What we will change.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__in=["low", "medium", "high"]),
                name="checkin_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(what_happened__regex=r"\S"),
                name="checkin_what_happened_not_blank",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=10),
                name="checkin_score_between_1_and_10",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in on {self.date}"

    @staticmethod
    def confidence_for_score(score: int) -> str:
        """Map a 1-10 score onto low (1-3), medium (4-7) or high (8-10)."""
        if score <= 3:
            return CheckIn.Confidence.LOW
        if score <= 7:
            return CheckIn.Confidence.MEDIUM
        return CheckIn.Confidence.HIGH
