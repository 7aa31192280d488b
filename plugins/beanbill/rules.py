"""Accounting rules: business events → balanced journal entries (see docs/accounting-rules.md).

Invoice: the customer's receivable is debited with the total; each line credits Deferred
Revenue (billed in advance), Unbilled Revenue (billed in arrears, already accrued) or the
customer's wallet (a `credits: true` top-up); tax credits its sales-tax account.

Accrual of an invoice still to come (dated after the billing horizon): Unbilled Revenue is
debited and Income credited for what its arrears lines earned by the horizon.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal

from beanbill.billing import CHARGE, CREDITS, MINIMUM, AccruedLine, Invoice, InvoiceLine
from beanbill.journal import NO_META, Declaration, Entry, Meta, MetaValue, OpenAccount, Posting
from beanbill.model import ADVANCE, Catalog, ContractSet, Source
from beanbill.money import ZERO
from beanbill.recognition import Obligation, earned_when_its_period_ends, schedule

DEFERRED_REVENUE = "Liabilities:DeferredRevenue"
UNBILLED_REVENUE = "Assets:UnbilledRevenue"
# contra-revenue: what credit memos take back of revenue already earned, promotional credits
SALES_RETURNS = "Expenses:SalesReturnsAndAllowances"
TO_BE_INVOICED = "to-be-invoiced"  # on revenue accrued for an invoice after the horizon
SALES_TAX = "Liabilities:SalesTax"  # every tax rate's account is this one or under it


def receivable(account: str) -> str:
    return f"Assets:AccountsReceivable:Customers:{account}"


def wallet(account: str) -> str:
    return f"Liabilities:CustomerWallet:{account}"


def contra_receivable(account: str) -> str:
    return f"Liabilities:ContraAccountsReceivable:Customers:{account}"


def line_account(line: InvoiceLine, customer_account: str) -> str:
    if line.kind is CREDITS:
        return wallet(customer_account)
    return DEFERRED_REVENUE if line.timing is ADVANCE else UNBILLED_REVENUE


def line_meta(line: InvoiceLine) -> Meta:
    meta: dict[str, MetaValue] = {"product": line.product}
    if line.quantity is not None:
        meta["quantity"] = line.quantity
    if line.unit_price is not None:
        meta["unit-price"] = line.unit_price
    meta["service-start"] = line.service_start
    meta["service-end"] = line.service_end
    # These explain the amount to the customer: closes do not digest them.
    if line.prorated:
        meta["proration"] = line.prorated
    if line.usage is not None and line.kind is CHARGE:
        meta["usage"] = line.usage
        meta["free-units"] = line.free_units
    included = [tax.account for tax in line.taxes if tax.inclusive]
    if included:  # its price (or tier prices) include the tax; its amount is net of it
        meta["price-includes"] = ", ".join(included)
    if line.renewal:  # its prices are the signed ones raised by the renewal's uplift
        meta["renewal"] = line.renewal
    if line.revenue_rule is not None:
        meta["revenue-rule"] = line.revenue_rule
    if line.kind is not CHARGE:
        meta["line-kind"] = line.kind.value
        meta["description"] = line.label  # "Launch discount (10%): Platform": for documents
    if line.ssp is not None and line.kind is CHARGE:
        meta["ssp"] = line.ssp
    if line.consumed:
        meta["consumed"] = " ".join([f"{day}={quantity!s}" for day, quantity in line.consumed])
    if line.milestones:
        meta["milestones"] = " ".join([f"{day}={share!s}" for day, share in line.milestones])
    if line.allocated is not None:
        meta["allocated-amount"] = line.allocated
    if line.charges and line.unit_price is None:  # quantity x unit-price does not say it all
        # (`!s`: a Decimal formats as its str() at a third of format()'s cost)
        meta["pricing"] = "; ".join(
            [f"{c.label}: {c.quantity!s} = {c.amount!s}" for c in line.charges]
        )
    return meta


def invoice_entry(invoice: Invoice) -> Entry:
    customer = invoice.customer
    currency = invoice.currency
    postings = [Posting(receivable(customer.account), invoice.total, currency)]
    tax_by_account: dict[str, Decimal] = {}
    taxable: dict[str, Decimal] = {}  # per tax account, the net amount of the lines it taxes
    for line in invoice.lines:
        line_info = line_meta(line)
        if (
            invoice.consolidated
        ):  # its lines name their contract: revenue and roll-forward per contract
            line_info = {**line_info, "contract": line.contract}
        account = line_account(line, customer.account)
        postings.append(Posting(account, -line.amount, currency, line_info, line.source))
        for tax in line.taxes:
            tax_by_account[tax.account] = tax_by_account.get(tax.account, ZERO) + tax.amount
            taxable[tax.account] = taxable.get(tax.account, ZERO) + line.amount
    for account, amount in sorted(tax_by_account.items()):
        if amount:
            # Where some lines are not taxed, the invoice says what this tax is on.
            base = taxable[account]
            on: Meta = {"taxable": base} if base != invoice.subtotal else NO_META
            postings.append(Posting(account, -amount, currency, on))
    meta: Meta = {
        "invoice-id": invoice.id,
        "customer": customer.id,
        "contract": ", ".join(invoice.contracts),
        "due-date": invoice.due_date,
    }
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


def accrual_entries(accrued: Iterable[AccruedLine], catalog: Catalog) -> list[Entry]:
    """Revenue earned by lines billed in arrears whose invoice comes after the billing horizon:
    accrued by each line's rule and schedule, as the recognition plugin will accrue it once the
    invoice is issued (Unbilled Revenue debited, Income credited); a line whose service runs
    past the horizon only up to it. One entry per future invoice and accrual date. The entries
    carry no `revenue-rule`, so nothing recognises them twice, and no `invoice-id`: there is no
    invoice yet."""
    # (date, future invoice id) → (line, its rule's Income account, amount accrued)
    pieces: dict[tuple[datetime.date, str], list[tuple[AccruedLine, str, Decimal]]] = {}
    for item in accrued:
        line = item.line
        assert line.revenue_rule is not None
        rule = catalog.revenue_rules[line.revenue_rule]
        obligation = Obligation(
            line.amount if line.allocated is None else line.allocated,
            item.currency,
            rule.method,
            line.service_start,
            line.service_end,
            item.invoice_date,
            line.consumed,
            line.milestones,
        )
        if line.kind is MINIMUM:
            obligation = earned_when_its_period_ends(obligation)
        for date, value in schedule(obligation):
            if item.through is not None and date > item.through:
                break  # after the horizon: not earned yet
            pieces.setdefault((date, item.invoice_id), []).append((item, rule.account, value))
    entries = []
    for (date, invoice_id), lines in sorted(pieces.items()):
        first = lines[0][0]
        postings = []
        income: dict[str, Decimal] = {}
        for item, account, value in lines:
            line = item.line
            meta: Meta = {
                "product": line.product,
                "service-start": line.service_start,
                "service-end": line.service_end,
            }
            postings.append(Posting(UNBILLED_REVENUE, value, item.currency, meta))
            income[account] = income.get(account, ZERO) - value
        postings += [Posting(a, v, first.currency) for a, v in sorted(income.items()) if v]
        customer = first.customer
        narration = (
            f"Revenue accrued {date.isoformat()[:7]}, to be invoiced on {first.invoice_date} "
            f"({invoice_id}) — {customer.name}"
        )
        meta = {
            "customer": customer.id,
            "contract": ", ".join(dict.fromkeys(item.line.contract for item, _, _ in lines)),
            TO_BE_INVOICED: invoice_id,
        }
        entries.append(
            Entry(date, customer.name, narration, (), meta, tuple(postings), first.line.source)
        )
    return entries


class AccountsToOpen:
    """Each account the entries post to, opened when the books start (the earliest contract
    start, so that revenue accrued before a first invoice finds its account open) or on its
    first posting if that is earlier; its source is that of the first posting's entry (the
    least source among entries of the same date, so the order entries come in does not
    matter). Entries are noted one by one as they stream past, so that each can be converted,
    and dropped, as soon as it is made; what one customer's entries noted can be merged into
    the whole compile's."""

    def __init__(self) -> None:
        self._first: dict[str, tuple[datetime.date, Source]] = {}  # by first posting

    def note(self, entry: Entry) -> Entry:
        first = (entry.date, entry.source)
        for posting in entry.postings:
            known = self._first.get(posting.account)
            if known is None or first < known:
                self._first[posting.account] = first
        return entry

    def merge(self, other: AccountsToOpen) -> None:
        for account, first in other._first.items():
            known = self._first.get(account)
            if known is None or first < known:
                self._first[account] = first

    def opens(self, books_start: datetime.date | None) -> list[OpenAccount]:
        return sorted(
            (
                OpenAccount(min(date, books_start) if books_start else date, account, source)
                for account, (date, source) in self._first.items()
            ),
            key=lambda o: (o.date, o.account),
        )


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
