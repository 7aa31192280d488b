"""Accounting rules: business events → balanced journal entries (see docs/accounting-rules.md).

Invoice: the customer's receivable is debited with the total; each line credits Deferred
Revenue (billed in advance), Unbilled Revenue (billed in arrears, already accrued) or the
customer's wallet (a `credits: true` top-up); tax credits its sales-tax account.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal

from beanbill.billing import Invoice, InvoiceLine, LineKind
from beanbill.journal import Declaration, Entry, Meta, MetaValue, OpenAccount, Posting
from beanbill.model import ContractSet, Timing
from beanbill.money import ZERO

DEFERRED_REVENUE = "Liabilities:DeferredRevenue"
UNBILLED_REVENUE = "Assets:UnbilledRevenue"


def receivable(account: str) -> str:
    return f"Assets:AccountsReceivable:Customers:{account}"


def wallet(account: str) -> str:
    return f"Liabilities:CustomerWallet:{account}"


def contra_receivable(account: str) -> str:
    return f"Liabilities:ContraAccountsReceivable:Customers:{account}"


def line_account(line: InvoiceLine, customer_account: str) -> str:
    if line.kind is LineKind.CREDITS:
        return wallet(customer_account)
    return DEFERRED_REVENUE if line.timing is Timing.ADVANCE else UNBILLED_REVENUE


def line_meta(line: InvoiceLine) -> Meta:
    meta: list[tuple[str, MetaValue]] = [("product", line.product)]
    if line.quantity is not None:
        meta.append(("quantity", line.quantity))
    if line.unit_price is not None:
        meta.append(("unit-price", line.unit_price))
    meta += [("service-start", line.service_start), ("service-end", line.service_end)]
    if line.revenue_rule is not None:
        meta.append(("revenue-rule", line.revenue_rule))
    if line.kind is not LineKind.CHARGE:
        meta.append(("line-kind", line.kind.value))
    if line.ssp is not None and line.kind is LineKind.CHARGE:
        meta.append(("ssp", line.ssp))
    if line.consumed:
        meta.append(("consumed", " ".join(f"{day}={quantity}" for day, quantity in line.consumed)))
    if line.milestones:
        meta.append(("milestones", " ".join(f"{day}={share}" for day, share in line.milestones)))
    if line.allocated is not None:
        meta.append(("allocated-amount", line.allocated))
    if line.charges and line.unit_price is None:  # quantity x unit-price does not say it all
        meta.append(
            ("pricing", "; ".join([f"{c.label}: {c.quantity} = {c.amount}" for c in line.charges]))
        )
    return tuple(meta)


def invoice_entry(invoice: Invoice) -> Entry:
    customer = invoice.customer
    currency = invoice.currency
    postings = [Posting(receivable(customer.account), invoice.total, currency)]
    tax_by_account: dict[str, Decimal] = {}
    for line in invoice.lines:
        postings.append(
            Posting(line_account(line, customer.account), -line.amount, currency, line_meta(line))
        )
        for tax in line.taxes:
            tax_by_account[tax.account] = tax_by_account.get(tax.account, ZERO) + tax.amount
    for account, amount in sorted(tax_by_account.items()):
        if amount:
            postings.append(Posting(account, -amount, currency))
    meta: Meta = (
        ("invoice-id", invoice.id),
        ("customer", customer.id),
        ("contract", ", ".join(invoice.contracts)),
        ("due-date", invoice.due_date),
    )
    narration = f"Invoice {invoice.id} — {customer.name}"
    return Entry(
        invoice.date,
        customer.name,
        narration,
        (invoice.id,),
        meta,
        tuple(postings),
        invoice.source,
    )


def invoice_entries(invoices: Iterable[Invoice]) -> Iterator[Entry]:
    return (invoice_entry(invoice) for invoice in invoices)


class AccountsToOpen:
    """Each account the entries post to, opened when the books start (the earliest contract
    start, so that revenue accrued before a first invoice finds its account open) or on its
    first posting if that is earlier. Entries are noted one by one as they stream past, so
    that each can be converted, and dropped, as soon as it is made."""

    def __init__(self, books_start: datetime.date | None) -> None:
        self.books_start = books_start
        self._first: dict[str, tuple[datetime.date, OpenAccount]] = {}  # by first posting

    def note(self, entry: Entry) -> Entry:
        date = min(entry.date, self.books_start) if self.books_start else entry.date
        for posting in entry.postings:
            known = self._first.get(posting.account)
            if known is None or entry.date < known[0]:
                opening = OpenAccount(date, posting.account, entry.source)
                self._first[posting.account] = (entry.date, opening)
        return entry

    def opens(self) -> list[OpenAccount]:
        return sorted((o for _, o in self._first.values()), key=lambda o: (o.date, o.account))


REVENUE_RULE = "beanbill-revenue-rule"


def books_start(contracts: ContractSet) -> datetime.date | None:
    """The earliest contract start: where generated accounts and declarations are dated."""
    return min((c.start for cu in contracts.customers for c in cu.contracts), default=None)


def revenue_rule_declarations(contracts: ContractSet) -> list[Declaration]:
    """`custom "beanbill-revenue-rule" ID METHOD ACCOUNT`, one per rule of the catalog, so the
    recognition plugin (which also serves hand-written invoices) knows every rule."""
    date = books_start(contracts)
    if date is None:
        return []
    return [
        Declaration(date, REVENUE_RULE, (rule.id, rule.method.value, rule.account), rule.source)
        for rule in sorted(contracts.catalog.revenue_rules.values(), key=lambda r: r.id)
    ]
