"""Render board cards, each from its partial, through a cache of their HTML.

A big board has thousands of cards and most do not change between two
renders, so each card's HTML is cached under a digest of everything the card
shows (its version, links, progress, the viewer's edit right, the horizon
labels). A change to any of them gives a new key, so a cached card is never
stale; old entries simply age out.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import template
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.template import loader
from django.template.backends.django import Template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

CARD_TEMPLATE = "roadmap/board.html#{kind}-card"
CACHE_TIMEOUT = 6 * 60 * 60


def get_partial(template_name: str) -> Template:
    """Return a template, or one named partial of it ("page.html#partial").

    The partials app is installed without its loader, so "#name" is looked up
    on the parsed template rather than by the loader.
    """
    name, _, partial = template_name.partition("#")
    template = loader.get_template(name)
    if not partial:
        return template
    proxy = template.template.extra_data["partials"][partial]
    proxy.engine = template.template.engine
    return Template(proxy, template.backend)


def _card_cache() -> BaseCache:
    """Use a cache named "board" if configured; else one sized for big boards."""
    if "board" in settings.CACHES:
        return caches["board"]
    return _LOCAL_CACHE


_LOCAL_CACHE = LocMemCache(
    "northstar-board-cards",
    {"TIMEOUT": CACHE_TIMEOUT, "OPTIONS": {"MAX_ENTRIES": 20_000}},
)


def _outcome_ref(card: Any) -> tuple[int, str] | None:
    outcome = getattr(card, "linked_outcome", None)
    return (outcome.pk, outcome.title) if outcome else None


def card_fingerprint(card: Any, context: dict[str, Any]) -> tuple:
    """Everything a card's HTML depends on, as plain values."""
    kind = card.board_kind
    base = (
        kind,
        card.pk,
        card.version,
        context["can_edit"],
        context["product"].slug,
        tuple(label for _, label, _ in context["roadmap"].horizons),
    )
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
                (m.pk, m.key_result.statement, m.progress.percent, m.progress.status)
                for m in card.metric_cards
            ),
        )
    if kind == "metric":
        kr = card.key_result
        return (
            *base,
            kr.statement,
            card.current_display,
            card.progress.percent,
            card.progress.status,
            tuple(card.spark_values),
            _outcome_ref(card),
        )
    if kind == "feature":
        return (
            *base,
            (card.team.pk, card.team.name) if card.team else None,
            _outcome_ref(card),
        )
    return (*base, _outcome_ref(card))


def cache_key(fingerprint: tuple) -> str:
    digest = hashlib.blake2b(repr(fingerprint).encode(), digest_size=16).hexdigest()
    return f"board-card:{digest}"


def render_cards(cards: list[Any], context: dict[str, Any]) -> tuple[list[str], str]:
    """Return the HTML of each card and a digest of the whole list."""
    keys = [cache_key(card_fingerprint(card, context)) for card in cards]
    cache = _card_cache()
    found = cache.get_many(keys) if keys else {}
    missing = {}
    html = []
    templates: dict[str, Template] = {}
    for card, key in zip(cards, keys, strict=True):
        text = found.get(key)
        if text is None:
            kind = card.board_kind
            if kind not in templates:
                templates[kind] = get_partial(CARD_TEMPLATE.format(kind=kind))
            text = templates[kind].render(
                {
                    "card": card,
                    "product": context["product"],
                    "roadmap": context["roadmap"],
                    "can_edit": context["can_edit"],
                }
            )
            missing[key] = text
        html.append(text)
    if missing:
        cache.set_many(missing, CACHE_TIMEOUT)
    digest = hashlib.blake2b("|".join(keys).encode(), digest_size=8).hexdigest()
    return html, digest


@register.simple_tag(takes_context=True)
def board_card(context: template.Context, card: Any) -> SafeString:
    """Render one card exactly as the board does (used by single-card swaps)."""
    html, _ = render_cards([card], context.flatten())
    return mark_safe(html[0])


@register.filter
def horizon_label(roadmap: Any, horizon: str) -> str:
    """The roadmap's own label for a horizon, e.g. "Now" for current."""
    return roadmap.horizon_label(horizon)
