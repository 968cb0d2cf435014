from __future__ import annotations

from decimal import Decimal

import pytest

from metrics.formatting import format_value


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (Decimal("1200.0000"), "users", "1,200 users"),
        (Decimal("2000"), "", "2,000"),
        (Decimal("12.5000"), "%", "12.5%"),
        (Decimal("40000"), "€", "€40,000"),
        (Decimal("0.25"), "s", "0.25 s"),
        (None, "users", "–"),
    ],
)
def test_format_value_groups_thousands_and_places_the_unit(value, unit, expected):
    assert format_value(value, unit) == expected


def test_format_value_without_words_keeps_only_symbol_units():
    assert format_value(Decimal("1200"), "users", with_words=False) == "1,200"
