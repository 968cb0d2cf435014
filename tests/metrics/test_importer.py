from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from metrics.importer import (
    ImportRejected,
    MetricRef,
    classify,
    parse,
    parse_number,
)

WAU = MetricRef(1, "Weekly active users")
CHURN = MetricRef(2, "Churn", "%")
METRICS = {"weekly active users": WAU, "churn": CHURN}


def preview(text, existing=None):
    return classify(parse(text), METRICS, existing or {})


def only_row(text, existing=None):
    (row,) = preview(text, existing).rows
    return row


def test_import_reads_comma_semicolon_and_tab_separated_rows():
    texts = [
        "Weekly active users,2026-03-02,1250,launch",
        "Weekly active users;2026-03-02;1250;launch",
        "Weekly active users\t2026-03-02\t1250\tlaunch",
    ]

    rows = [only_row(text) for text in texts]

    assert {(r.metric, r.date, r.value, r.note, r.status) for r in rows} == {
        (WAU, dt.date(2026, 3, 2), Decimal("1250.0000"), "launch", "new")
    }


def test_import_header_may_reorder_columns_and_omit_the_note():
    row = only_row("date,value,metric\n02/03/2026,5,churn\n")

    assert (row.metric, row.date, row.value) == (CHURN, dt.date(2026, 3, 2), Decimal(5))


def test_import_marks_changed_and_unchanged_rows_against_stored_values():
    existing = {
        (1, dt.date(2026, 3, 2)): (Decimal("1000.0000"), ""),
        (1, dt.date(2026, 3, 9)): (Decimal("1300.0000"), ""),
    }

    result = preview(
        "Weekly active users,2026-03-02,1250\nWeekly active users,2026-03-09,1300",
        existing,
    )

    assert [(r.status, r.previous) for r in result.rows] == [
        ("changed", Decimal(1000)),
        ("unchanged", None),
    ]
    assert [r.line for r in result.writes] == [1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Signups,2026-03-02,5", "Unknown metric “Signups”."),
        ("Churn,2026-02-30,5", "“2026-02-30” is not a date; use YYYY-MM-DD."),
        ("Churn,yesterday,5", "“yesterday” is not a date; use YYYY-MM-DD."),
        ("Churn,2026-03-02,five", "“five” is not a number."),
        ("Churn,2026-03-02,1.2.3", "“1.2.3” is not a number."),
        ("Churn,2026-03-02,100000000000000", "The value is too large."),
        ("Churn,2026-03-02", "Missing value."),
        ("Churn,,5", "Missing date."),
        (",2026-03-02,5", "Missing metric."),
        ("Churn,2026-03-02,5," + "x" * 501, "The note is longer than 500 characters."),
        ("Churn,2026-03-02," + "9" * 30, "The value is too large."),
    ],
)
def test_import_marks_each_kind_of_bad_row_invalid_with_the_reason(text, reason):
    row = only_row(text)

    assert (row.status, row.reason) == ("invalid", reason)


def test_import_marks_a_repeated_metric_and_date_invalid():
    result = preview("Churn,2026-03-02,5\nchurn,2026-03-02,6")

    assert [r.status for r in result.rows] == ["new", "invalid"]
    assert result.rows[1].reason == "Same metric and date as line 1."
    assert result.has_errors


def test_import_numbers_in_spreadsheet_formats():
    assert parse_number("1,200") == Decimal(1200)
    assert parse_number("1 200,5") == Decimal("1200.5")
    assert parse_number("1.200,5") == Decimal("1200.5")
    assert parse_number("12.5%") == Decimal("12.5")
    assert parse_number("€4.20") == Decimal("4.2")
    assert parse_number("-3") == Decimal(-3)
    assert parse_number("0.333333") == Decimal("0.3333")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "There are no rows to import."),
        ("\n  \n", "There are no rows to import."),
        ("metric,date,value\n", "There are no rows to import."),
        ("metric,date,note\nChurn,2026-01-01,x", "The header has no value column."),
        (",,,\n, ,", "There are no rows to import."),
        ('""', "There are no rows to import."),
        ("Churn,2026-01-01,5," + "x" * 200_000, "cannot be read as rows"),
    ],
)
def test_import_rejects_text_that_cannot_be_read(text, message):
    with pytest.raises(ImportRejected, match=message):
        parse(text)


def test_import_line_numbers_count_blank_lines():
    result = preview("metric,date,value\n\nChurn,2026-01-01,x")

    assert result.rows[0].line == 3
