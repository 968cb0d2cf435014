"""Forms for the company, products, the vision board, themes and goals."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import slugify

from strategy.concurrency import VersionedFormMixin
from strategy.models import Company, Goal, Product, Theme

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Paths under /products/ that are pages rather than products.
RESERVED_SLUGS = {"new"}


class InlineEditForm(VersionedFormMixin, forms.ModelForm):
    """An edit form shown in place of what it edits, carrying its version."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first = next(iter(self._meta.fields or []), None)
        if first in self.fields:
            # An inline edit opens with the cursor in its first field.
            self.fields[first].widget.attrs["autofocus"] = True


class CompanyForm(InlineEditForm):
    class Meta:
        model = Company
        fields = ["name", "mission", "vision"]
        widgets = {
            "mission": forms.Textarea(attrs={"rows": 3}),
            "vision": forms.Textarea(attrs={"rows": 3}),
        }


class VisionBoardForm(InlineEditForm):
    """The product vision board: the north star and the four boxes beneath it."""

    class Meta:
        model = Product
        fields = [
            "vision_statement",
            "target_group",
            "needs",
            "product_description",
            "value",
        ]
        labels = {
            "vision_statement": "Vision",
            "target_group": "Target group",
            "needs": "Needs",
            "product_description": "Product",
            "value": "Business value",
        }
        widgets = {
            "vision_statement": forms.Textarea(attrs={"rows": 2}),
            "target_group": forms.Textarea(attrs={"rows": 4}),
            "needs": forms.Textarea(attrs={"rows": 4}),
            "product_description": forms.Textarea(attrs={"rows": 4}),
            "value": forms.Textarea(attrs={"rows": 4}),
        }


class EditorsField(forms.ModelMultipleChoiceField):
    """Offer users as editors by full name, with the username to tell them apart."""

    def label_from_instance(self, obj: User) -> str:
        full_name = obj.get_full_name()
        return f"{full_name} ({obj.username})" if full_name else obj.username


class ProductForm(forms.ModelForm):
    """An admin's form to create a product and choose who edits it."""

    class Meta:
        model = Product
        fields = ["name", "slug", "vision_statement", "editors"]
        field_classes = {"editors": EditorsField}
        labels = {"slug": "Web address", "vision_statement": "Vision"}
        help_texts = {
            "slug": "Used in links, e.g. /products/fabrikam-style/. "
            "Left empty, it is made from the name.",
            "editors": "Editors change the product's vision, strategy, goals and "
            "roadmap. Everyone else who signs in can read them.",
        }
        widgets = {
            "vision_statement": forms.Textarea(attrs={"rows": 2}),
            "editors": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        editors = cast("EditorsField", self.fields["editors"])
        editors.queryset = (
            get_user_model()
            .objects.filter(is_active=True)
            .order_by("first_name", "last_name", "username")
        )

    def clean_slug(self) -> str:
        # Fields clean in Meta order, so the name is already cleaned here.
        slug = self.cleaned_data.get("slug") or slugify(
            self.cleaned_data.get("name", "")
        )
        if not slug:
            raise forms.ValidationError("Give the product a name or a web address.")
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                f"“{slug}” is reserved; choose another address."
            )
        clash = Product.objects.filter(slug=slug).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                f"Another product already uses “{slug}”; choose another address."
            )
        return slug


class ProductSettingsForm(ProductForm):
    """An admin's form to rename a product and change its editors.

    The vision is edited on the vision board, where edits carry a version.
    """

    class Meta(ProductForm.Meta):
        fields = ["name", "slug", "editors"]


class ProductAccessForm(VersionedFormMixin, forms.ModelForm):
    """An editor's form: is the product private, and who else may read it."""

    class Meta:
        model = Product
        fields = ["is_private", "viewers"]
        field_classes = {"viewers": EditorsField}
        labels = {
            "is_private": "Private: only its editors and the people named below see it",
            "viewers": "Named viewers",
        }
        help_texts = {
            "is_private": "Anyone else is told the product does not exist, on "
            "every page, in the Soon kit, the API and exports.",
            "viewers": "They read the product while it is private; they change "
            "nothing. Editors and installation admins always see it.",
        }
        widgets = {"viewers": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewers = cast("EditorsField", self.fields["viewers"])
        # Editors and installation admins read it anyway; naming them as
        # viewers would say nothing.
        viewers.queryset = (
            get_user_model()
            .objects.filter(is_active=True, is_superuser=False)
            .exclude(editable_products=self.instance)
            .order_by("first_name", "last_name", "username")
        )


class ThemeForm(InlineEditForm):
    class Meta:
        model = Theme
        fields = ["title", "description", "start_year", "end_year"]
        labels = {"start_year": "From", "end_year": "To"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            year = timezone.localdate().year
            self.initial.setdefault("start_year", year)
            self.initial.setdefault("end_year", year + 2)
        for name in ("start_year", "end_year"):
            self.fields[name].widget.attrs.update({"min": 2000, "max": 2100})

    def clean(self) -> dict[str, Any]:
        super().clean()
        start = self.cleaned_data.get("start_year")
        end = self.cleaned_data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", "Must be the same year as the start or later.")
        return self.cleaned_data


class GoalForm(InlineEditForm):
    class Meta:
        model = Goal
        fields = ["title", "theme", "description", "start_date", "end_date", "status"]
        labels = {"start_date": "From", "end_date": "To"}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            # A date input always speaks ISO dates, whatever the locale.
            "start_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "end_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        theme = cast("forms.ModelChoiceField[Theme]", self.fields["theme"])
        theme.queryset = product.themes.all()
        theme.empty_label = "No theme"
        # Archiving has its own button; the form offers it only to show the
        # current status of an archived goal.
        if self.instance.status != Goal.Status.ARCHIVED:
            status = cast("forms.ChoiceField", self.fields["status"])
            status.choices = [
                choice
                for choice in Goal.Status.choices
                if choice[0] != Goal.Status.ARCHIVED
            ]
        if not self.instance.pk:
            today = timezone.localdate()
            self.initial.setdefault("start_date", today)
            self.initial.setdefault("end_date", today + dt.timedelta(days=365))

    def clean(self) -> dict[str, Any]:
        super().clean()
        start = self.cleaned_data.get("start_date")
        end = self.cleaned_data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "Must be on or after the start date.")
        return self.cleaned_data
