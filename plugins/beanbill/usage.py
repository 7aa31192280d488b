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
import operator
import re
from collections.abc import Collection, Iterator
from decimal import Decimal

from beanbill import model as m
from beanbill.money import MAX_DIGITS
from beanbill.problems import Problem, at, likely_meant, meant_hint, meant_of, misspelt_as

REQUIRED = ("timestamp", "customer", "metric", "quantity")
OPTIONAL = ("amount", "event_id")
NUMBER_RE = re.compile(r"-?(\d+)(\.\d+)?")
MAX_ROWS = 5_000_000  # per file: past this a file is refused rather than exhausting memory
MAX_LISTED = 100  # problem rows listed per file; the rest are counted (a wrong export of a
# million rows would otherwise give a million errors, and hold them all in memory)
csv.field_size_limit(1 << 20)


def parse_timestamp(text: str) -> datetime.date:
    """The calendar date of an ISO 8601 date or date-time, as written (no time-zone shift)."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text)
        return datetime.datetime.fromisoformat(text).date()  # 3.11 reads "Z" and offsets
    except ValueError as error:
        raise ValueError(f'timestamp "{text}" is not an ISO 8601 date or date-time') from error


def _number(text: str, column: str, negative: bool = False) -> Decimal:
    text = text.strip()
    if text.isdigit() and text.isascii() and len(text) <= MAX_DIGITS:  # most quantities
        return Decimal(text)
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
    customers: Collection[str],
    skipped: Collection[str] = (),
) -> tuple[tuple[m.UsageEvent, ...], list[Problem]]:
    """Parse (file name, text) pairs into events sorted by (date, file, line).

    Rows of the `skipped` customers (known, but left out for their own problems) are ignored.
    """
    metrics = {p.metric for p in catalog.products.values() if p.metric}
    hints = CustomerHints(customers)
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
        if missing and (separator := other_separator(columns)):
            problems.append(
                Problem(
                    m.Source(file, 1),
                    f"usage file is separated by {separator}, not commas: a usage file must be "
                    'comma-separated (in Excel, save it as "CSV UTF-8 (Comma delimited)")',
                )
            )
            continue
        if missing or duplicated:
            extra = [c for c in columns if c not in REQUIRED]
            why = (
                f"missing {', '.join(c + misspelt_as(c, extra) for c in missing)}"
                if missing
                else f"repeats {', '.join(duplicated)}"
            )
            problems.append(
                Problem(m.Source(file, 1), f"usage header {why}; it needs {','.join(REQUIRED)}")
            )
            continue
        layout = Layout(columns)
        bad_rows = RowProblems(problems)
        for line, row in reader:
            source = m.Source(file, line)
            if line > MAX_ROWS:
                problems.append(Problem(source, f"usage file has more than {MAX_ROWS} rows"))
                break
            if skipped and len(row) == layout.width and row[layout.customer].strip() in skipped:
                continue
            if not "".join(row).strip():
                continue
            try:
                event = _event(row, layout, source, metrics, customers)
            except UnknownCustomer as error:
                hint = "" if bad_rows.full else hints.note(error.customer)  # counted, not listed
                bad_rows.add(Problem(source, f"usage: {error}{hint}"))
                continue
            except ValueError as error:
                bad_rows.add(Problem(source, f"usage: {error}"))
                continue
            if event.event_id is not None:
                key = (event.customer, event.event_id)
                first = seen.get(key)
                if first is not None:
                    if _same(first, event):
                        continue
                    bad_rows.add(
                        Problem(
                            source,
                            f'usage: event_id "{event.event_id}" of customer {event.customer} '
                            f"repeats {at(first.source)} with different values",
                        )
                    )
                    continue
                seen[key] = event
            events.append(event)
        bad_rows.close()
    # Events were read in (file, line) order: a stable sort by date alone keeps it within a day.
    events.sort(key=_date_of)
    return tuple(events), problems


_date_of = operator.attrgetter("date")


SEPARATORS = {";": "semicolons", "\t": "tabs"}  # what spreadsheets write for CSV in some locales


def other_separator(columns: list[str]) -> str | None:
    """'semicolons' or 'tabs' when a header read with commas holds the required columns
    separated by one of those instead, else None."""
    for separator, name in SEPARATORS.items():
        cells = [c.strip() for c in separator.join(columns).split(separator)]
        if any(separator in c for c in columns) and all(r in cells for r in REQUIRED):
            return name
    return None


class RowProblems:
    """One file's bad rows: the first MAX_LISTED are listed, the rest counted in one problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.listed = 0
        self.unlisted = 0
        self.first_unlisted: m.Source | None = None

    @property
    def full(self) -> bool:
        """Whether a problem added now is only counted."""
        return self.listed >= MAX_LISTED

    def add(self, problem: Problem) -> None:
        if not self.full:
            self.problems.append(problem)
            self.listed += 1
            return
        self.unlisted += 1
        self.first_unlisted = self.first_unlisted or problem.source

    def close(self) -> None:
        if self.first_unlisted is not None:
            self.problems.append(
                Problem(
                    self.first_unlisted,
                    f"usage: {self.unlisted} more rows of this file, from this one on, have "
                    f"problems too (only the first {MAX_LISTED} are listed); they are left out",
                )
            )


class UnknownCustomer(ValueError):
    """A row's customer id that no customer file has."""

    def __init__(self, customer: str) -> None:
        super().__init__(f'unknown customer "{customer}"')
        self.customer = customer


class CustomerHints:
    """The customers a row's unknown id likely means: the same id in another case, else a close
    spelling ("acmee" for "acme") and the ids a word or more longer or shorter ("acme" for
    "acme-corp" or "Acme Corp", "acme-corp" for "acme"). Worked out once per id and only for the
    rows listed: a wrong export repeats one id on every row, and there may be 10,000
    customers to match."""

    def __init__(self, customers: Collection[str]) -> None:
        self.customers = customers
        self.folded: dict[str, str] | None = None  # the customer ids by their case-folded form
        self.by_first_word: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.notes: dict[str, str] = {}

    def note(self, customer: str) -> str:
        """' (did you mean "acme"?)' after the problem, or ''."""
        note = self.notes.get(customer)
        if note is None:
            note = self.notes[customer] = self._note(customer)
        return note

    def _note(self, customer: str) -> str:
        if self.folded is None:
            self.folded = {known.casefold(): known for known in self.customers}
            for known in sorted(self.customers):
                if parts := words(known):
                    self.by_first_word.setdefault(parts[0], []).append((parts, known))
        word = customer.casefold()
        meant = self.folded.get(word)
        if meant is not None:
            return f' (did you mean "{meant}"? customer ids are case-sensitive)'
        # A close spelling first, then the ids a word or more longer or shorter: "acme-corp-us"
        # may be "acme-corp-eu" misspelt, or "acme-corp" with a region added.
        close = likely_meant(word, self.folded)
        spelt = [self.folded[close]] if close is not None else []
        return meant_of(spelt + [i for i in self.word_matches(customer) if i not in spelt])

    def word_matches(self, customer: str) -> list[str]:
        """The ids whose words begin with all the words of `customer`, or are the first words
        of it, and of those the fewest words away from it (sorted): "acme-corp" for "acme"
        when there is no "acme-x" nearer, but never "acmecorp" (no word boundary)."""
        written = words(customer)
        if not written:
            return []
        found: dict[int, list[str]] = {}
        for parts, known in self.by_first_word.get(written[0], ()):
            shorter, longer = sorted((parts, written), key=len)
            if longer[: len(shorter)] == shorter:
                found.setdefault(len(longer) - len(shorter), []).append(known)
        return found[min(found)] if found else []


WORD_BREAK = re.compile(r"[\W_]+")  # what separates words in an id: "-", "_", ".", spaces


def words(customer: str) -> tuple[str, ...]:
    """The words of an id, case-folded: ("acme", "corp") for "acme-corp" and "Acme Corp"."""
    return tuple(word for word in WORD_BREAK.split(customer.casefold()) if word)


def _same(a: m.UsageEvent, b: m.UsageEvent) -> bool:
    return (a.date, a.metric, a.quantity, a.amount, a.dimensions) == (
        b.date,
        b.metric,
        b.quantity,
        b.amount,
        b.dimensions,
    )


class Layout:
    """Where each column of a usage file's header is (a header may order them freely)."""

    def __init__(self, columns: list[str]) -> None:
        self.width = len(columns)
        self.timestamp = columns.index("timestamp")
        self.customer = columns.index("customer")
        self.metric = columns.index("metric")
        self.quantity = columns.index("quantity")
        self.amount = columns.index("amount") if "amount" in columns else None
        self.event_id = columns.index("event_id") if "event_id" in columns else None
        self.dimensions = [(c, i) for i, c in enumerate(columns) if c not in REQUIRED + OPTIONAL]


def _event(
    row: list[str],
    layout: Layout,
    source: m.Source,
    metrics: set[str],
    customers: Collection[str],
) -> m.UsageEvent:
    if len(row) != layout.width:
        raise ValueError(f"row has {len(row)} cells, the header has {layout.width}")
    customer = row[layout.customer].strip()
    if customer not in customers:
        raise UnknownCustomer(customer)
    metric = row[layout.metric].strip()
    if metric not in metrics:
        known = ", ".join(sorted(metrics)) or "none"
        hint = meant_hint(metric, metrics)
        raise ValueError(f'unknown metric "{metric}" ({hint}metrics of the catalog: {known})')
    timestamp = row[layout.timestamp].strip()
    amount = row[layout.amount].strip() if layout.amount is not None else ""
    event_id = row[layout.event_id].strip() if layout.event_id is not None else ""
    return m.UsageEvent(
        parse_timestamp(timestamp),
        timestamp,
        customer,
        metric,
        _number(row[layout.quantity], "quantity"),
        _number(amount, "amount", negative=True) if amount else None,
        event_id or None,
        tuple([(d, row[i].strip()) for d, i in layout.dimensions]) if layout.dimensions else (),
        source,
    )
