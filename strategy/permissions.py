"""The one permission gate: who may view or edit a product.

Roles: an installation admin (superuser) may do everything; a product's
editors may change that product; everyone else who is signed in may read
it, unless it is private: then only its editors and its named viewers may.
Views, the API and share links all ask here; lists of products ask
`Product.objects.visible_to(user)`, which follows the same rule.

A private product's outsider is answered 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from strategy.models import Product


def _is_signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _editor_ids(product: Product) -> set[int]:
    cache = getattr(product, "_editor_ids", None)
    if cache is None:
        cache = set(product.editors.values_list("pk", flat=True))
        product._editor_ids = cache
    return cache


def _viewer_ids(product: Product) -> set[int]:
    cache = getattr(product, "_viewer_ids", None)
    if cache is None:
        cache = set(product.viewers.values_list("pk", flat=True))
        product._viewer_ids = cache
    return cache


def can_view(user: Any, product: Product) -> bool:
    if not _is_signed_in(user):
        return False
    if not product.is_private or user.is_superuser:
        return True
    return user.pk in _editor_ids(product) or user.pk in _viewer_ids(product)


def can_edit(user: Any, product: Product) -> bool:
    if not _is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    return user.pk in _editor_ids(product)


def can_manage_access(user: Any, product: Product) -> bool:
    """Editors of a product (and installation admins) choose who may read it."""
    return can_edit(user, product)


def can_manage_products(user: Any) -> bool:
    """Only installation admins create products and choose their editors."""
    return bool(_is_signed_in(user) and user.is_superuser)


def product_for_viewer(user: Any, slug: str) -> Product:
    """Return the product for a reader, or refuse.

    Unknown, and private to others: 404 (its existence is not revealed);
    a signed-out or deactivated user: 403.
    """
    product = get_object_or_404(Product, slug=slug)
    if not can_view(user, product):
        if _is_signed_in(user):
            raise Http404("No product here.")
        raise PermissionDenied
    return product


def product_for_editor(user: Any, slug: str) -> Product:
    """Return the product for a writer, or refuse with 403 (404 if unseen)."""
    product = product_for_viewer(user, slug)
    if not can_edit(user, product):
        raise PermissionDenied
    return product
