"""Read metered usage events from CSV texts (`usage/*.csv`).

Header: `timestamp,customer,metric,quantity`, then optionally `amount` (percent pricing),
`event_id` and any dimension columns. An event belongs to the billing period containing its
date (the date as written in the timestamp, in its own offset). Events repeated under the same
(customer, event_id) are counted once; a repeat that differs from the first is an error.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Collection, Iterator
from decimal import Decimal

from beanbill import model as m
from beanbill.money import MAX_DIGITS
from beanbill.problems import Problem

REQUIRED = ("timestamp", "customer", "metric", "quantity")
OPTIONAL = ("amount", "event_id")
NUMBER_RE = re.compile(r"-?(\d+)(\.\d+)?")
MAX_ROWS = 5_000_000  # per file: past this a file is refused rather than exhausting memory
csv.field_size_limit(1 << 20)


def parse_timestamp(text: str) -> datetime.date:
    """The calendar date of an ISO 8601 date or date-time, as written (no time-zone shift)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text)
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError as error:
        raise ValueError(f'timestamp "{text}" is not an ISO 8601 date or date-time') from error


def _number(text: str, column: str, negative: bool = False) -> Decimal:
    text = text.strip()
    match = NUMBER_RE.fullmatch(text)
    if match is None:
        raise ValueError(f'{column} "{text}" is not a number')
    if len(match.group(1)) > MAX_DIGITS:
        raise ValueError(
            f'{column} "{text}" is too large (at most {MAX_DIGITS} digits before the decimal point)'
        )
    value = Decimal(text)
    if value < 0 and not negative:
        raise ValueError(f'{column} "{text}" must not be negative')
    return value


def _rows(file: str, text: str, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """The CSV rows of one file with the line each starts on; a CSV error ends the file."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for row in reader:
            yield line, row
            line = reader.line_num + 1
    except csv.Error as error:
        problems.append(Problem(m.Source(file, line), f"usage: bad CSV ({error})"))


def read_usage(
    files: list[tuple[str, str]],
    catalog: m.Catalog,
    customers: set[str],
    skipped: Collection[str] = (),
) -> tuple[tuple[m.UsageEvent, ...], list[Problem]]:
    """Parse (file name, text) pairs into events sorted by (date, file, line).

    Rows of the `skipped` customers (known, but left out for their own problems) are ignored.
    """
    metrics = {p.metric for p in catalog.products.values() if p.metric}
    events: list[m.UsageEvent] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], m.UsageEvent] = {}
    for file, text in sorted(files):
        if not text.strip():
            continue
        reader = _rows(file, text, problems)
        _, header = next(reader, (1, None))
        if header is None:
            continue
        columns = [c.strip() for c in header]
        missing = [c for c in REQUIRED if c not in columns]
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        if missing or duplicated:
            why = f"missing {', '.join(missing)}" if missing else f"repeats {', '.join(duplicated)}"
            problems.append(
                Problem(m.Source(file, 1), f"usage header {why} (needs {','.join(REQUIRED)})")
            )
            continue
        dimensions = [c for c in columns if c not in REQUIRED + OPTIONAL]
        for line, row in reader:
            source = m.Source(file, line)
            if line > MAX_ROWS:
                problems.append(Problem(source, f"usage file has more than {MAX_ROWS} rows"))
                break
            if not any(cell.strip() for cell in row):
                continue
            if len(row) == len(columns) and row[columns.index("customer")].strip() in skipped:
                continue
            try:
                event = _event(row, columns, dimensions, source, metrics, customers)
            except ValueError as error:
                problems.append(Problem(source, f"usage: {error}"))
                continue
            if event.event_id is not None:
                key = (event.customer, event.event_id)
                first = seen.get(key)
                if first is not None:
                    if _same(first, event):
                        continue
                    problems.append(
                        Problem(
                            source,
                            f'usage: event_id "{event.event_id}" of customer {event.customer} '
                            f"repeats {first.source} with different values",
                        )
                    )
                    continue
                seen[key] = event
            events.append(event)
    events.sort(key=lambda e: (e.date, e.source))
    return tuple(events), problems


def _same(a: m.UsageEvent, b: m.UsageEvent) -> bool:
    return (a.date, a.metric, a.quantity, a.amount, a.dimensions) == (
        b.date,
        b.metric,
        b.quantity,
        b.amount,
        b.dimensions,
    )


def _event(
    row: list[str],
    columns: list[str],
    dimensions: list[str],
    source: m.Source,
    metrics: set[str],
    customers: set[str],
) -> m.UsageEvent:
    if len(row) != len(columns):
        raise ValueError(f"row has {len(row)} cells, the header has {len(columns)}")
    cells = {c: v.strip() for c, v in zip(columns, row, strict=True)}
    customer = cells["customer"]
    if customer not in customers:
        raise ValueError(f'unknown customer "{customer}"')
    metric = cells["metric"]
    if metric not in metrics:
        known = ", ".join(sorted(metrics)) or "none"
        raise ValueError(f'unknown metric "{metric}" (metrics of the catalog: {known})')
    amount = cells.get("amount") or None
    return m.UsageEvent(
        date=parse_timestamp(cells["timestamp"]),
        timestamp=cells["timestamp"],
        customer=customer,
        metric=metric,
        quantity=_number(cells["quantity"], "quantity"),
        amount=_number(amount, "amount", negative=True) if amount else None,
        event_id=cells.get("event_id") or None,
        dimensions=tuple((d, cells[d]) for d in dimensions),
        source=source,
    )
