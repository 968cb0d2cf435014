"""Copy the board's change log into the product history (strategy.HistoryEntry).

Each change entry becomes a history entry of its roadmap's product, with the
same actor, action, card (kind and id), field, values and time. The horizon
is read from what the entry recorded (a move's target, a created or deleted
card's place).
"""

from django.db import migrations


def _horizon(change):
    if change.action == "moved" and change.field == "horizon":
        return change.after if isinstance(change.after, str) else ""
    for values in (change.after, change.before):
        if isinstance(values, dict) and isinstance(values.get("horizon"), str):
            return values["horizon"]
    return ""


def copy_changes(apps, schema_editor):
    ChangeEntry = apps.get_model("roadmap", "ChangeEntry")
    HistoryEntry = apps.get_model("strategy", "HistoryEntry")
    batch = []
    changes = ChangeEntry.objects.select_related("roadmap").order_by("created_at", "id")
    for change in changes.iterator(chunk_size=2000):
        batch.append(
            HistoryEntry(
                product_id=change.roadmap.product_id,
                actor_id=change.actor_id,
                action=change.action,
                item_kind=change.card_type,
                item_id=change.card_id,
                item_title=change.card_title,
                horizon=_horizon(change)[:10],
                field=change.field,
                before=change.before,
                after=change.after,
                created_at=change.created_at,
            )
        )
        if len(batch) >= 2000:
            HistoryEntry.objects.bulk_create(batch)
            batch = []
    HistoryEntry.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    # The change entries stay where they were; the copies are removed.
    HistoryEntry = apps.get_model("strategy", "HistoryEntry")
    ChangeEntry = apps.get_model("roadmap", "ChangeEntry")
    times = ChangeEntry.objects.values_list("created_at", flat=True)
    HistoryEntry.objects.filter(created_at__in=times).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("roadmap", "0006_soon_kit_and_notifications"),
        ("strategy", "0003_history_entry"),
    ]

    operations = [migrations.RunPython(copy_changes, copy_back)]
