from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from strategy.models import ApiToken, Company, Goal, Product
from tests.strategy.factories import (
    ApiTokenFactory,
    GoalFactory,
    ProductFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


def test_company_load_returns_the_one_company():
    first = Company.load()

    second = Company.load()

    assert first.pk == second.pk == 1
    assert Company.objects.count() == 1


def test_company_cannot_have_a_second_row():
    Company.load()

    with pytest.raises(IntegrityError):
        Company.objects.create(id=2, name="Another company")


@pytest.mark.parametrize("name", ["", "   "])
def test_product_name_must_not_be_blank(name):
    with pytest.raises(IntegrityError):
        ProductFactory(name=name)


def test_product_slug_is_unique():
    ProductFactory(slug="style")

    with pytest.raises(IntegrityError):
        ProductFactory(slug="style")


def test_products_editable_by_an_editor_are_only_theirs(editor, viewer):
    mine = ProductFactory(editors=[editor])
    ProductFactory()

    assert list(Product.objects.editable_by(editor)) == [mine]
    assert list(Product.objects.editable_by(viewer)) == []


def test_theme_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError):
        ThemeFactory(start_year=2027, end_year=2026)


def test_theme_years_label_reads_as_a_span():
    assert ThemeFactory.build(start_year=2026, end_year=2028).years_label == "2026–2028"
    assert ThemeFactory.build(start_year=2027, end_year=2027).years_label == "2027"


def test_goal_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError):
        GoalFactory(start_date=dt.date(2027, 1, 1), end_date=dt.date(2026, 12, 31))


def test_goal_title_must_not_be_blank():
    with pytest.raises(IntegrityError):
        GoalFactory(title=" ")


def test_goal_status_must_be_a_known_status():
    with pytest.raises(IntegrityError):
        GoalFactory(status="someday")


def test_active_goals_leave_out_archived_ones():
    kept = GoalFactory(status=Goal.Status.ACTIVE)
    GoalFactory(status=Goal.Status.ARCHIVED)

    assert list(Goal.objects.active()) == [kept]


def test_api_token_stores_only_a_hash_of_its_secret():
    product = ProductFactory()

    token, secret = ApiToken.issue(product=product, name="Warehouse sync")

    assert secret.startswith("ns_")
    assert secret not in token.token_hash
    assert token.token_hash == ApiToken.hash_secret(secret)
    assert secret.startswith(token.hint)


def test_revoked_api_token_is_no_longer_active():
    token, _ = ApiToken.issue(product=ProductFactory(), name="Old import")

    token.revoke()

    assert not token.is_active
    assert not ApiToken.objects.active().filter(pk=token.pk).exists()


def test_api_token_factory_makes_a_token_found_by_its_secret():
    token = ApiTokenFactory(secret="ns_known-secret")

    found = ApiToken.objects.active().get(
        token_hash=ApiToken.hash_secret("ns_known-secret")
    )

    assert found == token


def test_editor_flag_follows_the_permission_rule(editor, viewer):
    mine = ProductFactory(editors=[editor])

    assert Product.objects.with_editor_flag(editor).get(pk=mine.pk).is_editable
    assert not Product.objects.with_editor_flag(viewer).get(pk=mine.pk).is_editable
    editor.is_active = False
    assert not Product.objects.with_editor_flag(editor).get(pk=mine.pk).is_editable
