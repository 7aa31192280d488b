"""beanbill in Fava: a "Billing" page with the revenue waterfall, the deferred revenue
roll-forward, the invoices and the receivables aging - the tables of `beanbill revenue`,
`rollforward`, `invoices` and `aging` (beanbill.reports), so the page and the CLI show the
same numbers.

Usage, in the ledger:

    2020-01-01 custom "fava-extension" "beanbill.fava_ext"

Fava's time filter picks the months of the waterfall (whole months, said when the filter cuts
one), the period of the roll-forward, and the
date the invoices and the aging are as of (the filter's last day; without a filter, the date
of the last invoice, memo, payment, write-off or wallet movement, as the CLI does, and the
roll-forward runs from the books' first transaction). The invoices table lists the invoices
open on that date (no filter) or issued in the filter's period, at most INVOICE_ROWS_SHOWN:
the oldest, those collections chase first.

Fava's account filter narrows the page to the customers whose receivable it matches, as Fava
matches accounts (`Hooli`, `Assets:AccountsReceivable:Customers:Hooli`, or a regular
expression, whatever the case; each customer on the page links to its own): every invoice
they were issued, the roll-forward of their contracts and their aging, as `beanbill invoices
--customer` does; the waterfall, the company's, is left out. A filter that matches every
customer (`Assets`) leaves the page the company's; one that matches none, and Fava's
advanced filter, do not apply to the page, and it says so.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any, NamedTuple, cast

from beancount.core import data
from fava.context import g
from fava.core.filters import Match
from fava.ext import FavaExtensionBase
from fava.helpers import FavaAPIError
from flask import request, url_for

from beanbill.active import SourceFinder
from beanbill.books import read_settlement
from beanbill.ledger import SOURCE_KEY, in_contracts, paused_garbage_collector
from beanbill.periods import month_end
from beanbill.receivables import default_as_of, invoice_rows
from beanbill.reports import (
    Table,
    aging_table,
    invoices_table,
    revenue_rows,
    revenue_table,
    rollforward_table,
)
from beanbill.revenue_report import PostingRow
from beanbill.settlement import RECEIVABLE_PARENT, Settlement
from beanbill.tables import numeric_columns

# The invoices table lists at most this many rows: a page of every invoice of large books
# took minutes to render (36,000 rows: 22 s at 1,000 contracts).
INVOICE_ROWS_SHOWN = 1000
PAGES_KEPT = 8  # the last pages worked out, per load
NAMED = 3  # customers named in the title of a page narrowed to several
# each report's anchor on the page: its name in the page's table of contents, and what it
# says when it has no rows
SECTIONS = {
    "revenue": ("Revenue", "No revenue in these months."),
    "deferred": ("Deferred revenue", "No deferred revenue in this period."),
    "invoices": ("Invoices", "No invoice to list."),
    "aging": ("Aging", "Nothing owed on this date."),
}


class Report(NamedTuple):
    anchor: str  # its id on the page, for the page's table of contents
    label: str  # its name there
    empty: str  # what it says when it has no rows
    title: str
    table: Table
    numeric: list[bool]
    hidden: int  # rows left out (the invoices table's, beyond INVOICE_ROWS_SHOWN)


class Page(NamedTuple):
    reports: list[Report]
    # invoice id → (its journal, its contract clause in Fava's editor, or ""): the contracts
    # plugin registers the contract files with Fava, which makes them editable
    links: dict[str, tuple[str, str]]
    customer_pages: dict[str, str]  # customer id → this page narrowed to it
    notes: tuple[str, ...] = ()  # what the page leaves out, and Fava's filters it does not apply
    problem: str = ""  # why there are no reports (Fava's filter cannot be read)
    # the books' problems (Fava's errors): the figures leave out what they leave out
    books_problems: int = 0
    contract_problems: int = 0  # of them, in the contract files: fix those first
    errors_page: str = ""


class Scope(NamedTuple):
    """What of Fava's account and advanced filters the page applies."""

    # the receivables of the customers the page narrows to; None: every customer's
    customers: frozenset[str] | None
    notes: tuple[str, ...]  # the filters it does not apply


def scope(account: str, advanced: str, receivables: Collection[str]) -> Scope:
    """The customers whose receivable Fava's account filter matches, as Fava matches an
    entry's accounts (an account component it names, or a regular expression, whatever the
    case). A filter matching every customer (`Assets`) leaves the page the company's."""
    notes = []
    matched = frozenset(receivables)
    if account:
        match = Match(account)  # Fava's own: an invalid expression matches by equality
        # a component it names, as Fava's `has_component`, which takes the filter as a
        # regular expression and raises on an invalid one
        matched = frozenset(r for r in receivables if account in r.split(":") or match(r))
        if not matched:
            notes.append(
                f"Fava's account filter ({account}) matches no customer's receivable, so the "
                "page shows every customer: pick one (an account under "
                f"{RECEIVABLE_PARENT[:-1]}), or click one below."
            )
    if advanced:
        notes.append(
            f"Fava's filter ({advanced}) does not apply to this page (the journal applies it): "
            "pick a customer with the account filter, or click one below."
        )
    narrowed = matched if 0 < len(matched) < len(receivables) else None
    return Scope(narrowed, tuple(notes))


class Loaded(NamedTuple):
    """What the page reads of the books once per load."""

    settlement: Settlement
    invoices: dict[str, dict[str, Any]]  # compiled invoices' metadata (their contract clause)
    finder: SourceFinder
    revenue: list[PostingRow]  # the waterfall's postings, summed per day
    customer_ids: dict[str, str]  # each customer's receivable → its id


class BillingReports(FavaExtensionBase):
    """The billing reports page."""

    report_title = "Billing"
    # of the books as last loaded, and the last pages shown, by the request's query (its time
    # filter, and the filters Fava's links carry on)
    _loaded: Loaded | None = None
    _pages: dict[tuple[tuple[str, str], ...], Page]

    def after_load_file(self) -> None:
        """Fava keeps one extension object across reloads: forget what the old books gave."""
        self._loaded = None
        self._pages = {}

    def page(self) -> Page:
        """The page for the request (worked out once per query and load; like the plugins,
        without the cyclic garbage collector rescanning the books' objects meanwhile)."""
        # today's date too: without a time filter, the invoices and aging are as of today
        query = (("today", str(datetime.date.today())), *sorted(request.args.items()))
        page = self._pages.pop(query, None) if self._loaded is not None else None
        if page is None:
            try:
                since, until = self.months()
            except (ValueError, FavaAPIError) as error:  # a time filter such as 2026-02-30
                return Page(
                    [], {}, {}, problem=f"Fava's filter cannot be read ({error}): correct it above."
                )
            with paused_garbage_collector():
                loaded = self.loaded()
                narrowed = scope(
                    request.args.get("account", ""),
                    request.args.get("filter", ""),
                    loaded.customer_ids.keys(),
                )
                page = self.make_page(loaded, since, until, narrowed)
        self._pages[query] = page
        while len(self._pages) > PAGES_KEPT:
            del self._pages[next(iter(self._pages))]
        return page

    def loaded(self) -> Loaded:
        """What the page reads of the books, once per load."""
        if self._loaded is None:
            entries = cast("list[data.Directive]", self.ledger.all_entries)
            settlement = read_settlement(entries)
            issued = [invoice.issued for invoice in settlement.invoices.values()]
            self._loaded = Loaded(
                settlement,
                compiled_invoices(entries),
                SourceFinder(dict(self.ledger.options)),
                revenue_rows(entries),
                {i.receivable: i.customer for i in issued},
            )
            self._pages = {}
        return self._loaded

    def make_page(
        self,
        loaded: Loaded,
        since: datetime.date | None,
        until: datetime.date | None,
        narrowed: Scope,
    ) -> Page:
        # Fava types its entries as protocols of Beancount's; they are Beancount's own.
        entries = cast("list[data.Directive]", self.ledger.all_entries)
        settlement, invoices, finder, revenue, customer_ids = loaded
        customers, notes = narrowed
        as_of = until or default_as_of(settlement.last_date, datetime.date.today())
        first = since or next((e.date for e in entries if isinstance(e, data.Transaction)), as_of)
        rows = invoice_rows(settlement, as_of)
        period = f"issued {since} to {as_of}" if since else f"issued by {as_of}"
        contracts: set[str] | None = None
        if customers is not None:  # every invoice of the customers, paid or open
            rows = [r for r in rows if r.receivable in customers]
            ids = sorted({customer_ids[r] for r in customers})
            named = ", ".join(ids[:NAMED]) + (
                f" and {len(ids) - NAMED} more" if len(ids) > NAMED else ""
            )
            title = f"Invoices of {named} {period}"
            chosen = set(ids)
            listed = [r for r in rows if since is None or r.date >= since]
            contracts = {
                contract
                for meta in invoices.values()
                if meta["customer"] in chosen
                for contract in str(meta["contract"]).split(", ")
            }
            notes += (
                "The revenue waterfall is the company's: clear the account filter to see it.",
            )
        else:
            title = f"Invoices open on {as_of}" if since is None else f"Invoices {period}"
            listed = (
                [r for r in rows if r.open]
                if since is None
                else [r for r in rows if r.date >= since]
            )
        shown = listed[:INVOICE_ROWS_SHOWN]  # the oldest: those collections chase first
        tables = [
            (
                "deferred",
                f"Deferred revenue roll-forward, {first} to {as_of}",
                rollforward_table(entries, first, as_of, contracts),
                0,
            ),
            ("invoices", title, invoices_table(shown), len(listed) - len(shown)),
            (
                "aging",
                f"Receivables aging as of {as_of} (days past due)",
                aging_table(rows, totals=customers is None or len(customers) > 1),
                0,
            ),
        ]
        if customers is None:
            tables.insert(
                0, ("revenue", "Revenue waterfall", revenue_table(revenue, since, until), 0)
            )
            notes += whole_months_note(since, until)
        reports = [
            Report(
                anchor,
                *SECTIONS[anchor],
                title,
                table,
                numeric_columns(len(table.headers), table.rows),
                hidden,
            )
            for anchor, title, table, hidden in tables
        ]
        links = {}
        for row in shown:
            # all of the invoice's history (payments, memos, releases of later months): not
            # the page's time or account filter, which Fava would carry over
            journal = url_for(
                "report", report_name="journal", filter=f"^{row.invoice}", time=None, account=None
            )
            editor = ""
            if row.invoice in invoices:
                where = finder.meta(invoices[row.invoice])
                file, line = str(where["filename"]), int(where["lineno"])
                editor = url_for("report", report_name="editor", file_path=file, line=line)
            links[row.invoice] = (journal, editor)
        # each customer: this page narrowed to it, as of the same time filter (its receivable
        # exactly: Fava's account filter is a regular expression, and `…:Acme` also matches
        # `…:AcmeCorp`)
        customer_pages = {
            customer_id: url_for(
                "extension_report",
                extension_name="BillingReports",
                account=f"^{receivable}$",
                filter=None,
            )
            for customer_id, receivable in {row.customer: row.receivable for row in rows}.items()
        }
        return Page(
            reports,
            links,
            customer_pages,
            notes,
            books_problems=len(self.ledger.errors),
            contract_problems=in_contracts(self.ledger.errors, dict(self.ledger.options)),
            errors_page=url_for("report", report_name="errors"),
        )

    @staticmethod
    def months() -> tuple[datetime.date | None, datetime.date | None]:
        """The first and last day of Fava's time filter (None: no filter)."""
        date_range = g.filtered.date_range
        if date_range is None:
            return None, None
        return date_range.begin, date_range.end - datetime.timedelta(days=1)


def whole_months_note(since: datetime.date | None, until: datetime.date | None) -> tuple[str, ...]:
    """A note when the time filter cuts a month: the waterfall counts whole months."""
    if (since is None or since.day == 1) and (until is None or until == month_end(until)):
        return ()
    first = f"{since:%Y-%m}" if since else "the first month"
    last = f"{until:%Y-%m}" if until else "the last"
    months = first if first == last else f"{first} to {last}"
    return (
        f"The revenue waterfall counts whole months: it shows {months}, all of it (the time "
        f"filter runs {since or 'from the start'} to {until or 'the end'}).",
    )


def compiled_invoices(entries: list[data.Directive]) -> dict[str, dict[str, Any]]:
    """Each compiled invoice's metadata, by invoice id."""
    return {
        str(entry.meta["invoice-id"]): entry.meta
        for entry in entries
        if isinstance(entry, data.Transaction)
        and {"due-date", "invoice-id", SOURCE_KEY} <= entry.meta.keys()
    }
