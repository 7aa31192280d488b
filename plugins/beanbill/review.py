"""What a change does to the books, for its review: the invoices and memos of two versions of
the same books compared (added, removed, changed, or only their settlement status moved), and
the revenue recognised per month that moved.

An invoice or memo is "changed" when what it bills changes: its date, amounts, lines and
their metadata. Where its clause sits in the YAML (`beanbill-source`, which moves when lines
are added above it) and its settlement status (`status`, `open-balance`, `status-date`) are
left out of that comparison; a status that moved is listed on its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data
from beancount.parser import printer

from beanbill.books import is_invoice, units
from beanbill.money import ZERO
from beanbill.reports import revenue_rows
from beanbill.revenue_report import waterfall
from beanbill.settlement import RECEIVABLE_PARENT

CHANGES = ("added", "removed", "changed", "status")
LOCATION = frozenset({"filename", "lineno", "beanbill-source"})
STATUS = ("status", "open-balance", "status-date")


class DocumentChange(NamedTuple):
    change: str  # one of CHANGES
    id: str
    date: datetime.date
    customer: str
    before: str  # its total (a status change: its status), or "" when added
    after: str  # likewise, or "" when removed


class RevenueChange(NamedTuple):
    month: str  # YYYY-MM
    currency: str
    before: Decimal
    after: Decimal


def revenue_changes(
    before: Iterable[data.Directive], after: Iterable[data.Directive]
) -> list[RevenueChange]:
    """The months whose recognised revenue (all Income accounts) differs, per currency."""
    old = {(m.month, m.currency): m.total for m in waterfall(revenue_rows(before))}
    new = {(m.month, m.currency): m.total for m in waterfall(revenue_rows(after))}
    return [
        RevenueChange(month, currency, old.get(key, ZERO), new.get(key, ZERO))
        for key in sorted(set(old) | set(new))
        for month, currency in [key]
        if old.get(key, ZERO) != new.get(key, ZERO)
    ]


def billed_documents(entries: Iterable[data.Directive]) -> dict[str, data.Transaction]:
    """The invoices and credit and debit memos of the books, by id."""
    found = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        if entry.meta.get("adjustment") in ("credit_memo", "debit_memo"):
            found[str(entry.meta["memo-id"])] = entry
        elif is_invoice(entry):
            found[str(entry.meta["invoice-id"])] = entry
    return found


def billed(entry: data.Transaction) -> str:
    """What the entry bills, written out without where its clause sits or its status."""
    meta = {k: v for k, v in entry.meta.items() if k not in LOCATION and k not in STATUS}
    postings = [
        p._replace(meta={k: v for k, v in (p.meta or {}).items() if k not in LOCATION})
        for p in entry.postings
    ]
    return str(printer.format_entry(entry._replace(meta=meta, postings=postings)))


def total(entry: data.Transaction) -> str:
    """What the entry moves on the customer's receivable: "1193.24 USD"."""
    sums: dict[str, Decimal] = {}
    for posting in entry.postings:
        number = units(posting)
        if number is not None and posting.account.startswith(RECEIVABLE_PARENT):
            sums[number[1]] = sums.get(number[1], Decimal(0)) + number[0]
    return ", ".join(f"{amount} {currency}" for currency, amount in sorted(sums.items()))


def status(entry: data.Transaction) -> str:
    return str(entry.meta.get("status", ""))


def compare(
    before: Iterable[data.Directive], after: Iterable[data.Directive]
) -> list[DocumentChange]:
    """The invoices and memos added, removed, changed or whose status moved, by date and id."""
    old, new = billed_documents(before), billed_documents(after)
    changes = []
    for document_id in sorted(set(old) | set(new)):
        was, now = old.get(document_id), new.get(document_id)
        entry = now or was
        assert entry is not None
        customer = str(entry.meta.get("customer", entry.payee or ""))
        if was is None:
            change, before_text, after_text = "added", "", total(entry)
        elif now is None:
            change, before_text, after_text = "removed", total(entry), ""
        elif billed(was) != billed(now):
            change, before_text, after_text = "changed", total(was), total(now)
        elif status(was) != status(now):
            change, before_text, after_text = "status", status(was), status(now)
        else:
            continue
        changes.append(
            DocumentChange(change, document_id, entry.date, customer, before_text, after_text)
        )
    return sorted(changes, key=lambda c: (c.date, c.id))
