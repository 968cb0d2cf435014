"""The one permission gate: who may view or edit a product.

Roles: an installation admin (superuser) may do everything; a product's
editors may change that product; everyone else who is signed in may read
it, unless it is private: then only its editors and its named viewers may.
Views, the API and share links all ask here; lists of products ask
`Product.objects.visible_to(user)`, which follows the same rule.

A private product's outsider is answered 404, as if it did not exist.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef
from django.http import Http404

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


@functools.cache
def _product_query() -> tuple[str, tuple[Any, ...]]:
    """The SQL that loads a product by slug with its editors' and viewers' ids.

    Every page of a product asks who may read and who may change it; reading
    the ids with the product saves each page the query for them. Built
    through the ORM, the two array subqueries cost more Python than the
    query they save, so the SQL, which never changes, is built once per
    process.
    """
    members = [
        ArraySubquery(through.objects.filter(product=OuterRef("pk")).values("user"))
        for through in (Product.editors.through, Product.viewers.through)
    ]
    products = Product.objects.annotate(editor_ids=members[0], viewer_ids=members[1])
    sql, params = products.filter(slug="").query.sql_with_params()
    return sql, params[:-1]  # the last parameter is the slug


def product_with_members(slug: str) -> Product:
    """The product with `slug`, knowing its editors and viewers; 404 if none."""
    sql, params = _product_query()
    found = list(Product.objects.raw(sql, (*params, slug)))
    if not found:
        raise Http404("No product here.")
    product = found[0]
    product._editor_ids = set(product.__dict__.pop("editor_ids"))
    product._viewer_ids = set(product.__dict__.pop("viewer_ids"))
    return product


def product_for_viewer(user: Any, slug: str) -> Product:
    """Return the product for a reader, or refuse.

    Unknown, and private to others: 404 (its existence is not revealed);
    a signed-out or deactivated user: 403.
    """
    product = product_with_members(slug)
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
