"""Settle the receivables: payments and wallets applied to invoices, overpayments, write-offs,
and each invoice's status.

Usage, in the top-level ledger file, after the contracts and recognition plugins:

    plugin "beanbill.plugins.settlement"
    plugin "beanbill.plugins.settlement" "2026-12-31"

Config: optionally the date the invoices' status is computed as of; by default the date of
the last invoice, memo, payment, write-off or wallet movement in the ledger (never the wall
clock, so the same books always load the same way).

The plugin reads every transaction touching a customer's receivable, wallet or
contra-receivable (see beanbill.books for how invoices, memos and payments are told apart)
and, in date order (see beanbill.settlement):

  - applies each customer's wallet to each new invoice on its date, oldest credit first,
    never a credit the invoice funded itself: a transaction debiting
    Liabilities:CustomerWallet:<C> and crediting the receivable, `adjustment: wallet_applied`;
  - applies each payment to the invoices it names (link or `invoice-id`), or else to the
    customer's oldest open invoices (FIFO); a payment that is split or applied FIFO gets one
    receivable posting per invoice (posting metadata `invoice-id`), the links of the invoices
    it paid and the metadata `applied-to` (and `beanbill-fifo: TRUE`);
  - reclassifies what a payment pays beyond the open balance to the customer's
    Liabilities:ContraAccountsReceivable:Customers:<C> (`adjustment: overpayment`);
  - turns each `custom "beanbill-write-off"` into a transaction writing the invoice's open
    balance off to Expenses:BadDebt (`adjustment: write_off`);
  - when a payment names a written-off invoice, undoes the write-off by what it pays of it (a
    bad debt recovered: the receivable debited, Expenses:BadDebt credited, `adjustment:
    bad_debt_recovered`), so the payment settles the invoice instead of becoming unapplied
    cash;
  - adds to each invoice the metadata `status` (open, partially_paid, overdue, paid,
    credited, written_off), `open-balance` and `status-date`.

Errors, at the offending entry (or the YAML line it was compiled from): a credit memo above
the invoice's open balance at its date, a write-off of a settled invoice, a payment naming an
unknown invoice (or another customer's), a wallet or contra-receivable going negative (a
refund above what is refundable), a customer account the ledger never opens (a misspelt
account in a bank import: the plugin would otherwise open it for what it generates).
"""

from __future__ import annotations

import datetime
import os
from typing import Any, NamedTuple

from beancount.core import data

from beanbill.active import SourceFinder
from beanbill.books import read_settlement, write_back
from beanbill.ledger import BeanbillError, internal_error, paused_garbage_collector

__plugins__ = ("settle_receivables",)


class SettlementError(NamedTuple):
    source: dict[str, Any]
    message: str
    entry: data.Directive | None


def parse_as_of(config: str | None) -> datetime.date | None:
    if config is None or not config.strip():
        return None
    try:
        return datetime.date.fromisoformat(config.strip())
    except ValueError as error:
        raise ValueError(
            f'beanbill.plugins.settlement: config must be a date YYYY-MM-DD, not "{config}"'
        ) from error


def settle_receivables(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[SettlementError | BeanbillError]]:
    """The plugin: apply, reclassify, write off, and record each invoice's status."""
    try:
        as_of = parse_as_of(config)
    except ValueError as error:
        source = data.new_metadata(options_map.get("filename") or "<string>", 0)
        return entries, [SettlementError(source, str(error), None)]
    try:
        with paused_garbage_collector():
            return settle(entries, options_map, as_of)
    except Exception as error:  # a bug: report it, keep the ledger loadable
        return entries, [internal_error("beanbill.plugins.settlement", error)]


def settle(
    entries: list[data.Directive], options_map: dict[str, Any], as_of: datetime.date | None
) -> tuple[list[data.Directive], list[SettlementError | BeanbillError]]:
    errors: list[SettlementError | BeanbillError] = []
    settlement = read_settlement(entries)
    finder = SourceFinder(options_map)
    for problem in settlement.problems:
        entry = entries[problem.ref]
        errors.append(SettlementError(finder.meta(entry.meta), problem.message, entry))
    if as_of is None:
        as_of = settlement.last_date
    if as_of is None:
        return entries, errors
    root = os.path.dirname(os.path.abspath(options_map.get("filename") or "."))
    return write_back(entries, settlement, as_of, root), errors
