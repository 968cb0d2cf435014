"""A product's history as people read it: rows of the timeline, in words.

Shared by the history page (roadmap) and the history sections of goal, key
result, metric and outcome pages. Reading only: strategy.history writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from strategy.models import HistoryEntry, ItemKind, Product

# How many of an item's own entries its page or side panel shows.
RECENT = 5


@dataclass(frozen=True)
class HistoryRow:
    """One entry as the timeline shows it."""

    entry: HistoryEntry
    # What happened, around the item's name: "moved the outcome" … "to Soon".
    summary: str
    summary_end: str
    before: str
    after: str
    url: str

    @property
    def day(self) -> dt.date:
        return self.entry.day


def describe(value: Any, labels: dict[str, str]) -> str:
    """Say a recorded value in words: labels of related items, horizons by name."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if "label" in value:
            return str(value["label"])
        parts = [
            f"{name.replace('_', ' ')}: {describe(item, labels)}"
            for name, item in value.items()
            if describe(item, labels)
        ]
        return "; ".join(parts)
    if isinstance(value, list):
        return ", ".join(describe(item, labels) for item in value)
    text = str(value)
    return labels.get(text, text)


def _summary(entry: HistoryEntry, labels: dict[str, str]) -> tuple[str, str]:
    """Say what happened around the item's name: (before it, after it)."""
    kind = entry.get_item_kind_display().lower()
    field = entry.field.replace("_", " ")
    if entry.is_move:
        horizon = labels.get(entry.horizon) or entry.horizon.title()
        return f"moved the {kind}", f"to {horizon}"
    if entry.action == HistoryEntry.Action.MOVED:
        return f"reordered the {kind}", "in its cell"
    verb = entry.get_action_display().lower()
    if field and entry.action in (
        HistoryEntry.Action.LINKED,
        HistoryEntry.Action.UNLINKED,
    ):
        return f"{verb} the {field} of the {kind}", ""
    if field:
        return f"changed the {field} of the {kind}", ""
    return f"{verb} the {kind}", ""


def item_url(product: Product, entry: HistoryEntry) -> str:
    """Where the item of an entry can be seen, or its owner's page."""
    kind, pk = entry.item_kind, entry.item_id
    if kind == ItemKind.MEASUREMENT:
        kind, pk = ItemKind.METRIC, entry.parent_id
    elif kind == ItemKind.CHECK_IN:
        kind, pk = ItemKind.KEY_RESULT, entry.parent_id
    names: dict[str, str] = {
        ItemKind.GOAL: "strategy:goal_detail",
        ItemKind.KEY_RESULT: "metrics:keyresult_detail",
        ItemKind.METRIC: "metrics:metric_detail",
        ItemKind.OUTCOME: "roadmap:outcome_panel",
    }
    if kind in names and pk:
        return reverse(names[kind], args=[product.slug, pk])
    if kind in (ItemKind.VISION_BOARD, ItemKind.THEME, ItemKind.PRODUCT):
        return product.get_absolute_url()
    if kind in (ItemKind.SHARE_LINK,):
        return reverse("roadmap:share_links", args=[product.slug])
    return reverse("roadmap:board", args=[product.slug])


def rows(
    product: Product, entries: Any, labels: dict[str, str] | None = None
) -> list[HistoryRow]:
    """Turn entries into timeline rows; `labels` name the board's horizons."""
    labels = labels or {}
    return [
        HistoryRow(
            entry=entry,
            summary=_summary(entry, labels)[0],
            summary_end=_summary(entry, labels)[1],
            before=describe(entry.before, labels),
            after=describe(entry.after, labels),
            url=item_url(product, entry),
        )
        for entry in entries
    ]


def recent_rows(
    product: Product, kind: str, item_id: int, labels: dict[str, str] | None = None
) -> list[HistoryRow]:
    """An item's own last few entries, for its page or side panel (one query)."""
    entries = (
        HistoryEntry.objects.for_product(product)
        .for_item(kind, item_id)
        .for_list()[:RECENT]
    )
    return rows(product, entries, labels)


def item_history_url(product: Product, kind: str, item_id: int) -> str:
    url = reverse("roadmap:history", args=[product.slug])
    return f"{url}?kind={kind}&item={item_id}"


def item_context(
    product: Product,
    kind: str,
    item_id: int,
    noun: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What includes/_item_history.html shows of one item (one query)."""
    return {
        "history_rows": recent_rows(product, kind, item_id, labels),
        "item_history_url": item_history_url(product, kind, item_id),
        "history_noun": noun,
    }
