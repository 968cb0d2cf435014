from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Invitation
from strategy.models import Product


class InvitationForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email", "products"]
        labels = {"products": "Products they edit"}
        help_texts = {
            "email": "The invitation link goes to this address.",
            "products": "They can read every product; choose the ones they may "
            "change. You can change this later on each product.",
        }
        widgets = {"products": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = self.fields["products"]
        assert isinstance(products, forms.ModelMultipleChoiceField)
        products.queryset = Product.objects.order_by("name")

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
