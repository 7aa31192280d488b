"""Statements of account, read from the books: per customer and currency on a date,

- the invoices it owes, with their aging (beanbill.receivables, over the settlement);
- the credit it holds: its wallet (prepaid and promotional credit, applied to its next
  invoices) and its unapplied cash (payments beyond what it owed);
- with a period, the activity of its receivable account in it: the opening balance, each
  transaction (invoices, payments, memos, wallet applied, write-offs) with the running
  balance, and the closing balance.

A customer gets a statement when it owes anything, holds credit, or (with a period) its
account moved in the period or opened it with a balance.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data

from beanbill.books import described, units
from beanbill.documents import STATEMENT, Directory, Party, SellerDetails
from beanbill.money import ZERO
from beanbill.receivables import InvoiceRow, aging, invoice_rows
from beanbill.settlement import (
    CONTRA_PARENT,
    RECEIVABLE_PARENT,
    WALLET_PARENT,
    Settlement,
    component,
)


class Owed(NamedTuple):
    """The invoices a customer owes in one currency on a statement's date."""

    invoices: tuple[InvoiceRow, ...]  # the invoices with an open balance, by date
    buckets: dict[str, Decimal]  # the open balance by days past due (receivables.BUCKETS)
    total: Decimal


class ActivityRow(NamedTuple):
    date: datetime.date
    description: str  # the transaction's narration, with the ids it does not name
    charge: Decimal | None  # the receivable debited: an invoice, a debit memo
    credit: Decimal | None  # the receivable credited: a payment, a credit memo, ...
    balance: Decimal  # the receivable's balance after this row


class Activity(NamedTuple):
    """The moves of a customer's receivable in one currency over a statement's period."""

    opening: Decimal  # the balance at the end of the day before the period
    rows: tuple[ActivityRow, ...]
    closing: Decimal


class CreditHeld(NamedTuple):
    wallet: Decimal  # prepaid and promotional credit, applied to the next invoices
    unapplied: Decimal  # payments beyond what was owed


class Section(NamedTuple):
    """A statement's part in one currency."""

    currency: str
    activity: Activity | None  # with a period
    owed: Owed | None  # None: no invoice open
    credit: CreditHeld | None  # None: no credit held


class Statement(NamedTuple):
    """A statement of account of one customer on a date."""

    kind: str  # "statement"
    id: str  # "statement": the file is <date>.statement.pdf
    date: datetime.date
    seller: str
    customer_id: str
    customer: Party
    receivable: str
    since: datetime.date | None  # the first day of the period whose activity is shown
    sections: tuple[Section, ...]  # by currency
    seller_details: SellerDetails = SellerDetails()


class Moves(NamedTuple):
    """One customer's accounts through a date: its receivable's transactions and the balances
    of its wallet and unapplied cash, per currency."""

    receivable: dict[str, list[tuple[data.Transaction, Decimal]]]
    wallet: dict[str, Decimal]
    unapplied: dict[str, Decimal]


def customer_moves(entries: Iterable[data.Directive], as_of: datetime.date) -> dict[str, Moves]:
    """Each customer's moves through `as_of`, by the account component of its accounts."""
    found: dict[str, Moves] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date > as_of:
            continue
        in_entry: dict[tuple[str, str], Decimal] = {}
        for posting in entry.postings:
            account = posting.account
            number = units(posting)
            if number is None:
                continue
            amount, currency = number
            if account.startswith(RECEIVABLE_PARENT):
                key = (component(account), currency)
                in_entry[key] = in_entry.get(key, ZERO) + amount
            elif account.startswith(WALLET_PARENT) or account.startswith(CONTRA_PARENT):
                moves = found.setdefault(component(account), Moves({}, {}, {}))
                held = moves.wallet if account.startswith(WALLET_PARENT) else moves.unapplied
                held[currency] = held.get(currency, ZERO) - amount
        for (customer, currency), amount in in_entry.items():
            moves = found.setdefault(customer, Moves({}, {}, {}))
            moves.receivable.setdefault(currency, []).append((entry, amount))
    return found


def activity(
    transactions: list[tuple[data.Transaction, Decimal]], since: datetime.date
) -> Activity:
    opening = sum([amount for entry, amount in transactions if entry.date < since], ZERO)
    balance = opening
    rows = []
    for entry, amount in transactions:
        if entry.date < since or amount == ZERO:
            continue
        balance += amount
        description = described(entry.narration or entry.payee or "", sorted(entry.links or ()))
        rows.append(
            ActivityRow(
                entry.date,
                description,
                amount if amount > ZERO else None,
                -amount if amount < ZERO else None,
                balance,
            )
        )
    return Activity(opening, tuple(rows), balance)


def statements(
    entries: Iterable[data.Directive],
    settlement: Settlement,
    as_of: datetime.date,
    directory: Directory,
    customer: str | None = None,
    since: datetime.date | None = None,
) -> list[Statement]:
    """A statement for each customer (or the one named, by id or account component) with
    something to state on `as_of`; with `since`, the activity from `since` to `as_of`."""
    rows = [row for row in invoice_rows(settlement, as_of) if row.open > ZERO]
    aged = {(a.customer, a.currency): a for a in aging(rows)}
    owed_rows: dict[str, list[InvoiceRow]] = {}
    for row in rows:
        owed_rows.setdefault(component(row.receivable), []).append(row)
    moves = customer_moves(entries, as_of)
    found = []
    for key in sorted(set(owed_rows) | set(moves)):
        customer_rows = owed_rows.get(key, [])
        customer_id = (
            customer_rows[0].customer if customer_rows else directory.accounts.get(key, key)
        )
        if customer is not None and customer not in (customer_id, key):
            continue
        accounts = moves.get(key, Moves({}, {}, {}))
        sections = []
        currencies = {r.currency for r in customer_rows} | set(accounts.receivable)
        currencies |= set(accounts.wallet) | set(accounts.unapplied)
        for currency in sorted(currencies):
            open_rows = tuple(r for r in customer_rows if r.currency == currency)
            ageing = aged.get((customer_id, currency))
            owed = Owed(open_rows, ageing.buckets, ageing.total) if open_rows and ageing else None
            wallet = accounts.wallet.get(currency, ZERO)
            unapplied = accounts.unapplied.get(currency, ZERO)
            credit = CreditHeld(wallet, unapplied) if wallet or unapplied else None
            moved = None
            if since is not None:
                moved = activity(accounts.receivable.get(currency, []), since)
                if not moved.rows and not moved.opening:
                    moved = None
            if owed or credit or moved:
                sections.append(Section(currency, moved, owed, credit))
        if sections:
            found.append(
                Statement(
                    kind=STATEMENT,
                    id=STATEMENT,
                    date=as_of,
                    seller=directory.company,
                    customer_id=customer_id,
                    customer=directory.customers.get(customer_id) or Party(customer_id),
                    receivable=RECEIVABLE_PARENT + key,
                    since=since,
                    sections=tuple(sections),
                    seller_details=directory.seller_details,
                )
            )
    return found
