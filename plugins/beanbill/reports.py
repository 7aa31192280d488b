"""The billing reports as tables (headers and rows), from loaded books: shared by the CLI
(`beanbill revenue`, `invoices`, `aging`, `rollforward`) and the Fava extension, so both show
the same numbers."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data

from beanbill.books import is_invoice, units
from beanbill.ledger import RECOGNITION_FILE
from beanbill.money import ZERO
from beanbill.periods import month_end
from beanbill.receivables import BUCKETS, InvoiceRow, aging, aging_totals
from beanbill.revenue_report import PostingRow, income_accounts, is_revenue_account, waterfall
from beanbill.rollforward import ADJUSTED, BILLED, RECOGNISED, DeferredMove, roll_forward
from beanbill.rules import DEFERRED_REVENUE
from beanbill.tables import Cell


class Table(NamedTuple):
    headers: list[str]
    rows: list[list[Cell]]


def revenue_rows(entries: Iterable[data.Directive]) -> list[PostingRow]:
    """The postings the revenue waterfall reads, summed per day, account and currency: the
    waterfall adds rows up by month, so the sums give it the same table from far fewer rows
    (a few per day, where large books have a million postings)."""
    sums: dict[tuple[datetime.date, str, str], Decimal] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        for posting in entry.postings:
            if not is_revenue_account(posting.account) or (number := units(posting)) is None:
                continue
            key = (entry.date, posting.account, number[1])
            sums[key] = sums.get(key, ZERO) + number[0]
    return [
        PostingRow(day, account, total, currency)
        for (day, account, currency), total in sums.items()
    ]


def revenue_table(
    rows: Iterable[PostingRow],
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> Table:
    """The revenue waterfall per month and currency of `rows` (`revenue_rows`; `since`,
    `until`: any day of the first and last month)."""
    first = since.replace(day=1) if since else None
    months = waterfall(rows, first, month_end(until) if until else None)
    accounts = income_accounts(months)
    headers = ["month", "currency", *accounts, "recognised", "returns", "net"]
    headers += ["deferred", "unbilled"]
    table: list[list[Cell]] = [
        [
            row.month,
            row.currency,
            *(row.recognised.get(a) for a in accounts),
            row.total,
            row.returns,
            row.net,
            row.deferred,
            row.unbilled,
        ]
        for row in months
    ]
    return Table(headers, table)


def invoices_table(rows: Iterable[InvoiceRow]) -> Table:
    """Invoices (`receivables.invoice_rows`), with what paid, credited and is still open."""
    headers = ["invoice", "customer", "date", "due", "currency", "total", "paid", "wallet"]
    headers += ["credited", "debited", "written off", "open", "status", "days overdue"]
    table: list[list[Cell]] = []
    for r in rows:
        table.append([r.invoice, r.customer, str(r.date), str(r.due_date), r.currency, r.total])
        table[-1] += [r.paid, r.wallet, r.credited, r.debited, r.written_off, r.open]
        table[-1] += [r.status, r.days_overdue]
    return Table(headers, table)


def aging_table(rows: Iterable[InvoiceRow], totals: bool = False) -> Table:
    """The open balances of `rows` per customer and currency, by days past due (with
    `totals`: a total row per currency)."""
    aged = aging(rows)
    if totals:
        aged += aging_totals(aged)
    headers = ["customer", "currency", *BUCKETS, "total"]
    table: list[list[Cell]] = [[a.customer, a.currency, *a.buckets.values(), a.total] for a in aged]
    return Table(headers, table)


def deferred_moves(entries: Iterable[data.Directive]) -> Iterator[DeferredMove]:
    """Every posting to Deferred Revenue, as the move of a contract's liability: billed by an
    invoice, recognised by the recognition plugin, or adjusted (memos, hand-written entries)."""
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        kind = None
        for posting in entry.postings:
            if posting.account != DEFERRED_REVENUE or (number := units(posting)) is None:
                continue
            if kind is None:
                if entry.meta.get("filename") == RECOGNITION_FILE:
                    kind = RECOGNISED
                else:
                    kind = BILLED if is_invoice(entry) else ADJUSTED
            meta = posting.meta or {}
            invoice = str(meta.get("invoice-id") or entry.meta.get("invoice-id") or "")
            contract = str(
                meta.get("contract") or entry.meta.get("contract") or invoice or "(no contract)"
            )
            yield DeferredMove(entry.date, contract, invoice, kind, -number[0], number[1])


def rollforward_table(
    entries: Iterable[data.Directive],
    since: datetime.date,
    until: datetime.date,
    contracts: Collection[str] | None = None,
) -> Table:
    """The deferred revenue roll-forward from `since` to `until`, per contract and currency
    (of `contracts` only, when given)."""
    headers = ["contract", "currency", "opening", "billed", "recognised"]
    headers += ["of which opening", "adjusted", "closing"]
    moves = deferred_moves(entries)
    if contracts is not None:
        moves = (move for move in moves if move.contract in contracts)
    rows: list[list[Cell]] = [list(r) for r in roll_forward(moves, since, until)]
    return Table(headers, rows)
