"""Small template helpers for the strategy pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def in_unit(value: Decimal | None, metric: Any) -> str:
    """Show a value in its metric's unit: {{ kr.baseline|in_unit:kr.metric }}."""
    return metric.format(value)
