"""Receivables reports: the invoice list and AR aging, as of any date (pure; over a
`beanbill.settlement.Settlement`). Shared by `beanbill invoices`, `beanbill aging`, the Fava
extension (through beanbill.reports) and the statements of account (beanbill.documents).

Aging buckets are by days past the due date on the as-of date: `current` (not yet due),
`1-30`, `31-60`, `61-90`, `90+`. Only invoices issued by that date with an open balance count;
a written-off invoice has none.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beanbill.money import ZERO, round_money
from beanbill.settlement import Settlement, component

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def default_as_of(last_event: datetime.date | None, today: datetime.date) -> datetime.date:
    """The date a receivables report is as of when none is asked: today, or the books' last
    settlement event when that is earlier (books of a past year report as of their end).
    Invoices the books already hold for later dates (billed in advance up to the horizon)
    are not issued yet today, and nothing is overdue by a date still to come."""
    return today if last_event is None else min(last_event, today)


@dataclass(frozen=True)
class InvoiceRow:
    invoice: str
    customer: str
    receivable: str
    date: datetime.date
    due_date: datetime.date
    currency: str
    total: Decimal
    paid: Decimal  # payments
    wallet: Decimal  # wallet applied
    credited: Decimal  # credit memos
    debited: Decimal  # debit memos
    written_off: Decimal
    open: Decimal
    status: str
    days_overdue: int


def invoice_rows(
    settlement: Settlement,
    as_of: datetime.date,
    customer: str | None = None,
    status: str | None = None,
) -> list[InvoiceRow]:
    """Every invoice issued by `as_of`, its amounts and status on that date, by date and id.
    `customer` matches the customer id or its account component."""
    rows = []
    for invoice in settlement.invoices.values():
        issued = invoice.issued
        if issued.date > as_of:
            continue
        if customer is not None and customer not in (
            issued.customer,
            component(issued.receivable),
        ):
            continue
        balances = invoice.balances(as_of)
        state = invoice.status(as_of, balances)
        if status is not None and state != status:
            continue
        currency = issued.currency
        rows.append(
            InvoiceRow(
                invoice=invoice.id,
                customer=issued.customer,
                receivable=issued.receivable,
                date=issued.date,
                due_date=issued.due_date,
                currency=currency,
                total=round_money(balances.total, currency),
                paid=round_money(balances.paid, currency),
                wallet=round_money(balances.wallet, currency),
                credited=round_money(balances.credited, currency),
                debited=round_money(balances.debited, currency),
                written_off=round_money(balances.written_off, currency),
                open=round_money(balances.open, currency),
                status=state,
                days_overdue=invoice.days_overdue(as_of, balances),
            )
        )
    rows.sort(key=lambda row: (row.date, row.invoice))
    return rows


def bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


@dataclass
class AgingRow:
    customer: str
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        zero = round_money(ZERO, self.currency)
        self.buckets = {name: self.buckets.get(name, zero) for name in BUCKETS}

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), round_money(ZERO, self.currency))


def aging(rows: Iterable[InvoiceRow]) -> list[AgingRow]:
    """Open balances per customer and currency, by bucket; customers owing nothing are left
    out."""
    by_key: dict[tuple[str, str], AgingRow] = {}
    for row in rows:
        if row.open <= ZERO:
            continue
        key = (row.customer, row.currency)
        aged = by_key.setdefault(key, AgingRow(row.customer, row.currency))
        aged.buckets[bucket(row.days_overdue)] += row.open
    return [by_key[key] for key in sorted(by_key)]


def aging_totals(rows: Sequence[AgingRow]) -> list[AgingRow]:
    """One row per currency summing the customers' rows (customer "total")."""
    totals: dict[str, AgingRow] = {}
    for row in rows:
        total = totals.setdefault(row.currency, AgingRow("total", row.currency))
        for name, amount in row.buckets.items():
            total.buckets[name] += amount
    return [totals[currency] for currency in sorted(totals)]
