from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import template

from metrics import charts

register = template.Library()


@register.inclusion_tag("includes/_sparkline.html")
def sparkline(values: Sequence[Decimal | float], label: str = "") -> dict:
    """Draw a small line of values in time order, e.g. a key result's measurements."""
    return {"line": charts.sparkline(values), "label": label}
