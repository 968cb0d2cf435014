"""Template helpers of the prioritisation page and the portfolio balance.

`portfolio_balance` lets a page of another app (the product overview) show
a roadmap's balance without importing roadmap models: the template loads
this library, and the reading stays on the roadmap's side.
"""

from __future__ import annotations

from typing import Any

from django import template

from roadmap.portfolio import load_portfolio
from roadmap.prioritisation import Row

register = template.Library()


@register.filter
def shown(row: Row, name: str) -> str:
    """The value a row's input shows (typed when refused, else saved)."""
    return row.shown(name)


@register.filter
def errors_for(row: Row, name: str) -> list[str]:
    return row.error(name)


@register.inclusion_tag("roadmap/_portfolio_balance.html")
def portfolio_balance(product: Any, heading_level: int = 2) -> dict[str, Any]:
    """The product's portfolio balance, read here in at most three queries."""
    roadmap = product.roadmap_or_none()
    return {
        "portfolio": load_portfolio(roadmap),
        "product": product,
        "heading_level": heading_level,
        "on_overview": True,
    }
