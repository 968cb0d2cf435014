"""Template tags of the board: a card drawn from its cached piece."""

from __future__ import annotations

from typing import Any, cast

from django import template
from django.template import loader
from django.utils.safestring import SafeString

from roadmap.board import AnyCard, Cell

register = template.Library()


@register.simple_tag(takes_context=True)
def board_card(context: template.Context, card: AnyCard) -> SafeString:
    """The card's HTML, from the piece cache the view prepared (`pieces`)."""
    return context["pieces"].html(card)


@register.simple_tag(takes_context=True)
def board_cell(context: template.Context, cell: Cell) -> SafeString:
    """The cell's HTML, from the piece cache unless its cards or counts changed."""

    def render() -> str:
        partial = loader.get_template("roadmap/board.html#board-cell")
        # The stub lets flatten() have non-string keys; a context's are names.
        names = cast("dict[str, Any]", context.flatten())
        return partial.render({**names, "cell": cell})

    return context["pieces"].cell(cell, render)


@register.filter
def horizon_label(roadmap: Any, horizon: str) -> str:
    """The roadmap's own label for a horizon, e.g. "Now" for current."""
    return roadmap.horizon_label(horizon)
