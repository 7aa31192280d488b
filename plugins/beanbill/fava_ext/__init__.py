"""beanbill in Fava: a "Billing" page with the revenue waterfall, the deferred revenue
roll-forward, the invoices and the receivables aging - the tables of `beanbill revenue`,
`rollforward`, `invoices` and `aging` (beanbill.reports), so the page and the CLI show the
same numbers.

Usage, in the ledger:

    2020-01-01 custom "fava-extension" "beanbill.fava_ext"

Fava's time filter picks the months of the waterfall, the period of the roll-forward, and the
date the invoices and the aging are as of (the filter's last day; without a filter, the date
of the last invoice, memo, payment, write-off or wallet movement, as the CLI does, and the
roll-forward runs from the books' first transaction). The invoices table lists the invoices
open on that date (no filter) or issued in the filter's period, at most INVOICE_ROWS_SHOWN:
the oldest, those collections chase first.

Fava's account filter on a customer's receivable (`Assets:AccountsReceivable:Customers:Acme`,
which each customer on the page links to) narrows the page to that customer: every invoice
it was issued, the roll-forward of its contracts and its aging, as `beanbill invoices
--customer` does; the waterfall, the company's, is left out. Another account filter, and
Fava's advanced filter, do not apply to the page, and it says so.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple, cast

from beancount.core import data
from fava.context import g
from fava.ext import FavaExtensionBase
from fava.helpers import FavaAPIError
from flask import request, url_for

from beanbill.active import SourceFinder
from beanbill.books import read_settlement
from beanbill.ledger import SOURCE_KEY, paused_garbage_collector
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
    customers: dict[str, str]  # customer id → this page narrowed to it
    notes: tuple[str, ...] = ()  # what the page leaves out, and Fava's filters it does not apply
    problem: str = ""  # why there are no reports (Fava's filter cannot be read)


class Scope(NamedTuple):
    """What of Fava's account and advanced filters the page applies."""

    customer: str | None  # the account component of the customer's receivable it names
    notes: tuple[str, ...]  # the filters it does not apply


def scope(account: str, advanced: str) -> Scope:
    """A customer, when Fava's account filter is its receivable (or an account under it); an
    account above all the customers' receivables (`Assets`) leaves them all on the page."""
    customer = None
    notes = []
    if account.startswith(RECEIVABLE_PARENT):
        customer = account[len(RECEIVABLE_PARENT) :].split(":")[0]
    elif account and not RECEIVABLE_PARENT.startswith(f"{account}:"):
        notes.append(
            f"Fava's account filter ({account}) does not apply to this page: it narrows to a "
            f"customer, given its receivable (an account under {RECEIVABLE_PARENT[:-1]})."
        )
    if advanced:
        notes.append(
            f"Fava's filter ({advanced}) does not apply to this page (the journal applies it): "
            "pick a customer with the account filter, or click one below."
        )
    return Scope(customer or None, tuple(notes))


class Loaded(NamedTuple):
    """What the page reads of the books once per load."""

    settlement: Settlement
    invoices: dict[str, dict[str, Any]]  # compiled invoices' metadata (their contract clause)
    finder: SourceFinder
    revenue: list[PostingRow]  # the waterfall's postings, summed per day


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
            narrowed = scope(request.args.get("account", ""), request.args.get("filter", ""))
            with paused_garbage_collector():
                page = self.make_page(self.loaded(), since, until, narrowed)
        self._pages[query] = page
        while len(self._pages) > PAGES_KEPT:
            del self._pages[next(iter(self._pages))]
        return page

    def loaded(self) -> Loaded:
        """What the page reads of the books, once per load."""
        if self._loaded is None:
            entries = cast("list[data.Directive]", self.ledger.all_entries)
            self._loaded = Loaded(
                read_settlement(entries),
                compiled_invoices(entries),
                SourceFinder(dict(self.ledger.options)),
                revenue_rows(entries),
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
        settlement, invoices, finder, revenue = loaded
        customer, notes = narrowed
        as_of = until or default_as_of(settlement.last_date, datetime.date.today())
        first = since or next((e.date for e in entries if isinstance(e, data.Transaction)), as_of)
        rows = invoice_rows(settlement, as_of, customer)
        period = f"issued {since} to {as_of}" if since else f"issued by {as_of}"
        if customer is not None:  # every invoice of the customer, paid or open
            title = f"Invoices of {customer} {period}"
            listed = [r for r in rows if since is None or r.date >= since]
            ids = {r.customer for r in rows}
            contracts: set[str] | None = {
                contract
                for meta in invoices.values()
                if meta["customer"] in ids
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
            contracts = None
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
                aging_table(rows, totals=customer is None),
                0,
            ),
        ]
        if customer is None:
            tables.insert(
                0, ("revenue", "Revenue waterfall", revenue_table(revenue, since, until), 0)
            )
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
        # each customer: this page narrowed to it, as of the same time filter
        receivables = {row.customer: row.receivable for row in rows}
        customers = {
            customer_id: url_for(
                "extension_report", extension_name="BillingReports", account=receivable, filter=None
            )
            for customer_id, receivable in receivables.items()
        }
        return Page(reports, links, customers, notes)

    @staticmethod
    def months() -> tuple[datetime.date | None, datetime.date | None]:
        """The first and last day of Fava's time filter (None: no filter)."""
        date_range = g.filtered.date_range
        if date_range is None:
            return None, None
        return date_range.begin, date_range.end - datetime.timedelta(days=1)


def compiled_invoices(entries: list[data.Directive]) -> dict[str, dict[str, Any]]:
    """Each compiled invoice's metadata, by invoice id."""
    return {
        str(entry.meta["invoice-id"]): entry.meta
        for entry in entries
        if isinstance(entry, data.Transaction)
        and {"due-date", "invoice-id", SOURCE_KEY} <= entry.meta.keys()
    }
