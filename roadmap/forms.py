"""Forms of the board: filters, cards (add and edit), moves and dependencies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from metrics.forms import KeyResultForm
from metrics.models import KeyResult
from roadmap.board import BoardFilters, FilterOptions, Option
from roadmap.guided_start import FirstKeyResult
from roadmap.models import (
    CLOSED_OUTCOME_STATUSES,
    EFFORT_WEEKS,
    OPEN_OUTCOME_STATUSES,
    Challenge,
    Evidence,
    Feature,
    FeatureEffort,
    Horizon,
    Insight,
    InsightSource,
    Outcome,
    OutcomeStatus,
    Review,
    Roadmap,
    ShareLink,
    SuccessMetric,
    Team,
    TeamCapacity,
    TeamDependency,
    VerdictChoice,
)
from roadmap.prioritisation import ZERO_EFFORT
from roadmap.reviews import VerdictRow
from roadmap.soon import SoonFilters
from strategy.concurrency import VersionedFormMixin
from strategy.models import Goal, Product


class NarrowingForm(forms.Form):
    """Filters of a page: choices offered from what it shows, bad values ignored."""

    def offer_choices(self, name: str, empty: str, options: tuple[Option, ...]) -> None:
        self.fields[name].widget.choices = [
            ("", empty),
            *((option.value, option.label) for option in options),
        ]

    def valid_values(self) -> dict[str, Any]:
        """The values that passed validation; an invalid one counts as not given."""
        self.is_valid()
        return {
            name: self.cleaned_data.get(name)
            for name in self.fields
            if name not in self.errors
        }


class BoardFilterForm(NarrowingForm):
    """Narrow the board; unknown or malformed values are ignored, never an error.

    Goals, themes and teams are offered from what the board refers to
    (`offer`), which is known only once the board is read.
    """

    goal = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    theme = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    team = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    status = forms.ChoiceField(
        required=False,
        # Closed outcomes are in the Done archive, not on the board.
        choices=[
            ("", "Any status"),
            *((s.value, s.label) for s in OPEN_OUTCOME_STATUSES),
        ],
        label="Outcome status",
    )
    q = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        label="Search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Search cards",
                "autocomplete": "off",
            }
        ),
    )
    by_score = forms.BooleanField(
        required=False,
        label="Sort by score",
    )

    def offer(self, options: FilterOptions) -> None:
        """Offer the goals, themes and teams the board refers to."""
        self.offer_choices("goal", "All goals", options.goals)
        self.offer_choices("theme", "All themes", options.themes)
        self.offer_choices("team", "All teams", options.teams)

    def filters(self) -> BoardFilters:
        data = self.valid_values()
        return BoardFilters(
            goal=data.get("goal"),
            theme=data.get("theme"),
            team=data.get("team"),
            status=data.get("status") or "",
            q=data.get("q") or "",
            by_score=bool(data.get("by_score")),
        )


class CardLinkField(forms.ModelChoiceField):
    """A card's link (goal, outcome, team) that knows the card's current one.

    Most saves leave a card's links as they are. When the form was given the
    linked object the card holds now, and the field offers it, posting it
    again is recognised without the query that looks a choice up.
    """

    current: Any = None

    def to_python(self, value: Any) -> Any:
        current = self.current
        if current is not None and str(value) == str(current.pk):
            return current
        return super().to_python(value)


class OutcomeChoiceField(CardLinkField):
    def label_from_instance(self, obj: Outcome) -> str:
        return obj.title


def _card_link_field(field: Any, **kwargs: Any) -> forms.Field | None:
    if field.many_to_one:
        kwargs.setdefault("form_class", CardLinkField)
    return field.formfield(**kwargs)


class BoardCardForm(VersionedFormMixin, forms.ModelForm):
    """A card form that offers only this product's goals, outcomes and teams.

    An edit form carries the card's version (VersionedFormMixin).
    """

    class Meta:
        formfield_callback = _card_link_field

    def __init__(
        self, *args: Any, product: Product, roadmap: Roadmap, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if "goal" in self.fields:
            goal = cast("forms.ModelChoiceField[Goal]", self.fields["goal"])
            goal.queryset = product.goals.choices_keeping(
                getattr(self.instance, "goal_id", None)
            )
            goal.empty_label = "No goal"
        if "outcome" in self.fields:
            self.fields["outcome"] = OutcomeChoiceField(
                queryset=Outcome.objects.filter(roadmap=roadmap)
                .alive()
                .order_by("title"),
                required=False,
                empty_label="No outcome",
                label="Outcome",
            )
            if self.instance.pk:
                self.initial.setdefault("outcome", self.instance.outcome_id)
        if "team" in self.fields:
            team = cast("forms.ModelChoiceField[Team]", self.fields["team"])
            team.empty_label = "No team"
        if "teams" in self.fields:
            teams = cast("forms.ModelMultipleChoiceField[Team]", self.fields["teams"])
            teams.queryset = Team.objects.all()
        self._know_current_links(roadmap)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select | forms.TextInput):
                field.widget.attrs.setdefault("class", "compact")

    def _know_current_links(self, roadmap: Roadmap) -> None:
        """Give each link field the card's current object, if read with the card.

        Only where the field offers it: a goal is offered while linked
        (choices_keeping), every team is, an outcome while it is alive on
        this roadmap.
        """
        card = self.instance
        for name, field in self.fields.items():
            if not isinstance(field, CardLinkField):
                continue
            relation = card._meta.get_field(name)
            if not relation.is_cached(card):
                continue
            current = getattr(card, name)
            if isinstance(current, Outcome) and (
                current.roadmap_id != roadmap.pk or current.deleted_at is not None
            ):
                continue
            field.current = current

    def _get_validation_exclusions(self) -> set[str]:
        """Leave every field out of the model's own validation.

        The form fields already check what the model would check again: the
        choices, lengths and required non-blank titles are those of the model
        fields, and goal, outcome and team come from querysets limited to this
        product and roadmap. Model validation would repeat that with one query
        per relation and per check constraint; the database still enforces
        every constraint when the card is saved.
        """
        return {f.name for f in self._meta.model._meta.get_fields()}


# Sales, marketing and support may repeat these words to customers.
CUSTOMER_LABELS = {
    "customer_summary": "Customer-safe summary",
    "is_customer_visible": "Customers may hear about this",
    "safe_to_promise": "Safe to promise",
}


class OutcomeCreateForm(BoardCardForm):
    class Meta(BoardCardForm.Meta):
        model = Outcome
        fields = ["title", "goal"]
        widgets = {"title": forms.TextInput(attrs={"autofocus": True})}


class OutcomeForm(BoardCardForm):
    class Meta(BoardCardForm.Meta):
        model = Outcome
        fields = [
            "title",
            "description",
            "goal",
            "status",
            "confidence",
            "category",
            "teams",
            "customer_summary",
            "is_customer_visible",
            "safe_to_promise",
        ]
        labels = CUSTOMER_LABELS
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "teams": forms.CheckboxSelectMultiple,
            "customer_summary": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Closing asks what was learned: it has a form of its own
        # (OutcomeCloseForm), so the edit form offers the open statuses.
        status = cast("forms.ChoiceField", self.fields["status"])
        status.choices = [(s.value, s.label) for s in OPEN_OUTCOME_STATUSES]
        status.help_text = "To close it as achieved, missed or dropped, use “Close”."


class OutcomeCloseForm(VersionedFormMixin, forms.ModelForm):
    """Close an outcome as achieved, missed or dropped, saying what was learned."""

    class Meta:
        model = Outcome
        fields = ["status", "learning"]
        labels = {"status": "Close as"}
        widgets = {
            "status": forms.RadioSelect,
            "learning": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = cast("forms.ChoiceField", self.fields["status"])
        status.choices = [(s.value, s.label) for s in CLOSED_OUTCOME_STATUSES]
        if not self.is_bound and not self.instance.is_closed:
            self.initial["status"] = OutcomeStatus.ACHIEVED
            self.initial["learning"] = ""
        learning = self.fields["learning"]
        learning.required = True
        learning.error_messages["required"] = (
            "Say what the team learned: the Done archive keeps it."
        )


class ChallengeCreateForm(BoardCardForm):
    class Meta(BoardCardForm.Meta):
        model = Challenge
        fields = ["title", "outcome"]
        widgets = {"title": forms.TextInput(attrs={"autofocus": True})}


class ChallengeForm(BoardCardForm):
    class Meta(BoardCardForm.Meta):
        model = Challenge
        fields = ["title", "description", "status", "outcome"]
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class FeatureCreateForm(BoardCardForm):
    class Meta(BoardCardForm.Meta):
        model = Feature
        fields = ["title", "outcome"]
        widgets = {"title": forms.TextInput(attrs={"autofocus": True})}


class FeatureForm(BoardCardForm):
    class Meta(BoardCardForm.Meta):
        model = Feature
        fields = [
            "title",
            "description",
            "stage",
            "team",
            "outcome",
            "effort",
            "expected_impact",
            "customer_summary",
            "is_customer_visible",
            "safe_to_promise",
        ]
        labels = CUSTOMER_LABELS
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "customer_summary": forms.Textarea(attrs={"rows": 2}),
        }


class SuccessMetricForm(BoardCardForm):
    """The board side of a key result card: which outcome it measures."""

    class Meta(BoardCardForm.Meta):
        model = SuccessMetric
        fields = ["outcome"]


CREATE_FORMS: dict[str, type[BoardCardForm]] = {
    "outcome": OutcomeCreateForm,
    "challenge": ChallengeCreateForm,
    "success_metric": SuccessMetricForm,
    "feature": FeatureCreateForm,
}
EDIT_FORMS: dict[str, type[BoardCardForm]] = {
    "outcome": OutcomeForm,
    "challenge": ChallengeForm,
    "success_metric": SuccessMetricForm,
    "feature": FeatureForm,
}


class CardKeyResultForm(KeyResultForm):
    """The key result edited on its success metric card, with its own version.

    The card's form posts `version`; the key result's travels as `kr_version`.
    """

    version_field_name = "kr_version"


class VersionForm(forms.Form):
    """The version a write was rendered with; every write must carry it."""

    version = forms.IntegerField(min_value=1)


class MoveForm(VersionForm):
    horizon = forms.ChoiceField(choices=Horizon.choices, required=False)
    before = forms.IntegerField(required=False, min_value=1)
    direction = forms.ChoiceField(
        choices=[("up", "Up"), ("down", "Down")], required=False
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        if not self.cleaned_data.get("horizon") and not self.cleaned_data.get(
            "direction"
        ):
            raise forms.ValidationError("Say where to move the card.")
        return self.cleaned_data


class LinkForm(VersionForm):
    """Link a card to an outcome, or unlink it with an empty outcome."""

    outcome = forms.IntegerField(required=False, min_value=1)


class TeamDependencyForm(forms.ModelForm):
    class Meta:
        model = TeamDependency
        fields = ["team", "description", "status"]
        widgets = {
            "description": forms.TextInput(
                attrs={"placeholder": "What is needed from them"}
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = cast("forms.ModelChoiceField[Team]", self.fields["team"])
        team.empty_label = "Choose a team"


class ShareLinkForm(forms.ModelForm):
    """Label, scope and an optional last day for a new share link."""

    class Meta:
        model = ShareLink
        fields = ["label", "scope", "expires_on"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"})}

    def clean_expires_on(self) -> dt.date | None:
        expires_on: dt.date | None = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on < timezone.localdate():
            raise forms.ValidationError("Choose today or a later date.")
        return expires_on


class SoonFilterForm(NarrowingForm):
    """Narrow the Soon kit; like the board's filters, bad values are ignored."""

    product = forms.CharField(required=False, max_length=50, widget=forms.Select)
    theme = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    team = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    q = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        label="Search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Search Soon",
                "autocomplete": "off",
            }
        ),
    )

    def offer(
        self,
        *,
        products: tuple[Option, ...] = (),
        themes: tuple[Option, ...],
        teams: tuple[Option, ...],
    ) -> None:
        """Offer the products (on the kit of all products), themes and teams."""
        if products:
            self.offer_choices("product", "All products", products)
        else:
            self.fields.pop("product", None)
        self.offer_choices("theme", "All themes", themes)
        self.offer_choices("team", "All teams", teams)

    def filters(self) -> SoonFilters:
        data = self.valid_values()
        return SoonFilters(
            product=data.get("product") or "",
            theme=data.get("theme"),
            team=data.get("team"),
            q=data.get("q") or "",
        )


# Who logs customer requests from the Soon kit.
REQUEST_SOURCES = [
    (source.value, source.label)
    for source in (InsightSource.SALES, InsightSource.SUPPORT, InsightSource.MARKETING)
]


class CustomerRequestForm(forms.ModelForm):
    """A customer asked for an item: which account, what for, heard by whom."""

    account = forms.CharField(
        max_length=200,
        strip=True,
        help_text="The customer's company or account name.",
    )
    text = forms.CharField(
        label="What they asked for",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    source = forms.ChoiceField(label="Heard by", choices=REQUEST_SOURCES)

    class Meta:
        model = Insight
        fields = ["account", "text", "source"]


class GuidedStartForm(forms.Form):
    """The first outcome of a roadmap, how it is measured, and a first feature."""

    outcome_title = forms.CharField(
        label="Desired outcome",
        max_length=200,
        help_text="The change you want to see, e.g. “New visitors see the value "
        "in their first minute”.",
    )
    goal = forms.ModelChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        empty_label="No goal yet",
        label="Goal it serves",
    )
    horizon = forms.ChoiceField(
        choices=Horizon.choices, initial=Horizon.CURRENT, label="When"
    )
    metric_name = forms.CharField(
        label="Success metric",
        max_length=200,
        required=False,
        help_text="What you will count to know it worked, e.g. “Weekly signups”.",
    )
    unit = forms.CharField(max_length=30, required=False, help_text="e.g. %, users, €")
    baseline = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        label="From",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    target = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        label="To",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    due_date = forms.DateField(
        required=False,
        label="By",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    feature_title = forms.CharField(
        label="A first feature",
        max_length=200,
        required=False,
        help_text="A bet that should move the outcome.",
    )

    KEY_RESULT_FIELDS = ("metric_name", "baseline", "target", "due_date")

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"due_date": timezone.localdate() + dt.timedelta(days=180)}
        )
        super().__init__(*args, **kwargs)
        goal = cast("forms.ModelChoiceField[Goal]", self.fields["goal"])
        goal.queryset = product.goals.choices_keeping(None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [
            name
            for name in ("metric_name", "baseline", "target")
            if data.get(name) not in (None, "")
        ]
        if given:
            for name in self.KEY_RESULT_FIELDS:
                if data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, "Needed for the success metric.")
        due = data.get("due_date")
        if given and due and due < timezone.localdate():
            self.add_error("due_date", "Must be today or later.")
        return data

    def first_key_result(self) -> FirstKeyResult | None:
        data = self.cleaned_data
        if not data.get("metric_name"):
            return None
        return FirstKeyResult(
            metric_name=data["metric_name"],
            unit=data.get("unit", ""),
            baseline=data["baseline"],
            target=data["target"],
            start_date=timezone.localdate(),
            due_date=data["due_date"],
        )


class ReviewCadenceForm(VersionedFormMixin, forms.ModelForm):
    """How often the product's team holds a review."""

    class Meta:
        model = Roadmap
        fields = ["review_cadence"]
        labels = {"review_cadence": "Review cadence"}


class ReviewForm(VersionedFormMixin, forms.ModelForm):
    """An open review: date, attendees, notes, decisions, and a verdict with a
    note for each open outcome (`verdict_<id>`, `note_<id>`)."""

    class Meta:
        model = Review
        fields = ["held_on", "attendees", "notes", "decisions"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "attendees": forms.TextInput(
                attrs={"placeholder": "e.g. Priya (PM), Tom (design), sponsor"}
            ),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args: Any, rows: Sequence[VerdictRow] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[f"verdict_{row.outcome_pk}"] = forms.ChoiceField(
                label=f"Verdict on “{row.title}”",
                choices=[("", "Not decided"), *VerdictChoice.choices],
                required=False,
                initial=row.verdict,
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{row.outcome_pk}"] = forms.CharField(
                label=f"Why (“{row.title}”)",
                required=False,
                initial=row.note,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def verdict_fields(
        self,
    ) -> list[tuple[VerdictRow, forms.BoundField, forms.BoundField]]:
        return [
            (row, self[f"verdict_{row.outcome_pk}"], self[f"note_{row.outcome_pk}"])
            for row in self.rows
        ]

    def verdicts(self) -> dict[int, tuple[str, str]]:
        """The posted (verdict, note) of each outcome, from the cleaned data."""
        return {
            row.outcome_pk: (
                self.cleaned_data.get(f"verdict_{row.outcome_pk}") or "",
                self.cleaned_data.get(f"note_{row.outcome_pk}") or "",
            )
            for row in self.rows
        }


class ReviewCloseForm(forms.Form):
    """Close a review; the outcomes it dropped are closed as dropped if ticked."""

    drop = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Close these outcomes as dropped",
    )

    def __init__(
        self, *args: Any, dropped: Sequence[VerdictRow] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        drop = cast("forms.TypedMultipleChoiceField", self.fields["drop"])
        drop.choices = [(row.outcome_pk, row.title) for row in dropped]
        # What a product manager expects: a "drop" verdict closes the outcome,
        # unless they untick it here.
        drop.initial = [row.outcome_pk for row in dropped]


class SnapshotForm(forms.Form):
    """The name of a snapshot an editor takes by hand."""

    name = forms.CharField(
        max_length=120,
        strip=True,
        help_text="e.g. “Before Q1 planning”: what the moment was.",
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the snapshot a name.")
        return name


# Prioritisation ----------------------------------------------------------------

SIZE_CHOICES = [
    ("", "Size…"),
    *((s.value, f"{s.label} · {s.weeks} wk") for s in FeatureEffort),
]


class EstimateForm(VersionedFormMixin, forms.ModelForm):
    """An item's prioritisation estimate, edited in a row of the table.

    `effort` is a t-shirt size, a quick pick: choosing one (and leaving the
    weeks as they were) fills the effort in person-weeks. A feature keeps
    its size; an outcome's is only the pick.
    """

    reach = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=2_000_000_000,
        label="Reach",
        error_messages={"min_value": "Reach cannot be negative."},
    )
    impact = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Impact",
        error_messages={"min_value": "Impact is the expected improvement: 0 or more."},
    )
    estimate_confidence = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        label="Confidence",
        error_messages={
            "min_value": "Confidence is a percentage from 0 to 100.",
            "max_value": "Confidence is a percentage from 0 to 100.",
        },
    )
    effort_weeks = forms.DecimalField(
        required=False,
        max_digits=7,
        decimal_places=1,
        label="Effort",
    )
    effort = forms.ChoiceField(required=False, choices=SIZE_CHOICES, label="Size")

    class Meta:
        model = Outcome
        fields = [
            "reach",
            "impact",
            "impact_key_result",
            "estimate_confidence",
            "effort_weeks",
        ]
        labels = {"impact_key_result": "Key result"}

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        key_result = cast(
            "forms.ModelChoiceField[Any]", self.fields["impact_key_result"]
        )
        key_result.queryset = KeyResult.objects.filter(metric__product=product)
        key_result.empty_label = "Which key result?"

    def clean_effort_weeks(self) -> Decimal | None:
        weeks = self.cleaned_data.get("effort_weeks")
        if weeks is not None and weeks <= 0:
            raise forms.ValidationError(ZERO_EFFORT + ".")
        return weeks

    def clean(self) -> dict[str, Any]:
        super().clean()
        size = self.cleaned_data.get("effort") or ""
        stored_size = getattr(self.instance, "effort", "") if self._keeps_size else ""
        weeks = self.cleaned_data.get("effort_weeks")
        if (
            size
            and size != stored_size
            and "effort_weeks" not in self.errors
            and weeks == self.instance.effort_weeks
        ):
            self.cleaned_data["effort_weeks"] = EFFORT_WEEKS[size]
        return self.cleaned_data

    @property
    def _keeps_size(self) -> bool:
        return "effort" in (self._meta.fields or ())

    def _get_validation_exclusions(self) -> set[str]:
        # The form fields check what the model's constraints do; the key
        # result comes from this product's key results.
        return {f.name for f in self._meta.model._meta.get_fields()}


class FeatureEstimateForm(EstimateForm):
    class Meta(EstimateForm.Meta):
        model = Feature  # type: ignore[assignment]
        fields = [*EstimateForm.Meta.fields, "effort"]


ESTIMATE_FORMS: dict[str, type[EstimateForm]] = {
    "outcome": EstimateForm,
    "feature": FeatureEstimateForm,
}


class PrioritisationSettingsForm(VersionedFormMixin, forms.ModelForm):
    """How a product scores its items, and the portfolio mix it aims for."""

    class Meta:
        model = Roadmap
        fields = [
            "score_method",
            "target_growth",
            "target_optimisation",
            "target_innovation",
            "target_capability",
        ]
        labels = {
            "score_method": "Score by",
            "target_growth": "Growth %",
            "target_optimisation": "Optimisation %",
            "target_innovation": "Innovation %",
            "target_capability": "Capability %",
        }
        widgets = {"score_method": forms.RadioSelect}

    TARGETS = (
        "target_growth",
        "target_optimisation",
        "target_innovation",
        "target_capability",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.TARGETS:
            field = cast("forms.IntegerField", self.fields[name])
            field.min_value = 0
            field.max_value = 100
            field.widget.attrs.update({"min": 0, "max": 100, "inputmode": "numeric"})

    def clean(self) -> dict[str, Any]:
        super().clean()
        shares = [self.cleaned_data.get(name) for name in self.TARGETS]
        if any(name in self.errors for name in self.TARGETS):
            return self.cleaned_data
        given = [share for share in shares if share is not None]
        if given and len(given) < len(shares):
            self.add_error(
                None, "Give all four shares of the target mix, or leave all four empty."
            )
        elif given and sum(given) != 100:
            self.add_error(
                None,
                f"The target mix adds up to {sum(given)}%; it must add up to 100%.",
            )
        return self.cleaned_data

    def _get_validation_exclusions(self) -> set[str]:
        # clean() says what the mix's check constraint would, in words; the
        # database still enforces it.
        return {f.name for f in self._meta.model._meta.get_fields()}


# Teams, dependencies and assumptions ------------------------------------------

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class TeamAddForm(forms.Form):
    """A team for this product's plan: a new one, or one other products have."""

    name = forms.CharField(
        label="Team name",
        max_length=100,
        help_text="A team another product already has is shared, not copied.",
    )


class TeamRenameForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]
        labels = {"name": "Name"}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Team.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"A team named “{name}” exists already.")
        return name

    def validate_unique(self) -> None:
        """clean_name checks the name (in any case) once."""


class TeamCapacityForm(VersionedFormMixin, forms.ModelForm):
    """Features the team can take on in each horizon, for this product."""

    class Meta:
        model = TeamCapacity
        fields = ["current_capacity", "soon_capacity", "future_capacity"]
        widgets = {
            name: forms.NumberInput(attrs={"min": 0, "max": 999, "class": "narrow"})
            for name in ["current_capacity", "soon_capacity", "future_capacity"]
        }

    def __init__(
        self, *args: Any, horizon_labels: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for horizon, label in horizon_labels.items():
            field = self.fields[f"{horizon}_capacity"]
            field.label = f"{label} capacity"
            field.help_text = ""
            cast("forms.IntegerField", field).max_value = 999
            field.validators.append(MaxValueValidator(999))


class DependencyStatusForm(VersionedFormMixin, forms.ModelForm):
    """A dependency's status, note and due date, edited inline."""

    class Meta:
        model = TeamDependency
        fields = ["status", "note", "due_date"]
        widgets = {"due_date": DATE_WIDGET}
        help_texts = {"note": ""}


class CardChoiceField(forms.ChoiceField):
    """An outcome or a feature of the roadmap, posted as "outcome-12"."""


class DependencyCreateForm(forms.ModelForm):
    card = CardChoiceField(label="Outcome or feature that needs the team")

    class Meta:
        model = TeamDependency
        fields = ["team", "description", "status", "due_date"]
        widgets = {
            "due_date": DATE_WIDGET,
            "description": forms.TextInput(
                attrs={"placeholder": "What is needed from them"}
            ),
        }

    def __init__(self, *args: Any, roadmap: Roadmap | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", "Choose…")]
        if roadmap is not None:
            outcomes = Outcome.objects.alive().filter(roadmap=roadmap)
            features = Feature.objects.alive().filter(roadmap=roadmap)
            choices.append(
                (
                    "Outcomes",
                    [
                        (f"outcome-{pk}", t)
                        for pk, t in outcomes.values_list("pk", "title")
                    ],
                )
            )
            choices.append(
                (
                    "Features",
                    [
                        (f"feature-{pk}", t)
                        for pk, t in features.values_list("pk", "title")
                    ],
                )
            )
        cast("forms.ChoiceField", self.fields["card"]).choices = choices
        team = cast("forms.ModelChoiceField[Team]", self.fields["team"])
        team.empty_label = "Choose a team"
        self.order_fields(["card", "team", "description", "status", "due_date"])
        self.roadmap = roadmap

    def clean_card(self) -> str:
        value = self.cleaned_data["card"]
        kind, _, pk = value.partition("-")
        if kind == "outcome":
            self.instance.outcome_id, self.instance.feature_id = int(pk), None
        else:
            self.instance.feature_id, self.instance.outcome_id = int(pk), None
        return value


class AssumptionForm(VersionedFormMixin, forms.ModelForm):
    """A key challenge written as an assumption to test, and how sure we are."""

    class Meta:
        model = Challenge
        fields = ["is_assumption", "confidence"]
        widgets = {"confidence": forms.NumberInput(attrs={"min": 0, "max": 100})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        confidence = cast("forms.IntegerField", self.fields["confidence"])
        confidence.max_value = 100
        confidence.validators.append(MaxValueValidator(100))

    def clean(self) -> dict[str, Any]:
        super().clean()
        if (
            self.cleaned_data.get("is_assumption")
            and self.cleaned_data.get("confidence") is None
            and "confidence" not in self.errors
        ):
            self.add_error("confidence", "Say how confident the team is, 0 to 100 %.")
        return self.cleaned_data


LINK_SCHEMES = ("http://", "https://")


class MeasurementChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        value = obj.metric.format(obj.value)
        return f"{obj.metric.name}: {value} on {obj.date:%d %b %Y}"


class RequestChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        who = obj.account or obj.get_source_display()
        return f"{who}: {obj.text[:80]}"


class EvidenceForm(forms.ModelForm):
    """One piece of evidence: a note, a link, a measurement or a request."""

    class Meta:
        model = Evidence
        fields = [
            "kind",
            "effect",
            "note",
            "url",
            "measurement",
            "insight",
            "observed_on",
        ]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2}),
            "url": forms.TextInput(attrs={"inputmode": "url"}),
            "observed_on": DATE_WIDGET,
        }
        labels = {"kind": "Kind of evidence", "effect": "It"}
        # Checked by clean_url: a URL field would quietly put "http://" in
        # front of anything, and accept ftp:// too.
        field_classes = {"url": forms.CharField}

    def __init__(
        self, *args: Any, product: Product, measurements: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()
        self.fields["observed_on"].initial = self.today
        self.fields["measurement"] = MeasurementChoiceField(
            queryset=measurements,
            required=False,
            empty_label="No measurement",
            label="Measurement",
        )
        self.fields["insight"] = RequestChoiceField(
            queryset=Insight.objects.filter(product=product).order_by(
                "-created_at", "-id"
            ),
            required=False,
            empty_label="No customer request",
            label="Customer request",
        )
        self.fields["url"].help_text = "http:// or https:// only."

    def clean_url(self) -> str:
        url = self.cleaned_data.get("url", "").strip()
        if url and not url.lower().startswith(LINK_SCHEMES):
            raise forms.ValidationError(
                "Only web links (http:// or https://) are accepted."
            )
        if url:
            forms.URLField(assume_scheme="https").clean(url)
        return url

    def clean_observed_on(self) -> dt.date:
        day = self.cleaned_data["observed_on"]
        if day > self.today:
            raise forms.ValidationError("Evidence cannot be from the future.")
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()
        kind = self.cleaned_data.get("kind")
        needs = {
            Evidence.Kind.NOTE: ("note", "Write what was learned."),
            Evidence.Kind.LINK: ("url", "Give the link."),
            Evidence.Kind.MEASUREMENT: ("measurement", "Choose the measurement."),
            Evidence.Kind.REQUEST: ("insight", "Choose the customer request."),
        }
        if kind in needs:
            name, message = needs[kind]
            if not self.cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return self.cleaned_data


class StaleDaysForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Roadmap
        fields = ["assumption_stale_days"]
        labels = {"assumption_stale_days": "Stale after (days without evidence)"}
        widgets = {
            "assumption_stale_days": forms.NumberInput(attrs={"min": 1, "max": 365})
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.IntegerField", self.fields["assumption_stale_days"])
        field.help_text = ""
        field.min_value, field.max_value = 1, 365
        field.validators += [MinValueValidator(1), MaxValueValidator(365)]


class DependencyFilterForm(forms.Form):
    """The dependency view's filters, kept in the URL."""

    team = forms.TypedChoiceField(
        label="Team", required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Any status"),
            ("open", "Open (not done)"),
            *TeamDependency.Status.choices,
        ],
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)

    def offer_teams(self, teams: list[tuple[int, str]]) -> None:
        cast("forms.ChoiceField", self.fields["team"]).choices = [
            ("", "Every team"),
            *teams,
        ]

    def valid(self) -> dict[str, Any]:
        if self.is_valid():
            return self.cleaned_data
        return {
            name: self.cleaned_data.get(name)
            for name in ("team", "status", "overdue")
            if name not in self.errors
        }
