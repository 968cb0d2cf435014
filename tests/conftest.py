from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.roadmap.factories import RoadmapFactory
from tests.strategy.factories import ProductFactory, UserFactory


@pytest.fixture
def editor():
    return UserFactory(username="editor")


@pytest.fixture
def viewer():
    return UserFactory(username="viewer")


@pytest.fixture
def product(editor):
    """A product with a roadmap, editable by `editor` only."""
    product = ProductFactory(
        name="Fabrikam Style", slug="fabrikam-style", editors=[editor]
    )
    RoadmapFactory(product=product)
    return product


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture(autouse=True)
def empty_caches():
    """Start every test with empty caches: a cached board grid or session never leaks."""
    for cache in caches.all():
        cache.clear()
