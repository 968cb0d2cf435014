"""Read measurements from CSV or from cells pasted out of a spreadsheet.

Parsing and checking are pure: `parse` turns text into raw rows and
`classify` labels each row new, changed, unchanged or invalid (with the
reason), given the product's metrics and the values already stored. Nothing
here touches the database; services.py gathers what `classify` needs and
writes a confirmed import in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

COLUMNS = ("metric", "date", "value", "note")
REQUIRED = ("metric", "date", "value")
MAX_ROWS = 10_000
MAX_NOTE = 500
# Measurement.value is a decimal(18, 4): 14 digits before the point.
MAX_ABS_VALUE = Decimal(10) ** 14
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


class ImportRejected(ValueError):
    """The text as a whole cannot be read (not one bad row: those are reported)."""


@dataclass(frozen=True)
class RawRow:
    line: int
    metric: str
    date: str
    value: str
    note: str
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricRef:
    """The little `classify` needs to know about a metric."""

    id: int
    name: str
    unit: str = ""


@dataclass
class PreviewRow:
    line: int
    metric_text: str
    date_text: str
    value_text: str
    note: str
    status: str  # new, changed, unchanged or invalid
    reason: str = ""
    metric: MetricRef | None = None
    date: dt.date | None = None
    value: Decimal | None = None
    previous: Decimal | None = None


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("new", "changed", "unchanged", "invalid")}

    @property
    def has_errors(self) -> bool:
        return any(row.status == "invalid" for row in self.rows)

    @property
    def writes(self) -> list[PreviewRow]:
        """The rows a confirmed import stores: new and changed ones."""
        return [row for row in self.rows if row.status in ("new", "changed")]


def sniff_delimiter(first_line: str) -> str:
    """Pick tab (pasted cells), then semicolon, then comma, by what the header uses."""
    for delimiter in ("\t", ";", ","):
        if delimiter in first_line:
            return delimiter
    return ","


def parse(text: str) -> list[RawRow]:
    """Split text into rows; a header row (metric, date, value, note) is optional.

    Raises ImportRejected when the text is empty, too long, or its header lacks
    a required column.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise ImportRejected("There are no rows to import.")
    delimiter = sniff_delimiter(first)
    try:
        records = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as error:
        raise ImportRejected(f"The text cannot be read as rows: {error}.") from error
    numbered = [
        (number, [cell.strip() for cell in record])
        for number, record in enumerate(records, start=1)
        if any(cell.strip() for cell in record)
    ]
    if not numbered:
        raise ImportRejected("There are no rows to import.")
    columns = list(COLUMNS)
    header = [cell.lower() for cell in numbered[0][1]]
    if header[0] == "metric" or ("value" in header and "date" in header):
        absent = [name for name in REQUIRED if name not in header]
        if absent:
            raise ImportRejected(f"The header has no {', '.join(absent)} column.")
        columns = header
        numbered = numbered[1:]
    if not numbered:
        raise ImportRejected("There are no rows to import.")
    if len(numbered) > MAX_ROWS:
        raise ImportRejected(f"At most {MAX_ROWS:,} rows can be imported at once.")
    rows = []
    for number, cells in numbered:
        by_name = dict(zip(columns, cells, strict=False))
        missing = tuple(
            name for name in REQUIRED if name not in by_name or not by_name[name]
        )
        rows.append(
            RawRow(
                line=number,
                metric=by_name.get("metric", ""),
                date=by_name.get("date", ""),
                value=by_name.get("value", ""),
                note=by_name.get("note", ""),
                missing=missing,
            )
        )
    return rows


def parse_date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def parse_number(text: str) -> Decimal | None:
    """Read "1200", "1,200", "1 200,5", "12.5%" or "€4.20"; None if not a number."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text).strip("%€$£")
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        cleaned = (
            cleaned.replace(",", "")
            if THOUSANDS.match(cleaned)
            else cleaned.replace(",", ".")
        )
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", cleaned):
        return None
    number = Decimal(cleaned)
    try:
        return number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # Too many digits to round; returned as is, it is refused as too large.
        return number


def classify(
    rows: list[RawRow],
    metrics: Mapping[str, MetricRef],
    existing: Mapping[tuple[int, dt.date], tuple[Decimal, str]],
) -> Preview:
    """Label each row; metrics are keyed by lower-case name, existing by (id, date)."""
    preview = Preview()
    seen: dict[tuple[int, dt.date], int] = {}
    for raw in rows:
        row = PreviewRow(
            line=raw.line,
            metric_text=raw.metric,
            date_text=raw.date,
            value_text=raw.value,
            note=raw.note,
            status="invalid",
        )
        preview.rows.append(row)
        row.metric = metrics.get(raw.metric.lower())
        row.date = parse_date(raw.date) if raw.date else None
        row.value = parse_number(raw.value) if raw.value else None
        if raw.missing:
            row.reason = f"Missing {', '.join(raw.missing)}."
        elif row.metric is None:
            row.reason = f"Unknown metric “{raw.metric}”."
        elif row.date is None:
            row.reason = f"“{raw.date}” is not a date; use YYYY-MM-DD."
        elif row.value is None:
            row.reason = f"“{raw.value}” is not a number."
        elif abs(row.value) >= MAX_ABS_VALUE:
            row.reason = "The value is too large."
        elif len(raw.note) > MAX_NOTE:
            row.reason = f"The note is longer than {MAX_NOTE} characters."
        elif (row.metric.id, row.date) in seen:
            first = seen[(row.metric.id, row.date)]
            row.reason = f"Same metric and date as line {first}."
        else:
            key = (row.metric.id, row.date)
            seen[key] = raw.line
            stored = existing.get(key)
            if stored is None:
                row.status = "new"
            elif stored == (row.value, raw.note):
                row.status = "unchanged"
            else:
                row.status = "changed"
                row.previous = stored[0]
    return preview
