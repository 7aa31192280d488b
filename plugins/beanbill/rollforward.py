"""The contract liabilities roll-forward (the deferred revenue schedule auditors tie out, and
the disclosure of ASC 606-10-50-8 / IFRS 15.116): per contract and currency over a period,
the Deferred Revenue owed at its start, what invoices billed into it, the revenue recognised
out of it (and how much of that the opening balance held), what memos and other entries
adjusted, and what is owed at its end.

A pure function over plain moves, shared by `beanbill rollforward` and the Fava page. Amounts
are the liability's: positive is owed to the customer (Beancount's credit balance, negated).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from beanbill.money import ZERO, minor_unit

BILLED, RECOGNISED, ADJUSTED = "billed", "recognised", "adjusted"


class DeferredMove(NamedTuple):
    date: datetime.date
    contract: str  # the contract the move belongs to (else its invoice id)
    invoice: str  # the invoice whose line it moves ("" when it names none)
    kind: str  # BILLED, RECOGNISED or ADJUSTED
    amount: Decimal  # the change of what is owed: billing adds, recognition takes
    currency: str


class RollForwardRow(NamedTuple):
    contract: str  # "total" on a currency's total row
    currency: str
    opening: Decimal
    billed: Decimal
    recognised: Decimal
    from_opening: Decimal  # of `recognised`, what the opening balance held
    adjusted: Decimal
    closing: Decimal


def roll_forward(
    moves: Iterable[DeferredMove], since: datetime.date, until: datetime.date
) -> list[RollForwardRow]:
    """Per contract and currency, from `since` to `until` (both included), with a total row
    per currency; contracts with nothing owed and nothing moved are left out."""
    # (contract, currency) → opening, billed, recognised, adjusted
    sums: dict[tuple[str, str], list[Decimal]] = {}
    # (contract, currency, invoice) → opening, recognised: recognition takes an invoice's
    # opening balance first, as nothing is billed into an invoice after its date
    by_invoice: dict[tuple[str, str, str], list[Decimal]] = {}
    for move in moves:
        if move.date > until:
            continue
        key = (move.contract, move.currency)
        row = sums.setdefault(key, [ZERO, ZERO, ZERO, ZERO])
        invoice = by_invoice.setdefault((*key, move.invoice), [ZERO, ZERO])
        if move.date < since:
            row[0] += move.amount
            invoice[0] += move.amount
        elif move.kind == BILLED:
            row[1] += move.amount
        elif move.kind == RECOGNISED:
            row[2] -= move.amount
            invoice[1] -= move.amount
        else:
            row[3] += move.amount
    from_opening: dict[tuple[str, str], Decimal] = {}
    for (contract, currency, invoice_id), (opening, recognised) in by_invoice.items():
        if invoice_id and opening > ZERO and recognised > ZERO:
            key = (contract, currency)
            from_opening[key] = from_opening.get(key, ZERO) + min(opening, recognised)
    rows = []
    totals: dict[str, list[Decimal]] = {}
    for (contract, currency), (opening, billed, recognised, adjusted) in sorted(sums.items()):
        closing = opening + billed - recognised + adjusted
        if not (opening or billed or recognised or adjusted):
            continue
        values = [opening, billed, recognised, from_opening.get((contract, currency), ZERO)]
        zero = minor_unit(currency) * 0  # written to the currency's minor unit: 0.00, not 0
        values = [value + zero for value in [*values, adjusted, closing]]
        rows.append(RollForwardRow(contract, currency, *values))
        total = totals.setdefault(currency, [ZERO] * 6)
        for index, value in enumerate(values):
            total[index] += value
    rows += [
        RollForwardRow("total", currency, *total) for currency, total in sorted(totals.items())
    ]
    return rows
