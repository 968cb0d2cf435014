from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from strategy.permissions import (
    can_edit,
    can_manage_products,
    can_view,
    product_for_editor,
    product_for_viewer,
)
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_editor_may_view_and_edit_their_product(editor, product):
    assert can_view(editor, product)
    assert can_edit(editor, product)


def test_a_signed_in_user_who_is_not_an_editor_may_only_view(viewer, product):
    assert can_view(viewer, product)
    assert not can_edit(viewer, product)


def test_an_editor_of_one_product_may_not_edit_another(editor):
    other = ProductFactory()

    assert not can_edit(editor, other)


def test_an_anonymous_visitor_may_neither_view_nor_edit(product):
    anonymous = AnonymousUser()

    assert not can_view(anonymous, product)
    assert not can_edit(anonymous, product)


def test_a_deactivated_editor_may_do_nothing(editor, product):
    editor.is_active = False

    assert not can_view(editor, product)
    assert not can_edit(editor, product)


def test_an_installation_admin_may_edit_every_product_and_manage_products(product):
    admin = UserFactory(username="root", is_superuser=True)

    assert can_edit(admin, product)
    assert can_manage_products(admin)


def test_only_installation_admins_manage_products(editor):
    assert not can_manage_products(editor)
    assert not can_manage_products(AnonymousUser())


def test_product_for_editor_refuses_a_viewer(viewer, product):
    with pytest.raises(PermissionDenied):
        product_for_editor(viewer, product.slug)


def test_product_for_viewer_refuses_an_anonymous_visitor(product):
    with pytest.raises(PermissionDenied):
        product_for_viewer(AnonymousUser(), product.slug)


def test_product_for_viewer_answers_404_for_an_unknown_product(viewer):
    with pytest.raises(Http404):
        product_for_viewer(viewer, "no-such-product")


def test_can_edit_asks_the_database_once_per_product(
    editor, product, django_assert_num_queries
):
    with django_assert_num_queries(1):
        can_edit(editor, product)
        can_edit(editor, product)
