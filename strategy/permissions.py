"""The one permission gate: who may view or edit a product.

Roles: an installation admin (superuser) may do everything; a product's
editors may change that product; everyone else who is logged in may view.
Views, the API and share links all ask here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from strategy.models import Product


def can_view(user: Any, product: Product) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_edit(user: Any, product: Product) -> bool:
    if not can_view(user, product):
        return False
    if user.is_superuser:
        return True
    cache = getattr(product, "_editor_ids", None)
    if cache is None:
        cache = set(product.editors.values_list("pk", flat=True))
        product._editor_ids = cache
    return user.pk in cache


def can_manage_products(user: Any) -> bool:
    """Only installation admins create products and choose their editors."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def product_for_viewer(user: Any, slug: str) -> Product:
    """Return the product for a reader, or refuse (404 unknown, 403 not allowed)."""
    product = get_object_or_404(Product, slug=slug)
    if not can_view(user, product):
        raise PermissionDenied
    return product


def product_for_editor(user: Any, slug: str) -> Product:
    """Return the product for a writer, or refuse with 403."""
    product = product_for_viewer(user, slug)
    if not can_edit(user, product):
        raise PermissionDenied
    return product
