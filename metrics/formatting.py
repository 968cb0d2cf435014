"""How metric values read on a page: "1,200", "12.5%", "€4.20", "3.2 s"."""

from __future__ import annotations

from decimal import Decimal

PREFIX_UNITS = {"€", "$", "£"}


def format_number(value: Decimal) -> str:
    """Group thousands and drop trailing zeros: 1200.5000 -> "1,200.5"."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def format_value(value: Decimal | None, unit: str, *, with_words: bool = True) -> str:
    """Return value with its unit; without words, only symbols like % are kept."""
    if value is None:
        return "–"
    number = format_number(Decimal(value))
    if unit in PREFIX_UNITS:
        return f"{unit}{number}"
    if unit == "%":
        return f"{number}%"
    if unit and with_words:
        return f"{number} {unit}"
    return number
