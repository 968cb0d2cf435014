"""The board's former change log moves into the product history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from strategy.models import HistoryEntry

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("roadmap", "0006_soon_kit_and_notifications")]
AFTER = [("roadmap", "0008_change_log_lives_in_the_history")]


@pytest.fixture(autouse=True)
def back_to_the_latest_migrations():
    """Leave the schema as the other tests expect it, whatever this test did."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_change_log_is_copied_into_the_history_and_its_table_goes():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="pm")
    product = old.get_model("strategy", "Product").objects.create(
        name="Fabrikam Style", slug="fabrikam-style"
    )
    roadmap = old.get_model("roadmap", "Roadmap").objects.create(product=product)
    outcome = old.get_model("roadmap", "Outcome").objects.create(
        roadmap=roadmap, title="Shoppers save outfits"
    )
    change = old.get_model("roadmap", "ChangeEntry").objects.create(
        roadmap=roadmap,
        actor=user,
        action="moved",
        card_type="outcome",
        card_id=outcome.pk,
        card_title="Shoppers save outfits",
        field="horizon",
        before="current",
        after="soon",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    entry = HistoryEntry.objects.get()
    assert (entry.product_id, entry.actor_id) == (product.pk, user.pk)
    assert (entry.action, entry.item_kind, entry.item_id) == (
        "moved",
        "outcome",
        outcome.pk,
    )
    assert entry.item_title == "Shoppers save outfits"
    assert (entry.field, entry.before, entry.after) == ("horizon", "current", "soon")
    assert entry.horizon == "soon"
    assert entry.created_at == change.created_at
    assert "roadmap_changeentry" not in connection.introspection.table_names()
