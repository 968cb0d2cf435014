from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from strategy.models import ApiToken, Company, Goal, HistoryEntry, Product, Theme


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"User {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["id"]

    id = 1
    name = "Fabrikam"
    mission = "Help everyone dress with confidence."
    vision = "A wardrobe that knows you."


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    vision_statement = "Every outfit, effortless."

    @factory.post_generation
    def editors(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.editors.add(*extracted)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Theme {n}")
    start_year = 2026
    end_year = 2028


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    product = factory.SubFactory(ProductFactory)
    theme = factory.SubFactory(ThemeFactory, product=factory.SelfAttribute("..product"))
    title = factory.Sequence(lambda n: f"Goal {n}")
    start_date = dt.date(2026, 7, 1)
    end_date = dt.date(2027, 12, 31)


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """A token whose secret is kept on the instance as `secret` for tests."""

    class Meta:
        model = ApiToken
        exclude = ["secret"]
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    secret = factory.Sequence(lambda n: f"ns_test-secret-{n}")
    token_hash = factory.LazyAttribute(lambda o: ApiToken.hash_secret(o.secret))
    hint = factory.LazyAttribute(lambda o: o.secret[:9])
    # A token acts for its maker, who must edit the product for it to work.
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def maker_edits(
        self, create: bool, extracted: bool | None, **kwargs: object
    ) -> None:
        if create and extracted is not False and self.created_by is not None:
            self.product.editors.add(self.created_by)


class HistoryEntryFactory(factory.django.DjangoModelFactory):
    """A move of an outcome to Soon; pass `created_at=` for an older one."""

    class Meta:
        model = HistoryEntry

    product = factory.SubFactory(ProductFactory)
    actor = factory.SubFactory(UserFactory)
    action = HistoryEntry.Action.MOVED
    item_kind = HistoryEntry.Kind.OUTCOME
    item_id = factory.Sequence(lambda n: n + 1)
    item_title = "Outfits saved per week"
    field = "horizon"
    before = "current"
    after = "soon"
    horizon = "soon"
