"""Adjustments in customer files → journal entries (pure; no I/O, no Beancount).

See docs/accounting-rules.md. A customer file's `adjustments` post:

- credit memo: the receivable is credited; per invoice line, the share of the memo for
  service days before the memo date (already recognised) is debited to Sales Returns and
  Allowances, the rest to Deferred Revenue (Unbilled Revenue for lines billed in arrears) with
  the line's revenue metadata, so that the recognition plugin shrinks the line's remaining
  schedule by exactly that amount; the line's tax share is reversed pro rata. A memo given
  by `amount` or `lines` is net of tax (its tax is added); one given by `total` is tax
  included: the receivable moves by exactly that, and each line's tax is taken out of its
  share.
- debit memo: the mirror image: the receivable is debited, the recognised share credited to
  the rule's Income account, the rest to Deferred Revenue (the remaining schedule grows).
- credit (promotional wallet credit): Sales Returns and Allowances → the customer's wallet.
- refund: the customer's wallet (or contra-receivable, for an overpayment) → its bank account
  (`Assets:Cash` unless the refund names a sub-account).
- write-off: a `custom "beanbill-write-off"` declaration; the settlement plugin turns it into
  the entry, because the amount written off is the invoice's open balance at that date, which
  depends on the payments in the ledger.

Problems that need only the contracts (an unknown invoice, a memo dated before its invoice, a
credit above what is left of a line) are reported here, at the YAML line. Problems that need
the payments (a credit memo above the open balance, a refund above the wallet) are the
settlement plugin's.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beanbill import model as m
from beanbill.billing import Invoice, InvoiceLine, LineKind
from beanbill.journal import Declaration, Entry, Meta, MetaValue, Posting
from beanbill.money import ZERO, allocate, minor_unit, round_money
from beanbill.problems import Problem, meant_note, subject
from beanbill.recognition import monthly_weights
from beanbill.rules import (
    DEFERRED_REVENUE,
    SALES_RETURNS,
    UNBILLED_REVENUE,
    contra_receivable,
    receivable,
    wallet,
)

BAD_DEBT = "Expenses:BadDebt"
WRITE_OFF = "beanbill-write-off"

# The `adjustment` metadata of the entries beanbill generates for adjustments and settlement.
CREDIT_MEMO = "credit_memo"
DEBIT_MEMO = "debit_memo"
WALLET_CREDIT = "credit"
REFUND = "refund"
WRITTEN_OFF = "write_off"
WALLET_APPLIED = "wallet_applied"
OVERPAYMENT = "overpayment"
RECOVERED = "bad_debt_recovered"

# How a memo was given (amount, lines or total): metadata of its entry for the settlement
# plugin (whose message on a credit memo above the open balance depends on it). A key starting
# with two underscores is Beancount's internal kind: never printed, so `beanbill compile` and
# Fava show the entry as before.
MEMO_GIVEN = "__memo_given__"

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class LineGroup:
    """An invoice's charge together with its discounts and true-ups: what a memo adjusts."""

    contract: str
    product: str
    timing: m.Timing
    service_start: datetime.date
    service_end: datetime.date
    revenue_rule: str
    net: Decimal  # net of tax
    taxes: tuple[tuple[str, Decimal], ...]  # (tax account, amount)
    # what documents call a group with no charge of its own (a minimum commitment's
    # shortfall, "Minimum commitment shortfall"); "": the product's name
    description: str = ""

    @property
    def account(self) -> str:
        return DEFERRED_REVENUE if self.timing is m.Timing.ADVANCE else UNBILLED_REVENUE

    @property
    def total(self) -> Decimal:
        """Tax included."""
        return self.net + sum((amount for _, amount in self.taxes), ZERO)


def line_groups(invoice: Invoice) -> list[LineGroup]:
    """The invoice's revenue lines, each charge netted with its discounts and true-ups.

    Wallet top-ups (`credits: true`) are left out: a memo adjusts revenue, not prepaid credit.
    Lines netting to zero or less (fully discounted) are left out too.
    """
    keyed: dict[tuple[object, ...], list[InvoiceLine]] = {}
    for line in invoice.lines:
        if line.kind is LineKind.CREDITS or line.revenue_rule is None:
            continue
        key = (
            line.contract,
            line.product,
            line.timing,
            line.service_start,
            line.service_end,
            line.revenue_rule,
        )
        keyed.setdefault(key, []).append(line)
    groups = []
    for lines in keyed.values():
        first = lines[0]
        net = sum((line.amount for line in lines), ZERO)
        if net <= ZERO or first.revenue_rule is None:
            continue
        taxes: dict[str, Decimal] = {}
        for line in lines:
            for tax in line.taxes:
                taxes[tax.account] = taxes.get(tax.account, ZERO) + tax.amount
        charged = any(line.kind is LineKind.CHARGE for line in lines)
        groups.append(
            LineGroup(
                contract=first.contract,
                product=first.product,
                timing=first.timing,
                service_start=first.service_start,
                service_end=first.service_end,
                revenue_rule=first.revenue_rule,
                net=net,
                taxes=tuple((a, v) for a, v in sorted(taxes.items()) if v != ZERO),
                description="" if charged else first.label,
            )
        )
    return groups


def recognised_fraction(
    method: m.RecognitionMethod,
    start: datetime.date,
    end: datetime.date,
    memo_date: datetime.date,
) -> Decimal:
    """The share of a line recognised before `memo_date`, on the line's own schedule.

    Ratable lines count the service days before the memo date: daily for ratable_daily (and
    for as_consumed, whose usage by day is not known here), each day weighing its share of its
    month for ratable_monthly. A point-in-time line is recognised on its service start, a
    milestone line on its service end, an as-invoiced line on its invoice date (never after
    the memo).
    """
    if method is m.RecognitionMethod.AS_INVOICED or memo_date > end:
        return Decimal(1)
    if memo_date <= start:
        return ZERO
    match method:
        case m.RecognitionMethod.POINT_IN_TIME:
            return Decimal(1)  # start < memo_date
        case m.RecognitionMethod.MILESTONE:
            return ZERO  # memo_date <= end
        case m.RecognitionMethod.RATABLE_MONTHLY:
            before = sum((w for _, w in monthly_weights(start, memo_date - ONE_DAY)), ZERO)
            whole = sum((w for _, w in monthly_weights(start, end)), ZERO)
            return before / whole
        case _:  # RATABLE_DAILY, AS_CONSUMED
            return Decimal((memo_date - start).days) / Decimal((end - start).days + 1)


@dataclass(frozen=True)
class MemoShare:
    """What a memo does to one line group; every amount is positive."""

    group: LineGroup
    net: Decimal
    recognised: Decimal  # of net: service days before the memo date
    unrecognised: Decimal  # of net: the rest
    taxes: tuple[tuple[str, Decimal], ...]  # (account, amount)

    @property
    def total(self) -> Decimal:
        return self.net + sum((amount for _, amount in self.taxes), ZERO)


def split_share(
    group: LineGroup,
    share: Decimal,
    memo_date: datetime.date,
    method: m.RecognitionMethod,
    currency: str,
    taxes: Sequence[tuple[str, Decimal]] | None = None,
) -> MemoShare:
    """A memo's share of a line (net of tax): its tax (`taxes` if given, else pro rata to the
    line's), and its recognised and not yet recognised parts."""
    if taxes is None:
        taxes = [
            (account, round_money(amount * share / group.net, currency))
            for account, amount in group.taxes
        ]
    fraction = recognised_fraction(method, group.service_start, group.service_end, memo_date)
    recognised = round_money(share * fraction, currency)
    return MemoShare(
        group=group,
        net=share,
        recognised=recognised,
        unrecognised=share - recognised,
        taxes=tuple((a, v) for a, v in taxes if v != ZERO),
    )


def memo_postings(
    memo: m.Memo,
    shares: Sequence[MemoShare],
    customer: m.Customer,
    invoice: Invoice,
    catalog: m.Catalog,
) -> list[Posting]:
    """A credit memo's postings (debits positive); a debit memo's are the same, negated."""
    currency = invoice.currency
    sign = Decimal(1) if memo.kind == CREDIT_MEMO else Decimal(-1)
    total = sum((share.total for share in shares), ZERO)
    postings = [Posting(receivable(customer.account), -sign * total, currency)]
    for share in shares:
        group = share.group
        product: Meta = {"product": group.product}
        if group.description:
            product = {**product, "description": group.description}
        if invoice.consolidated:
            product = {**product, "contract": group.contract}
        if share.recognised:
            account = (
                SALES_RETURNS if sign > 0 else catalog.revenue_rules[group.revenue_rule].account
            )
            postings.append(Posting(account, sign * share.recognised, currency, product))
        if share.unrecognised:
            meta: Meta = {
                **product,
                "service-start": max(memo.date, group.service_start),
                "service-end": group.service_end,
                "revenue-rule": group.revenue_rule,
            }
            account = group.account if sign > 0 else DEFERRED_REVENUE
            postings.append(Posting(account, sign * share.unrecognised, currency, meta))
    taxes: dict[str, Decimal] = {}
    for share in shares:
        for account, amount in share.taxes:
            taxes[account] = taxes.get(account, ZERO) + amount
    postings += [
        Posting(account, sign * amount, currency) for account, amount in sorted(taxes.items())
    ]
    return postings


def split_total(
    group: LineGroup,
    total: Decimal,
    memo_date: datetime.date,
    method: m.RecognitionMethod,
    currency: str,
    rest: tuple[Decimal, dict[str, Decimal]] | None = None,
) -> MemoShare:
    """A memo's share of a line given tax included (`total`): each tax account's part is the
    line's tax in proportion to the line's total, rounded half-up, and the net is what remains,
    so that net + tax == total to the minor unit. `rest`: what is left of the line (net, and
    tax by account) when the share is all of it (a credit memo closing the line), taken as it
    is, so that the line's tax is reversed to the cent."""
    if rest is not None:
        net, taxes_left = rest
        taxes = sorted(taxes_left.items())
    else:
        taxes = [
            (account, round_money(total * amount / group.total, currency))
            for account, amount in group.taxes
        ]
        net = total - sum((amount for _, amount in taxes), ZERO)
    return split_share(group, net, memo_date, method, currency, taxes)


@dataclass
class InvoiceState:
    """What memos have left of each line group of an invoice: net of tax, and its tax."""

    invoice: Invoice
    groups: list[LineGroup]
    left: list[Decimal] = field(default_factory=list)
    taxes_left: list[dict[str, Decimal]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.left = [group.net for group in self.groups]
        self.taxes_left = [dict(group.taxes) for group in self.groups]

    def total_left(self, index: int) -> Decimal:
        """What is left of a line group, tax included."""
        return self.left[index] + sum(self.taxes_left[index].values(), ZERO)

    def take(self, index: int, share: MemoShare, credit: bool) -> None:
        """Record a memo's share of a line group: a credit takes it, a debit adds it."""
        sign = -1 if credit else 1
        self.left[index] += sign * share.net
        taxes = self.taxes_left[index]
        for account, amount in share.taxes:
            taxes[account] = taxes.get(account, ZERO) + sign * amount


class Rejected(Exception):
    """An adjustment that cannot be posted; carries the problem to report."""

    def __init__(self, source: m.Source, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message


def in_minor_units(value: Decimal, currency: str, source: m.Source, what: str) -> None:
    """Rejected unless `value` is a whole number of the currency's minor unit: an adjustment's
    amounts are posted as written, never rounded silently."""
    if value != round_money(value, currency):
        unit = minor_unit(currency)
        raise Rejected(
            source,
            f"{what} {value} {currency} has more decimals than {currency} has (its smallest "
            f"amount is {unit} {currency}); an adjustment's amounts are posted as written: "
            "round it",
        )


def memo_shares(memo: m.Memo, state: InvoiceState, what: str) -> list[tuple[int, Decimal]]:
    """The memo spread over the invoice's line groups: (group index, share)."""
    currency = state.invoice.currency
    credit = memo.kind == CREDIT_MEMO
    if memo.amount is not None:
        in_minor_units(memo.amount, currency, memo.source, f"{what}: amount")
        indexes = list(range(len(state.groups)))
        left = sum(state.left, ZERO)
        if credit and memo.amount > left:
            raise Rejected(
                memo.source,
                f"{what}: {memo.amount} {currency} is more than what is left to credit on "
                f"{state.invoice.id} ({left} {currency} before tax)",
            )
        weights = state.left if left > ZERO else [g.net for g in state.groups]
        return list(zip(indexes, allocate(memo.amount, weights, currency), strict=True))
    assert memo.lines is not None
    shares: list[tuple[int, Decimal]] = []
    for line in memo.lines:
        in_minor_units(line.amount, currency, line.source, f"{what}: {line.product}: amount")
        indexes = [i for i, g in enumerate(state.groups) if g.product == line.product]
        if not indexes:
            on = sorted({g.product for g in state.groups})
            raise Rejected(
                line.source,
                f'{what}: product "{line.product}" is not on invoice {state.invoice.id} '
                f"(its lines: {', '.join(on)})",
            )
        indexes = picked(line, indexes, state, what)
        left = sum((state.left[i] for i in indexes), ZERO)
        if credit and line.amount > left:
            raise Rejected(
                line.source,
                f"{what}: {line.amount} {currency} on {line.product} is more than what is left "
                f"of that line on {state.invoice.id} ({left} {currency} before tax)",
            )
        weights = [state.left[i] for i in indexes]
        if sum(weights, ZERO) <= ZERO:
            weights = [state.groups[i].net for i in indexes]
        shares += zip(indexes, allocate(line.amount, weights, currency), strict=True)
    return shares


def total_shares(memo: m.Memo, state: InvoiceState, what: str) -> list[tuple[int, Decimal]]:
    """A memo given tax included spread over the invoice's line groups, in proportion to what
    is left of them, tax included: (group index, its share, tax included)."""
    assert memo.total is not None
    currency = state.invoice.currency
    in_minor_units(memo.total, currency, memo.source, f"{what}: total")
    weights = [state.total_left(i) for i in range(len(state.groups))]
    left = sum(weights, ZERO)
    if memo.kind == CREDIT_MEMO and memo.total > left:
        raise Rejected(
            memo.source,
            f"{what}: {memo.total} {currency} is more than what is left to credit on "
            f"{state.invoice.id} ({left} {currency} tax included)",
        )
    if left <= ZERO:
        weights = [group.total for group in state.groups]
    return list(enumerate(allocate(memo.total, weights, currency)))


def picked(line: m.MemoLine, indexes: list[int], state: InvoiceState, what: str) -> list[int]:
    """The line groups of `indexes` (all of the line's product) of the line's `contract`, if
    it names one; one that has none of them is rejected, with the contracts that have."""
    if line.contract is None:
        return indexes
    chosen = [i for i in indexes if state.groups[i].contract == line.contract]
    if not chosen:
        contracts = ", ".join(sorted({state.groups[i].contract for i in indexes}))
        raise Rejected(
            line.source,
            f"{what}: contract {line.contract} has no {line.product} line on invoice "
            f"{state.invoice.id} (the contracts with one: {contracts})",
        )
    return chosen


def memo_entry(
    memo: m.Memo, customer: m.Customer, state: InvoiceState, catalog: m.Catalog
) -> Entry:
    """The memo's entry; updates what is left of the invoice's lines. Raises Rejected."""
    invoice = state.invoice
    label = "credit memo" if memo.kind == CREDIT_MEMO else "debit memo"
    what = f"{memo.kind} {memo.id}"
    if memo.date < invoice.date:
        raise Rejected(
            memo.source,
            f"{what}: dated {memo.date}, before its invoice {invoice.id} ({invoice.date})",
        )
    if not state.groups:
        raise Rejected(
            memo.source,
            f"{what}: invoice {invoice.id} has no revenue lines to adjust (a wallet top-up is "
            "given back with a refund from the wallet)",
        )
    credit = memo.kind == CREDIT_MEMO
    if memo.total is not None:  # tax included
        given, pieces = "total", total_shares(memo, state, what)
    else:  # net of tax
        given = "amount" if memo.amount is not None else "lines"
        pieces = memo_shares(memo, state, what)
    shares = []
    for index, piece in pieces:
        if piece == ZERO:
            continue
        group = state.groups[index]
        method = catalog.revenue_rules[group.revenue_rule].method
        if memo.total is None:
            share = split_share(group, piece, memo.date, method, invoice.currency)
        else:
            closes = credit and piece == state.total_left(index)
            rest = (state.left[index], state.taxes_left[index]) if closes else None
            share = split_total(group, piece, memo.date, method, invoice.currency, rest)
        state.take(index, share, credit)
        shares.append(share)
    meta: dict[str, MetaValue] = {
        "memo-id": memo.id,
        "invoice-id": invoice.id,
        "customer": customer.id,
        # the contracts whose lines it adjusts (of a consolidated invoice, not all of them)
        "contract": ", ".join(
            dict.fromkeys(share.group.contract for share in shares) or invoice.contracts
        ),
        "adjustment": memo.kind,
    }
    if memo.reason:
        meta["reason"] = memo.reason
    meta[MEMO_GIVEN] = given
    narration = f"{label.capitalize()} {memo.id} on {invoice.id}"
    return Entry(
        date=memo.date,
        payee=customer.name,
        narration=f"{narration} — {memo.reason}" if memo.reason else narration,
        links=(memo.id, invoice.id),
        meta=meta,
        postings=tuple(memo_postings(memo, shares, customer, invoice, catalog)),
        source=memo.source,
    )


def wallet_credit_entry(credit: m.WalletCredit, customer: m.Customer) -> Entry:
    currency = customer.currency
    meta: dict[str, MetaValue] = {
        "credit-id": credit.id,
        "customer": customer.id,
        "adjustment": WALLET_CREDIT,
    }
    if credit.reason:
        meta["reason"] = credit.reason
    narration = f"Wallet credit {credit.id}"
    return Entry(
        date=credit.date,
        payee=customer.name,
        narration=f"{narration} — {credit.reason}" if credit.reason else narration,
        links=(credit.id,),
        meta=meta,
        postings=(
            Posting(SALES_RETURNS, credit.amount, currency),
            Posting(wallet(customer.account), -credit.amount, currency),
        ),
        source=credit.source,
    )


def refund_entry(refund: m.Refund, customer: m.Customer) -> Entry:
    currency = customer.currency
    if refund.from_ is m.RefundSource.WALLET:
        account, what = wallet(customer.account), "from the wallet"
    else:
        account, what = contra_receivable(customer.account), "of an overpayment"
    meta: dict[str, MetaValue] = {
        "refund-id": refund.id,
        "customer": customer.id,
        "refund-from": refund.from_.value,
        "adjustment": REFUND,
    }
    if refund.reason:
        meta["reason"] = refund.reason
    narration = f"Refund {refund.id} {what}"
    return Entry(
        date=refund.date,
        payee=customer.name,
        narration=f"{narration} — {refund.reason}" if refund.reason else narration,
        links=(refund.id,),
        meta=meta,
        postings=(
            Posting(account, refund.amount, currency),
            Posting(refund.account, -refund.amount, currency),
        ),
        source=refund.source,
    )


def write_off_declaration(write_off: m.WriteOff, customer: m.Customer) -> Declaration:
    """`custom "beanbill-write-off" ID INVOICE CUSTOMER REASON`, for the settlement plugin."""
    return Declaration(
        write_off.date,
        WRITE_OFF,
        (write_off.id, write_off.invoice, customer.id, write_off.reason),
        write_off.source,
    )


def unknown_invoice_hint(
    named: str, invoices: dict[str, Invoice], until: datetime.date | None
) -> str:
    """What may be meant by an invoice id that is not one of the customer's `invoices`: an
    invoice past the billing horizon, a misspelt id, or the span of the ids there are."""
    dated = INVOICE_DATE.search(named)
    if until is not None and dated is not None:
        try:
            day = datetime.datetime.strptime(dated.group(1), "%Y%m%d").date()
        except ValueError:
            day = None
        if day is not None and day > until:
            return (
                f" (it would be dated {day}, after the billing horizon {until}: the `until` of "
                "the ledger's contracts plugin line)"
            )
    meant = meant_note(named, invoices)
    if meant:
        return meant
    if not invoices:
        return " (it has no invoice in these books)"
    ordered = sorted(invoices.values(), key=lambda invoice: (invoice.date, invoice.id))
    return f" (its invoices run from {ordered[0].id} to {ordered[-1].id})"


INVOICE_DATE = re.compile(r"-(\d{8})$")  # an invoice id's date: <prefix>-<contract>-<yyyymmdd>


@dataclass(frozen=True)
class Adjusted:
    entries: list[Entry]
    declarations: list[Declaration]
    problems: list[Problem]


def customer_adjustments(
    customer: m.Customer,
    invoices: Iterable[Invoice],
    catalog: m.Catalog,
    until: datetime.date | None = None,
) -> Adjusted:
    """The entries (and write-off declarations) of one customer's adjustments, against its own
    `invoices` (issued up to the billing horizon `until`).

    Memos are taken in date order (then file order), each against what earlier memos left of
    its invoice's lines. An adjustment with a problem is left out and reported.
    """
    by_id = {invoice.id: invoice for invoice in invoices}
    states: dict[str, InvoiceState] = {}
    entries: list[Entry] = []
    declarations: list[Declaration] = []
    problems: list[Problem] = []
    prefix = subject(customer.id)
    for adjustment in sorted(customer.adjustments, key=lambda a: (a.date, a.source)):
        try:
            match adjustment:
                case m.Memo() | m.WriteOff():
                    invoice = by_id.get(adjustment.invoice)
                    if invoice is None:
                        kind = adjustment.kind if isinstance(adjustment, m.Memo) else "write_off"
                        raise Rejected(
                            adjustment.source,
                            f"{kind} {adjustment.id}: invoice {adjustment.invoice} is not an "
                            f"invoice of customer {customer.id}"
                            + unknown_invoice_hint(adjustment.invoice, by_id, until),
                        )
                    if isinstance(adjustment, m.WriteOff):
                        if adjustment.date < invoice.date:
                            raise Rejected(
                                adjustment.source,
                                f"write_off {adjustment.id}: dated {adjustment.date}, before "
                                f"its invoice {invoice.id} ({invoice.date})",
                            )
                        declarations.append(write_off_declaration(adjustment, customer))
                    else:
                        state = states.get(invoice.id)
                        if state is None:
                            state = InvoiceState(invoice, line_groups(invoice))
                            states[invoice.id] = state
                        entries.append(memo_entry(adjustment, customer, state, catalog))
                case m.WalletCredit():
                    in_minor_units(
                        adjustment.amount,
                        customer.currency,
                        adjustment.source,
                        f"credit {adjustment.id}: amount",
                    )
                    entries.append(wallet_credit_entry(adjustment, customer))
                case m.Refund():
                    in_minor_units(
                        adjustment.amount,
                        customer.currency,
                        adjustment.source,
                        f"refund {adjustment.id}: amount",
                    )
                    entries.append(refund_entry(adjustment, customer))
        except Rejected as rejected:
            problems.append(Problem(rejected.source, prefix + rejected.message))
    return Adjusted(entries, declarations, problems)
