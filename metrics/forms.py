from __future__ import annotations

from typing import Any

from django import forms

from metrics.models import KeyResult, Metric
from strategy.models import Product


class KeyResultForm(forms.ModelForm):
    """A key result on one of the product's metrics, optionally for one of its goals."""

    class Meta:
        model = KeyResult
        fields = ["metric", "baseline", "target", "start_date", "due_date", "goal"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = Metric.objects.filter(product=product)
        self.fields["goal"].queryset = product.goals.active()
        self.fields["goal"].required = False

    def clean(self) -> dict[str, Any]:
        super().clean()
        start = self.cleaned_data.get("start_date")
        due = self.cleaned_data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", "Must be on or after the start date.")
        return self.cleaned_data
