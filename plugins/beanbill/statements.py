"""Statements of account, read from the books: per customer and currency on a date,

- the invoices it owes, with their aging (beanbill.receivables, over the settlement);
- the credit it holds: its wallet (prepaid and promotional credit, applied to its next
  invoices) and its unapplied cash (payments beyond what it owed);
- with a period, the activity of its account in it: the opening balance, each transaction
  that changed what it owes or is owed (invoices, payments, memos, credit added to its wallet,
  refunds, write-offs and their reversal by a payment) with the running balance, and the
  closing balance.

The balance is what the customer owes net of the credit it holds: its receivable, plus its
unapplied cash and its wallet (both credits, negative), so the closing balance is the open
invoices less the credit on account. A move between them changes nothing the customer owes
or is owed, and is not a row: an overpayment set aside as unapplied cash, the wallet or
unapplied cash applied to an invoice (the open invoices show what paid them).

A customer gets a statement when it owes anything, holds credit, or (with a period) its
account moved in the period or opened it with a balance.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data

from beanbill.adjustments import RECOVERED, WRITTEN_OFF
from beanbill.books import CREDIT_HELD, described, is_invoice, units
from beanbill.documents import STATEMENT, Directory, Party, SellerDetails
from beanbill.money import ZERO
from beanbill.receivables import InvoiceRow, aging, invoice_rows
from beanbill.settlement import (
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
    charge: Decimal | None  # owed more: an invoice, a debit memo, a refund paid out, ...
    credit: Decimal | None  # owed less: a payment, a credit memo, credit added, ...
    balance: Decimal  # what the customer owes (negative: is owed) after this row


class Activity(NamedTuple):
    """The moves of a customer's account in one currency over a statement's period."""

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


class Move(NamedTuple):
    """A transaction's postings on one customer's accounts in one currency."""

    entry: data.Transaction
    receivable: Decimal  # on its receivable (a debit, positive: owed more)
    held: Decimal  # on its wallet and unapplied cash (a credit, negative: credit added)


class Moves(NamedTuple):
    """One customer's accounts through a date: the transactions that moved its receivable,
    wallet or unapplied cash, and the balances of its wallet and unapplied cash, per currency."""

    moved: dict[str, list[Move]]
    wallet: dict[str, Decimal]
    unapplied: dict[str, Decimal]


def customer_moves(entries: Iterable[data.Directive], as_of: datetime.date) -> dict[str, Moves]:
    """Each customer's moves through `as_of`, by the account component of its accounts."""
    found: dict[str, Moves] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction) or entry.date > as_of:
            continue
        in_entry: dict[tuple[str, str], Move] = {}
        for posting in entry.postings:
            account = posting.account
            number = units(posting)
            on_receivable = account.startswith(RECEIVABLE_PARENT)
            if number is None or not (on_receivable or account.startswith(CREDIT_HELD)):
                continue
            amount, currency = number
            key = (component(account), currency)
            move = in_entry.get(key, Move(entry, ZERO, ZERO))
            if on_receivable:
                in_entry[key] = move._replace(receivable=move.receivable + amount)
                continue
            in_entry[key] = move._replace(held=move.held + amount)
            moves = found.setdefault(key[0], Moves({}, {}, {}))
            held = moves.wallet if account.startswith(WALLET_PARENT) else moves.unapplied
            held[currency] = held.get(currency, ZERO) - amount
        for (customer, currency), move in in_entry.items():
            moves = found.setdefault(customer, Moves({}, {}, {}))
            moves.moved.setdefault(currency, []).append(move)
    return found


def stated(move: Move) -> list[tuple[str, Decimal]]:
    """The rows a transaction shows the customer: a description and what it changes of what
    the customer owes (negative: owes less), zero for a move between its accounts."""
    entry = move.entry
    kind = entry.meta.get("adjustment")
    invoice = str(entry.meta.get("invoice-id", ""))
    net = move.receivable + move.held
    if kind == WRITTEN_OFF:  # the write-off's id and reason are the seller's own
        return [(f"Balance of {invoice} written off", net)]
    if kind == RECOVERED:  # the payment that follows pays it
        return [(f"Write-off of {invoice} reversed by your payment", net)]
    description = described(entry.narration or entry.payee or "", sorted(entry.links or ()))
    if move.held and is_invoice(entry):
        # An invoice that adds prepaid credit to the wallet: it bills the whole, and the
        # credit is held from its date (it pays the next invoices).
        return [
            (description, move.receivable),
            (f"Prepaid credit of {invoice}, added to your credit balance", move.held),
        ]
    return [(description, net)]


def activity(moves: list[Move], since: datetime.date) -> Activity:
    opening = sum([m.receivable + m.held for m in moves if m.entry.date < since], ZERO)
    balance = opening
    rows = []
    for move in moves:
        if move.entry.date < since:
            continue
        for description, amount in stated(move):
            if amount == ZERO:
                continue
            balance += amount
            rows.append(
                ActivityRow(
                    move.entry.date,
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
        currencies = {r.currency for r in customer_rows} | set(accounts.moved)
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
                moved = activity(accounts.moved.get(currency, []), since)
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
