from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from strategy.concurrency import VersionedFormMixin
from strategy.models import ApiToken, Product

if TYPE_CHECKING:
    from strategy.models import Goal


class MetricForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Metric
        fields = [
            "name",
            "unit",
            "direction",
            "review_cadence",
            "data_source",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product

    def clean_name(self) -> str:
        return clean_metric_name(self.product, self.cleaned_data["name"], self.instance)


def clean_metric_name(product: Product, name: str, instance: Metric) -> str:
    """A metric's name, trimmed; refused when blank or taken in the product."""
    name = name.strip()
    if not name:
        raise forms.ValidationError("Give the metric a name.")
    clash = Metric.objects.for_product(product).filter(name__iexact=name)
    if instance.pk:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise forms.ValidationError("This product already has a metric of that name.")
    return name


class NewMetricForm(forms.ModelForm):
    """A metric named while adding a key result, created with it in one step."""

    prefix = "new_metric"

    class Meta:
        model = Metric
        fields = ["name", "unit", "direction"]
        labels = {"name": "New metric's name"}

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.fields["name"].required = False  # the key result form says when

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if not name.strip():
            raise forms.ValidationError("Give the new metric a name.")
        return clean_metric_name(self.product, name, self.instance)

    @property
    def is_named(self) -> bool:
        return bool(
            self.is_bound and self.data.get(self.add_prefix("name"), "").strip()
        )

    def model_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MeasurementForm(VersionedFormMixin, forms.ModelForm):
    """One value of a metric on one date."""

    class Meta:
        model = Measurement
        fields = ["date", "value", "note"]
        widgets = {
            "date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "value": forms.NumberInput(attrs={"step": "any"}),
        }

    def __init__(self, *args: Any, metric: Metric, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metric = metric

    def clean_date(self) -> Any:
        day = self.cleaned_data["date"]
        taken = Measurement.objects.filter(metric=self.metric, date=day)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                "There is already a value on this date; edit that one instead."
            )
        return day


class KeyResultForm(VersionedFormMixin, forms.ModelForm):
    """A key result on one of the product's metrics, optionally for one of its goals."""

    class Meta:
        model = KeyResult
        fields = ["metric", "baseline", "target", "start_date", "due_date", "goal"]
        widgets = {
            "start_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "due_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "baseline": forms.NumberInput(attrs={"step": "any"}),
            "target": forms.NumberInput(attrs={"step": "any"}),
        }

    def __init__(
        self,
        *args: Any,
        product: Product,
        offer_new_metric: bool = False,
        **kwargs: Any,
    ) -> None:
        """`offer_new_metric`: the metric may be a new one, named in `new_metric`."""
        super().__init__(*args, **kwargs)
        metric = cast("forms.ModelChoiceField[Metric]", self.fields["metric"])
        metric.queryset = Metric.objects.filter(product=product)
        goal = cast("forms.ModelChoiceField[Goal]", self.fields["goal"])
        goal.queryset = product.goals.choices_keeping(self.instance.goal_id)
        goal.required = False
        self.new_metric: NewMetricForm | None = None
        if offer_new_metric:
            metric.required = False
            metric.empty_label = "New metric (name it below)"
            metric.help_text = "Choose one of the product's metrics, or add a new one."
            auto_id = kwargs.get("auto_id", "id_%s")
            self.new_metric = NewMetricForm(
                self.data if self.is_bound else None,
                product=product,
                auto_id=auto_id,
            )

    @property
    def wants_new_metric(self) -> bool:
        """Bound with no metric chosen, where a new one may be named."""
        return (
            self.new_metric is not None
            and self.is_bound
            and not self.data.get(self.add_prefix("metric"))
        )

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if self.wants_new_metric and self.new_metric is not None:
            valid = self.new_metric.is_valid() and valid
        return valid

    def clean(self) -> dict[str, Any]:
        super().clean()
        start = self.cleaned_data.get("start_date")
        due = self.cleaned_data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", "Must be on or after the start date.")
        metric = self.cleaned_data.get("metric")
        if self.new_metric is not None and "metric" not in self.errors:
            metric = self._clean_new_metric(metric)
        baseline = self.cleaned_data.get("baseline")
        target = self.cleaned_data.get("target")
        if metric and baseline is not None and target is not None:
            if metric.is_increasing and target < baseline:
                self.add_error(
                    "target",
                    f"{metric.name} should go up: the target must not be below the baseline.",
                )
            if not metric.is_increasing and target > baseline:
                self.add_error(
                    "target",
                    f"{metric.name} should go down: the target must not be above the baseline.",
                )
        return self.cleaned_data

    def _clean_new_metric(self, chosen: Metric | None) -> Metric | None:
        """The metric the targets are checked against: chosen, or new (unsaved)."""
        assert self.new_metric is not None
        if chosen is not None:
            if self.new_metric.is_named:
                self.add_error(
                    "metric",
                    "Choose “New metric” to add the metric named below, "
                    "or clear its name.",
                )
            return chosen
        if not self.new_metric.is_named:
            self.add_error("metric", "Choose a metric, or name a new one below.")
            return None
        if self.new_metric.is_valid():
            return self.new_metric.instance  # its fields, not saved yet
        return None


class CheckInForm(forms.ModelForm):
    """A check-in; confidence is low/medium/high, or derived from a 1-10 score."""

    confidence = forms.ChoiceField(
        choices=[("", "From the score"), *CheckIn.Confidence.choices], required=False
    )
    score = forms.IntegerField(
        min_value=1, max_value=10, required=False, label="Score (1–10)"
    )

    class Meta:
        model = CheckIn
        fields = ["date", "confidence", "score", "what_happened", "next_steps"]
        labels = {"next_steps": "What we will change"}
        widgets = {
            "date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "what_happened": forms.Textarea(attrs={"rows": 3}),
            "next_steps": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_what_happened(self) -> str:
        text = self.cleaned_data["what_happened"].strip()
        if not text:
            raise forms.ValidationError("Say what happened since the last check-in.")
        return text

    def clean(self) -> dict[str, Any]:
        super().clean()
        score = self.cleaned_data.get("score")
        if not self.cleaned_data.get("confidence"):
            if score is None:
                if "score" not in self.errors:
                    self.add_error("confidence", "Choose a confidence or give a score.")
            else:
                self.cleaned_data["confidence"] = CheckIn.confidence_for_score(score)
        return self.cleaned_data


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        labels = {"name": "What will use it?"}
        widgets = {
            "name": forms.TextInput(
                attrs={"placeholder": "e.g. Nightly analytics export"}
            )
        }


class ImportForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False,
        label="Paste rows",
        help_text="Columns: metric, date, value, note. Comma, semicolon or tab separated.",
    )
    file = forms.FileField(required=False, label="…or upload a CSV file")

    def clean(self) -> dict[str, Any]:
        super().clean()
        upload = self.cleaned_data.get("file")
        if upload:
            if upload.size > 2_000_000:
                self.add_error("file", "The file is larger than 2 MB.")
                return self.cleaned_data
            try:
                self.cleaned_data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", "The file is not UTF-8 text.")
                return self.cleaned_data
        if "\x00" in self.cleaned_data.get("text", ""):
            field = "file" if upload else "text"
            self.add_error(
                field, "The text contains a NUL character; is it a binary file?"
            )
            return self.cleaned_data
        if not self.cleaned_data.get("text", "").strip() and not self.errors:
            self.add_error("text", "Paste some rows or choose a file.")
        return self.cleaned_data
