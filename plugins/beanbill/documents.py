"""Invoices and credit and debit memos as documents, read from the books (what the ledger says
is what the document says: the amounts are the entries' own).

An invoice is a transaction that `books.is_invoice` recognises: its receivable debit is the
total; each other posting with a `product` is a line (charges, discounts, minimum true-ups,
wallet top-ups); postings to `Liabilities:SalesTax…` are its taxes. A memo is a transaction
with `adjustment: credit_memo` or `debit_memo`: its lines are its postings grouped by product
(a memo's share already recognised and the share not yet recognised are one line on paper).

Statements of account are in `statements.py`.

The names the entries do not carry (the customer's address, a product's name, a tax's name)
come from a `Directory`, built from the contracts folder when there is one.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, NamedTuple

from beancount.core import data

from beanbill import model as m
from beanbill.adjustments import WALLET_APPLIED
from beanbill.books import is_invoice, units
from beanbill.money import allocate, round_money
from beanbill.rules import SALES_TAX
from beanbill.settlement import RECEIVABLE_PARENT

INVOICE, CREDIT_MEMO, DEBIT_MEMO, STATEMENT = "invoice", "credit_memo", "debit_memo", "statement"
ZERO = Decimal(0)


class Party(NamedTuple):
    name: str
    email: str | None = None
    address: str | None = None


class SellerDetails(NamedTuple):
    """What a document says of the seller under its name (its address and tax id) and how to
    pay it, from the catalog's `company`; None where the catalog does not say it."""

    address: str | None = None
    tax_id: str | None = None
    payment_instructions: str | None = None


class Directory(NamedTuple):
    """The names a document shows that the entries do not carry."""

    company: str
    customers: dict[str, Party]  # by customer id
    products: dict[str, str]  # product id → name
    taxes: dict[str, str]  # Liabilities:SalesTax… account → the tax's name
    accounts: dict[str, str]  # a customer's account component ("Acme") → its id ("acme")
    rates: dict[str, Decimal]  # Liabilities:SalesTax… account → its rate (0.0725)
    seller_details: SellerDetails = SellerDetails()


class PricingPiece(NamedTuple):
    """A part of how a line was priced: "tier 2 (10000-100000)", 14073 units, 112.58."""

    label: str
    quantity: Decimal | None  # None: a `pricing` text not of beanbill's making, shown as it is
    amount: Decimal | None


class DocumentLine(NamedTuple):
    description: str
    detail: tuple[PricingPiece, ...]  # how the line was priced, where quantity x price is not
    service_start: datetime.date | None
    service_end: datetime.date | None
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal  # net of tax; negative for a discount
    # what of quantity x unit price the line bills, from its `proration` metadata, in words:
    # "prorated: 22 of 31 days", "3 months at the monthly price" (billed for a quarter)
    proration: str = ""
    # a usage line with free units: what was used, and the free units taken off it to give
    # `quantity` (its `usage` and `free-units` metadata)
    usage: Decimal | None = None
    free_units: Decimal | None = None
    # the taxes its unit price includes, by name ("VAT 19%"): its amount is net of them (its
    # `price-includes` metadata)
    price_includes: str = ""
    # a line of a renewal term: how its prices were raised from the signed ones (its `renewal`
    # metadata in words, "renewal term 1: prices x 1.05 (uplift 5% a term)")
    renewal: str = ""
    # a consolidated invoice's (or its memo's) line: the contract it bills, from its
    # `contract` metadata (two contracts may sell the same product on one invoice)
    contract: str = ""


class Document(NamedTuple):
    kind: str  # invoice | credit_memo | debit_memo
    id: str
    date: datetime.date
    due_date: datetime.date | None  # invoices
    invoice_id: str | None  # memos: the invoice they adjust
    reason: str | None  # memos
    currency: str
    seller: str
    customer_id: str
    customer: Party
    receivable: str  # the customer's receivable account (documents are filed under it)
    lines: tuple[DocumentLine, ...]
    taxes: tuple[tuple[str, Decimal], ...]  # (tax name, amount), in posting order
    subtotal: Decimal
    total: Decimal  # subtotal + taxes: what the receivable moves by
    # tax name → its rate (0.0725), for the taxes whose name does not say it ("California
    # sales tax", not "VAT 19% (Germany)"): the templates print it beside the name
    tax_rates: dict[str, Decimal]
    wallet_applied: Decimal = ZERO  # invoices: paid from the customer's credit when issued
    seller_details: SellerDetails = SellerDetails()
    # tax name → the net amount it is on, for the taxes of an invoice some of whose lines it
    # does not tax (its tax posting's `taxable` metadata): printed "on $15,500.00"
    tax_bases: Mapping[str, Decimal] = MappingProxyType({})

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.wallet_applied


def directory_of(contracts: m.ContractSet | None) -> Directory:
    if contracts is None:
        return Directory("", {}, {}, {}, {}, {})
    catalog = contracts.catalog
    company = catalog.company
    return Directory(
        company.name,
        {c.id: Party(c.name, c.email, c.address) for c in contracts.customers},
        {p.id: p.name for p in catalog.products.values()},
        {t.account: t.name for t in catalog.tax_rates.values()},
        {c.account: c.id for c in contracts.customers},
        {t.account: t.rate for t in catalog.tax_rates.values()},
        SellerDetails(company.address, company.tax_id, company.payment_instructions),
    )


def documents(entries: Iterable[data.Directive], directory: Directory) -> list[Document]:
    """Every invoice and memo of the books, by date then id. An invoice shows what the
    customer's wallet (prepaid or promotional credit) paid of it on its date, and asks for the
    rest."""
    found = []
    # (invoice id, date) → what the wallet paid of the invoice that day
    wallet_paid: dict[tuple[str, datetime.date], Decimal] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction) or not receivable(entry):
            continue
        kind = entry.meta.get("adjustment")
        if kind in (CREDIT_MEMO, DEBIT_MEMO):
            found.append(memo_document(entry, str(kind), directory))
        elif kind is None and is_invoice(entry):
            found.append(invoice_document(entry, directory))
        elif kind == WALLET_APPLIED and "invoice-id" in entry.meta:
            key = (str(entry.meta["invoice-id"]), entry.date)
            wallet_paid[key] = wallet_paid.get(key, ZERO) - receivable_total(entry)[0]
    found = [
        doc._replace(wallet_applied=wallet_paid.get((doc.id, doc.date), ZERO))
        if doc.kind == INVOICE
        else doc
        for doc in found
    ]
    return sorted(found, key=lambda d: (d.date, d.id))


def receivable(entry: data.Transaction) -> str:
    """The (first) customer receivable the entry posts to, or ""."""
    for posting in entry.postings:
        if posting.account.startswith(RECEIVABLE_PARENT):
            return str(posting.account)
    return ""


def receivable_total(entry: data.Transaction) -> tuple[Decimal, str]:
    """What the entry moves on its customer receivable, and in what currency."""
    account = receivable(entry)
    total, currency = ZERO, ""
    for posting in entry.postings:
        number = units(posting)
        if number is not None and posting.account == account:
            total += number[0]
            currency = number[1]
    return total, currency


def product_postings(
    entry: data.Transaction,
) -> Iterator[tuple[str, dict[str, Any], Decimal, str]]:
    """(product, posting metadata, amount, currency) of each posting with a `product`: a
    document line."""
    for posting in entry.postings:
        meta = posting.meta or {}
        number = units(posting)
        if "product" in meta and number is not None:
            yield str(meta["product"]), meta, number[0], number[1]


PRICING_PIECE = re.compile(r"(?P<label>.+): (?P<quantity>\S+) = (?P<amount>\S+)")


def pricing_pieces(text: str, amount: Decimal, currency: str) -> tuple[PricingPiece, ...]:
    """An invoice line's `pricing` metadata ("tier 1 (0-10000): 10000 = 100.000; tier 2
    (10000-100000): 14073 = 112.584"), as the customer reads it: each piece's exact amount
    rounded to the minor unit with the remainder carried (`money.allocate`), so the pieces add
    up to the line's amount (100.00 and 112.58 beside 212.58). The pieces of a line prorated
    after pricing do not add up to it, and are rounded each. A text not of beanbill's making is
    shown as it is."""
    if not text:
        return ()
    parsed: list[tuple[str, Decimal, Decimal]] = []
    for part in text.split("; "):
        match = PRICING_PIECE.fullmatch(part)
        if match is None:
            return (PricingPiece(text, None, None),)
        try:
            parsed.append((match["label"], Decimal(match["quantity"]), Decimal(match["amount"])))
        except InvalidOperation:
            return (PricingPiece(text, None, None),)
    exact = [piece[2] for piece in parsed]
    total = sum(exact, ZERO)
    if total and round_money(total, currency) == amount:
        shown = allocate(amount, exact, currency)
    else:
        shown = [round_money(number, currency) for number in exact]
    return tuple(
        PricingPiece(label, quantity, rounded)
        for (label, quantity, _), rounded in zip(parsed, shown, strict=True)
    )


PRORATION_PART = re.compile(r"(?P<days>[0-9]+)/(?P<of>[0-9]+)|(?P<months>[0-9]+)")


def proration_words(text: str) -> str:
    """An invoice line's `proration` metadata ("22/31", "17/31 + 2"), as the customer reads it:
    "prorated: 22 of 31 days", "prorated: 17 of 31 days + 2 months"; a `per: month` price's
    whole months alone, "3 months at the monthly price". A text not of beanbill's making is
    shown as it is."""
    words, fraction = [], False
    for part in text.split(" + "):
        match = PRORATION_PART.fullmatch(part)
        if match is None:
            return text
        if match["months"] is not None:
            months = int(match["months"])
            words.append(f"{months} month{'' if months == 1 else 's'}")
        else:
            fraction = True
            words.append(f"{match['days']} of {match['of']} days")
    return f"prorated: {' + '.join(words)}" if fraction else f"{words[0]} at the monthly price"


def invoice_document(entry: data.Transaction, directory: Directory) -> Document:
    lines = []
    for product, meta, amount, currency in product_postings(entry):
        lines.append(
            DocumentLine(
                str(meta.get("description") or directory.products.get(product, product)),
                pricing_pieces(str(meta.get("pricing", "")), -amount, currency),
                date_or_none(meta.get("service-start")),
                date_or_none(meta.get("service-end")),
                decimal_or_none(meta.get("quantity")),
                decimal_or_none(meta.get("unit-price")),
                -amount,
                proration_words(str(meta["proration"])) if meta.get("proration") else "",
                decimal_or_none(meta.get("usage")),
                decimal_or_none(meta.get("free-units")),
                ", ".join(
                    directory.taxes.get(account, account)
                    for account in str(meta["price-includes"]).split(", ")
                )
                if meta.get("price-includes")
                else "",
                f"renewal {meta['renewal']}" if meta.get("renewal") else "",
                str(meta.get("contract", "")),
            )
        )
    return document(entry, INVOICE, str(entry.meta["invoice-id"]), tuple(lines), directory, 1)


def memo_document(entry: data.Transaction, kind: str, directory: Directory) -> Document:
    # a product's, or a line's of its own (a shortfall); of a consolidated invoice, per contract
    by_label: dict[tuple[str, str], Decimal] = {}
    for product, meta, amount, _ in product_postings(entry):
        label = str(meta.get("description") or directory.products.get(product, product))
        key = (label, str(meta.get("contract", "")))
        by_label[key] = by_label.get(key, ZERO) + amount
    sign = 1 if kind == CREDIT_MEMO else -1  # lines as the amounts credited (or debited)
    lines = tuple(
        DocumentLine(label, (), None, None, None, None, sign * v, contract=contract)
        for (label, contract), v in by_label.items()
    )
    memo_id = str(entry.meta.get("memo-id") or entry.meta.get("invoice-id"))
    return document(entry, kind, memo_id, lines, directory, -sign)


def document(
    entry: data.Transaction,
    kind: str,
    document_id: str,
    lines: tuple[DocumentLine, ...],
    directory: Directory,
    sign: int,
) -> Document:
    """The parts every document shares; `sign` turns the entry's amounts into the document's
    (an invoice's tax is a credit, a credit memo's a debit)."""
    meta = entry.meta
    account = receivable(entry)
    total, currency = receivable_total(entry)
    taxes: list[tuple[str, Decimal]] = []
    rates: dict[str, Decimal] = {}
    bases: dict[str, Decimal] = {}
    for posting in entry.postings:
        number = units(posting)
        if number is not None and posting.account.startswith(SALES_TAX):
            name = directory.taxes.get(posting.account, posting.account.rsplit(":", 1)[-1])
            taxes.append((name, -number[0] * sign))
            base = (posting.meta or {}).get("taxable")
            if isinstance(base, Decimal):
                bases[name] = base
            rate = directory.rates.get(posting.account)
            if rate is not None and f"{(rate * 100).normalize():f}%" not in name:
                rates[name] = rate
    customer_id = str(meta.get("customer") or account.rsplit(":", 1)[-1])
    party = directory.customers.get(customer_id) or Party(entry.payee or customer_id)
    return Document(
        kind=kind,
        id=document_id,
        date=entry.date,
        due_date=date_or_none(meta.get("due-date")) if kind == INVOICE else None,
        invoice_id=str(meta["invoice-id"]) if kind != INVOICE and "invoice-id" in meta else None,
        reason=str(meta["reason"]) if "reason" in meta else None,
        currency=currency,
        seller=directory.company,
        customer_id=customer_id,
        customer=party,
        receivable=account,
        lines=lines,
        taxes=tuple(taxes),
        subtotal=sum((line.amount for line in lines), ZERO),
        total=total * sign,
        tax_rates=rates,
        seller_details=directory.seller_details,
        tax_bases=bases,
    )


def date_or_none(value: object) -> datetime.date | None:
    return value if isinstance(value, datetime.date) else None


def decimal_or_none(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def select(found: Sequence[Document], ids: Sequence[str]) -> tuple[list[Document], list[str]]:
    """The documents named by `ids` (all of them when none is named), and the ids not found."""
    if not ids:
        return list(found), []
    by_id = {d.id: d for d in found}
    return [by_id[i] for i in ids if i in by_id], [i for i in ids if i not in by_id]
