"""Render board cards, each from its partial, through a cache of their HTML.

A big board has thousands of cards and most do not change between two
renders, so each card's HTML is kept under a fingerprint of everything the
card shows (its version, links, progress, the viewer's edit right, the
horizon labels). A change to any of them gives a new key, so a kept card is
never stale; old entries are dropped when the store is full.
"""

from __future__ import annotations

import zlib
from typing import Any

from django import template
from django.template import loader
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

CARD_TEMPLATE = "roadmap/board.html#{kind}-card"


# Cards rendered by this process, keyed by their fingerprint tuple. A plain
# dict: no pickling or hashing to strings, which matters at 2,000 cards. It is
# emptied when it grows past MAX_CACHED_CARDS, so old versions do not pile up.
_RENDERED: dict[tuple, str] = {}
MAX_CACHED_CARDS = 20_000


def _outcome_ref(card: Any) -> tuple[int, str] | None:
    outcome = getattr(card, "linked_outcome", None)
    return (outcome.pk, outcome.title) if outcome else None


def card_fingerprint(card: Any, page: tuple) -> tuple:
    """Everything a card's HTML depends on, as plain values."""
    kind = card.board_kind
    # updated_at tells apart saves that keep the version (the admin's).
    base = (kind, card.pk, card.version, card.updated_at, *page)
    if kind == "outcome":
        goal = card.goal
        return (
            *base,
            (goal.pk, goal.title, goal.theme.title if goal.theme else "")
            if goal
            else None,
            tuple((t["id"], t["name"]) for t in card.team_list),
            card.feature_count,
            tuple(
                (m.pk, m.statement, m.progress.percent, m.progress.status)
                for m in card.metric_cards
            ),
        )
    if kind == "metric":
        return (
            *base,
            card.statement,
            card.current_display,
            card.progress.percent,
            card.progress.status,
            tuple(card.spark_values),
            _outcome_ref(card),
        )
    if kind == "feature":
        return (
            *base,
            card.team_id,
            card.team_name,
            _outcome_ref(card),
        )
    return (*base, _outcome_ref(card))


def render_cards(cards: list[Any], context: dict[str, Any]) -> tuple[list[str], str]:
    """Return the HTML of each card and a checksum of the whole list."""
    page = (
        context["can_edit"],
        context["product"].slug,
        tuple(label for _, label, _ in context["roadmap"].horizons),
    )
    html = []
    templates: dict[str, Any] = {}
    for card in cards:
        key = card_fingerprint(card, page)
        text = _RENDERED.get(key)
        if text is None:
            kind = card.board_kind
            if kind not in templates:
                templates[kind] = loader.get_template(CARD_TEMPLATE.format(kind=kind))
            text = templates[kind].render(
                {
                    "card": card,
                    "product": context["product"],
                    "roadmap": context["roadmap"],
                    "can_edit": context["can_edit"],
                }
            )
            if len(_RENDERED) >= MAX_CACHED_CARDS:
                _RENDERED.clear()
            _RENDERED[key] = text
        html.append(text)
    # A checksum of the HTML itself: the same in every process, so an open
    # board can tell which cells changed whichever server answered.
    checksum = 1
    for text in html:
        checksum = zlib.adler32(text.encode(), checksum)
    return html, f"{checksum:08x}"


@register.simple_tag(takes_context=True)
def board_card(context: template.Context, card: Any) -> SafeString:
    """Render one card exactly as the board does (used by single-card swaps)."""
    html, _ = render_cards([card], context.flatten())
    return mark_safe(html[0])


@register.filter
def horizon_label(roadmap: Any, horizon: str) -> str:
    """The roadmap's own label for a horizon, e.g. "Now" for current."""
    return roadmap.horizon_label(horizon)
