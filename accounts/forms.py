from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Invitation, SecurityEvent
from strategy.audit import SecurityKind
from strategy.models import Product


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "products", "read_products"]
        labels = {
            "products": "Products they edit",
            "read_products": "Private products they may read",
        }
        help_texts = {
            "email": "The invitation link goes to this address.",
            "products": "Choose the products they may change. You can change "
            "this later on each product.",
            "read_products": "They read every product that is not private; "
            "choose the private ones they may read too.",
        }
        widgets = {
            "products": forms.CheckboxSelectMultiple,
            "read_products": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visible = Product.objects.visible_to(user).order_by("name")
        products = self.fields["products"]
        assert isinstance(products, forms.ModelMultipleChoiceField)
        products.queryset = visible
        read_products = self.fields["read_products"]
        assert isinstance(read_products, forms.ModelMultipleChoiceField)
        read_products.queryset = visible.filter(is_private=True)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "Someone with this email already has an account."
            )
        return email


class AcceptInvitationForm(UserCreationForm):
    """Choose a username and password; Django's password validators apply."""

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The similarity validator compares the password with the email too.
        self.instance.email = email
        self.fields[
            "username"
        ].help_text = "What you type to sign in: letters, digits and @ . + - _ only."


class SecurityLogFilterForm(forms.Form):
    """The security log's filters; every one is optional."""

    kind = forms.ChoiceField(
        label="What",
        required=False,
        choices=[("", "Everything"), *SecurityKind.choices],
    )
    product = forms.ModelChoiceField(
        label="Product",
        required=False,
        queryset=Product.objects.none(),
        empty_label="Any product",
    )
    person = forms.CharField(
        label="Person",
        required=False,
        max_length=150,
        help_text="A username: who acted, or whose account it was.",
    )
    since = forms.DateField(
        label="Since",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.ModelChoiceField)
        product.queryset = Product.objects.visible_to(user).only("name")

    def filter(self, events: QuerySet[SecurityEvent]) -> QuerySet[SecurityEvent]:
        """Keep the events the valid filters ask for (all of them if none)."""
        if not self.is_valid():
            return events
        data = self.cleaned_data
        if data["kind"]:
            events = events.filter(kind=data["kind"])
        if data["product"]:
            events = events.filter(product_id=data["product"].pk)
        if data["person"]:
            person = data["person"].strip()
            events = events.filter(
                Q(actor_label__iexact=person) | Q(user_label__iexact=person)
            )
        if data["since"]:
            since = dt.datetime.combine(data["since"], dt.time.min)
            events = events.filter(created_at__gte=timezone.make_aware(since))
        return events
