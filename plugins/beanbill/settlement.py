"""Settlement: what each invoice is owed, as of any date (pure; no I/O, no Beancount).

The events of the receivables side of the books (invoices issued, memos, payments, write-off
orders, movements of customer wallets and contra-receivables) are taken in date order; on
each date, in this order:

1. money arriving in a wallet or contra-receivable (wallet credits, prepaid top-ups);
2. invoices issued;
3. the wallet applied to each invoice of the date, oldest credit first, never a credit that
   the invoice itself funded (a `Liabilities:CustomerWallet` → receivable entry);
4. memos (debit memos add to the invoice; a credit memo above the open balance is a problem);
5. payments: applied to the invoices they name, oldest first, else to the customer's oldest
   open invoices (FIFO); then, for a payment naming written-off invoices, up to what was
   written off of them: a bad debt recovered (the write-off undone by that much, back on the
   receivable and off `Expenses:BadDebt`, and paid); what is left is an overpayment,
   reclassified to the customer's contra-receivable;
6. write-offs: the invoice's open balance goes to `Expenses:BadDebt` (a paid invoice is a
   problem);
7. money leaving a wallet or contra-receivable (refunds); more than the balance is a problem.

An entry settlement would generate on a date when one of its accounts is not open (`inactive`:
before the ledger opens it, or after it closes it) is a problem at the event instead, and the
event is not applied: the credit stays in the wallet, the overpayment on the receivable, the
invoice open.

An invoice's open balance = total - payments - credit memos - wallet applied - write-offs
+ recovered + debit memos. Its status on a date is `written_off` (nothing left, and some of
it still written off), `paid` (nothing left, some of it paid), `credited` (nothing left, none
of it paid), `overdue` (something left after the due date: a debit memo after a write-off
reopens the invoice), `partially_paid` or `open`.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from beanbill.adjustments import BAD_DEBT, OVERPAYMENT, RECOVERED, WALLET_APPLIED, WRITTEN_OFF
from beanbill.journal import Entry, MetaValue, Posting
from beanbill.model import Source
from beanbill.money import ZERO, minor_unit
from beanbill.rules import contra_receivable, wallet

RECEIVABLE_PARENT = "Assets:AccountsReceivable:Customers:"
WALLET_PARENT = "Liabilities:CustomerWallet:"
CONTRA_PARENT = "Liabilities:ContraAccountsReceivable:Customers:"

# Statuses, most final first.
WRITTEN_OFF_STATUS = "written_off"
PAID = "paid"
CREDITED = "credited"
OVERDUE = "overdue"
PARTIALLY_PAID = "partially_paid"
OPEN = "open"
STATUSES = (OPEN, PARTIALLY_PAID, OVERDUE, PAID, CREDITED, WRITTEN_OFF_STATUS)


def component(account: str) -> str:
    """The customer's account component: the last component of its sub-account."""
    return account.rsplit(":", 1)[-1]


# --- Events ---------------------------------------------------------------------------------
# `ref` identifies the ledger entry an event was read from (problems are reported there);
# `source` is where that entry says it came from (for the entries settlement generates).


@dataclass(frozen=True)
class Issued:
    ref: int
    date: datetime.date
    invoice_id: str
    customer: str
    payee: str
    receivable: str
    currency: str
    total: Decimal
    due_date: datetime.date
    source: Source


@dataclass(frozen=True)
class MemoPosted:
    ref: int
    date: datetime.date
    memo_id: str
    credit: bool
    invoice_id: str
    receivable: str
    currency: str
    amount: Decimal  # positive
    source: Source
    given: str = ""  # how the memo was given in its customer file: amount, lines, total ("": ?)
    taxed: bool = False  # whether it moves tax


@dataclass(frozen=True)
class PaymentReceived:
    ref: int
    date: datetime.date
    payee: str
    receivable: str
    currency: str
    amount: Decimal  # positive: what the payment credits the receivable with
    named: tuple[str, ...]  # the invoices it names; empty: applied FIFO
    source: Source


@dataclass(frozen=True)
class WriteOffOrder:
    ref: int
    date: datetime.date
    id: str
    invoice_id: str
    reason: str
    source: Source


@dataclass(frozen=True)
class BalanceMove:
    """Money into (amount > 0) or out of (amount < 0) a customer wallet or contra-receivable."""

    ref: int
    date: datetime.date
    account: str
    currency: str
    amount: Decimal
    lot: str  # what funded it: a credit id, an invoice id, ...
    funded_by: str | None  # the invoice whose top-up this is
    refund: str | None  # the refund id, for a refund
    source: Source


Event = Issued | MemoPosted | PaymentReceived | WriteOffOrder | BalanceMove


# --- Results --------------------------------------------------------------------------------

PAYMENT = "payment"
WALLET = "wallet"
CREDIT = "credit_memo"
DEBIT = "debit_memo"
WRITE_OFF = "write_off"
RECOVERY = "recovery"  # a written-off amount paid after all: the write-off undone by that much
ADDING = frozenset({DEBIT, RECOVERY})  # the applications that add to the open balance


@dataclass(frozen=True)
class Application:
    """Something that changed an invoice's open balance."""

    date: datetime.date
    kind: str  # PAYMENT, WALLET, CREDIT, DEBIT, WRITE_OFF or RECOVERY
    amount: Decimal  # positive; a debit memo or a recovery adds it, the others take it
    ref: int


@dataclass(frozen=True)
class Balances:
    total: Decimal
    paid: Decimal  # payments
    wallet: Decimal  # wallet applied
    credited: Decimal  # credit memos
    debited: Decimal  # debit memos
    written_off: Decimal  # net of what was recovered since

    @property
    def open(self) -> Decimal:
        return (
            self.total + self.debited - self.paid - self.wallet - self.credited - self.written_off
        )


@dataclass
class InvoiceAccount:
    issued: Issued
    applications: list[Application] = field(default_factory=list)
    current: Decimal = ZERO  # the open balance after every application so far

    def __post_init__(self) -> None:
        self.current = self.issued.total

    @property
    def id(self) -> str:
        return self.issued.invoice_id

    def apply(self, application: Application) -> None:
        """Record an application (in date order: the engine's current open balance follows)."""
        self.applications.append(application)
        sign = 1 if application.kind in ADDING else -1
        self.current += sign * application.amount

    def unrecovered(self) -> Decimal:
        """What was written off of it and not recovered since."""
        return self.balances().written_off

    def balances(self, as_of: datetime.date | None = None) -> Balances:
        sums = dict.fromkeys((PAYMENT, WALLET, CREDIT, DEBIT, WRITE_OFF, RECOVERY), ZERO)
        for application in self.applications:
            if as_of is None or application.date <= as_of:
                sums[application.kind] += application.amount
        return Balances(
            self.issued.total,
            sums[PAYMENT],
            sums[WALLET],
            sums[CREDIT],
            sums[DEBIT],
            sums[WRITE_OFF] - sums[RECOVERY],
        )

    def open(self, as_of: datetime.date | None = None) -> Decimal:
        return self.balances(as_of).open

    def status(self, as_of: datetime.date, balances: Balances | None = None) -> str:
        """The status on `as_of`; `balances`: the invoice's on that date, if known already."""
        if balances is None:
            balances = self.balances(as_of)
        if balances.open <= ZERO:
            if balances.written_off:
                return WRITTEN_OFF_STATUS
            return CREDITED if balances.paid + balances.wallet == ZERO else PAID
        if as_of > self.issued.due_date:
            return OVERDUE
        return PARTIALLY_PAID if balances.paid + balances.wallet > ZERO else OPEN

    def days_overdue(self, as_of: datetime.date, balances: Balances | None = None) -> int:
        if (balances or self.balances(as_of)).open <= ZERO:
            return 0
        return max(0, (as_of - self.issued.due_date).days)


@dataclass(frozen=True)
class PaymentApplied:
    """How one payment was applied: (invoice id, amount) parts and the overpayment."""

    ref: int
    receivable: str
    currency: str
    parts: tuple[tuple[str, Decimal], ...]
    overpaid: Decimal
    fifo: bool
    named: tuple[str, ...] = ()  # the invoices it named (one: the overpayment names it too)


@dataclass(frozen=True)
class SettlementProblem:
    ref: int
    message: str


@dataclass
class Settlement:
    invoices: dict[str, InvoiceAccount]
    entries: list[Entry]  # wallet applications, overpayment reclasses, write-offs
    payments: list[PaymentApplied]
    problems: list[SettlementProblem]
    last_date: datetime.date | None  # of the last event: the default "as of" date


# --- The engine -----------------------------------------------------------------------------


@dataclass
class Lot:
    label: str
    left: Decimal
    funded_by: str | None


@dataclass(frozen=True)
class _WalletDue:
    """Phase 3: apply the wallet to an invoice issued on this date."""

    invoice_id: str


def _phase(event: Event | _WalletDue) -> int:
    match event:
        case BalanceMove():
            return 0 if event.amount > ZERO else 6
        case Issued():
            return 1
        case _WalletDue():
            return 2
        case MemoPosted():
            return 3
        case PaymentReceived():
            return 4
        case WriteOffOrder():
            return 5


def fmt(amount: Decimal, currency: str) -> str:
    return f"{amount} {currency}"


# A credit memo given net of tax (amount or lines), with tax, above the open balance by this
# many minor units at most is likely over because its tax is rounded (no net amount may make a
# total of exactly the open balance): its problem suggests `total` instead.
ROUNDING_SLACK = 5


def over_open_hint(event: MemoPosted, open_: Decimal) -> str:
    """What to do about a credit memo above the open balance `open_` (after its "(...)")."""
    over = event.amount - open_
    rounding = over <= ROUNDING_SLACK * minor_unit(event.currency)
    if event.given in ("amount", "lines") and event.taxed and open_ > ZERO and rounding:
        spread = ""
        if event.given == "lines":
            spread = " (a total is spread over all the invoice's lines)"
        return (
            f" by {fmt(over, event.currency)}: a net amount plus its tax, rounded, cannot make "
            f'every total; to credit exactly what is left, give total: "{open_}" (tax included) '
            f"in place of {event.given}{spread}"
        )
    return (
        "; credit at most what is still owed, and give the rest as a wallet credit (type: "
        "credit), which pays the next invoices, or then a refund from the wallet (type: refund, "
        "from: wallet): see docs/how-to.md"
    )


# (date, accounts) → why one of the accounts is not open on the date, or None
Inactive = Callable[[datetime.date, Sequence[str]], str | None]


class Engine:
    def __init__(self, inactive: Inactive) -> None:
        self.inactive = inactive
        self.invoices: dict[str, InvoiceAccount] = {}
        # each customer's invoices per currency by (date, id): FIFO order; and its customer id
        self.by_receivable: dict[tuple[str, str], list[InvoiceAccount]] = {}
        self.customers: dict[str, str] = {}
        self.lots: dict[tuple[str, str], list[Lot]] = {}
        self.contra: dict[tuple[str, str], Decimal] = {}
        self.entries: list[Entry] = []
        self.payments: list[PaymentApplied] = []
        self.problems: list[SettlementProblem] = []
        # receivable → (index in problems, payment, invoice id) of each named unknown invoice
        self.unknown_named: dict[str, list[tuple[int, PaymentReceived, str]]] = {}

    def problem(self, ref: int, message: str) -> None:
        self.problems.append(SettlementProblem(ref, message))

    def without_invoices(self) -> None:
        """One problem, not one per payment, for the payments to a receivable that has no
        invoice at all: its customer's invoices are missing (most often, its contract file has
        a problem, reported by the contracts plugin), not each payment's reference."""
        dropped: set[int] = set()
        for receivable, named in self.unknown_named.items():
            payments = {event.ref for _, event, _ in named}
            if receivable in self.customers or len(payments) < 2:
                continue
            index, first, invoice_id = named[0]
            self.problems[index] = SettlementProblem(
                first.ref,
                f"{len(payments)} payments to {receivable} name invoices that are not in these "
                f"books (the first, on {first.date}, names {invoice_id}), and it has no invoice "
                "at all: if its customer's contract file has a problem, fix that first. Until "
                "then, what they paid is unapplied cash",
            )
            dropped.update(index for index, _, _ in named[1:])
        if dropped:
            self.problems = [p for i, p in enumerate(self.problems) if i not in dropped]

    def run(self, events: Sequence[Event]) -> Settlement:
        timeline: list[tuple[datetime.date, int, int, Event | _WalletDue]] = []
        for event in events:
            timeline.append((event.date, _phase(event), event.ref, event))
            if isinstance(event, Issued):
                timeline.append((event.date, 2, event.ref, _WalletDue(event.invoice_id)))
        timeline.sort(key=lambda t: t[:3])
        for _, _, _, step in timeline:
            match step:
                case BalanceMove():
                    self.move(step)
                case Issued():
                    self.issue(step)
                case _WalletDue():
                    self.apply_wallet(self.invoices.get(step.invoice_id))
                case MemoPosted():
                    self.memo(step)
                case PaymentReceived():
                    self.payment(step)
                case WriteOffOrder():
                    self.write_off(step)
        self.without_invoices()
        return Settlement(
            self.invoices,
            self.entries,
            self.payments,
            self.problems,
            max((e.date for e in events), default=None),
        )

    # invoices and memos

    def issue(self, event: Issued) -> None:
        if event.invoice_id in self.invoices:
            first = self.invoices[event.invoice_id].issued
            self.problem(
                event.ref,
                f"invoice id {event.invoice_id} is used twice (first on {first.date}); a debit "
                "to a customer's receivable is an invoice and needs its own invoice-id",
            )
            return
        invoice = InvoiceAccount(event)
        self.invoices[event.invoice_id] = invoice
        fifo = self.by_receivable.setdefault((event.receivable, event.currency), [])
        if not fifo or (fifo[-1].issued.date, fifo[-1].id) <= (event.date, event.invoice_id):
            fifo.append(invoice)  # most invoices come in date order: the last of the FIFO
        else:
            bisect.insort(fifo, invoice, key=lambda i: (i.issued.date, i.id))
        self.customers.setdefault(event.receivable, event.customer)

    def memo(self, event: MemoPosted) -> None:
        kind = "credit memo" if event.credit else "debit memo"
        invoice = self.invoices.get(event.invoice_id)
        if invoice is None:
            self.problem(
                event.ref,
                f"{kind} {event.memo_id}: invoice {event.invoice_id} is not in these books",
            )
            return
        if event.credit:
            open_ = invoice.current
            if event.amount > open_:
                self.problem(
                    event.ref,
                    f"credit memo {event.memo_id}: {fmt(event.amount, event.currency)}, tax "
                    f"included, is more than the open balance of {event.invoice_id} on "
                    f"{event.date} ({fmt(open_, event.currency)})" + over_open_hint(event, open_),
                )
        invoice.apply(
            Application(event.date, CREDIT if event.credit else DEBIT, event.amount, event.ref)
        )

    # wallets and contra-receivables

    def move(self, event: BalanceMove) -> None:
        key = (event.account, event.currency)
        if event.account.startswith(CONTRA_PARENT):
            balance = self.contra.get(key, ZERO)
            if event.amount < ZERO and -event.amount > balance:
                self.problem(event.ref, self.short(event, balance, "overpayments"))
            self.contra[key] = balance + event.amount
            return
        lots = self.lots.setdefault(key, [])
        if event.amount > ZERO:
            lots.append(Lot(event.lot, event.amount, event.funded_by))
            return
        balance = sum((lot.left for lot in lots), ZERO)
        if -event.amount > balance:
            self.problem(event.ref, self.short(event, balance, "wallet"))
        self.take(lots, -event.amount, None)

    @staticmethod
    def short(event: BalanceMove, balance: Decimal, what: str) -> str:
        taken = fmt(-event.amount, event.currency)
        have = fmt(balance, event.currency)
        customer = component(event.account)
        if event.refund:
            source = "wallet" if what == "wallet" else "unapplied overpayments"
            return (
                f"refund {event.refund}: {taken} is more than the {source} of {customer} hold on "
                f"{event.date} ({have})"
            )
        return f"{event.account} would go negative on {event.date}: {taken} taken out, {have} in it"

    @staticmethod
    def take(lots: list[Lot], amount: Decimal, not_from: str | None) -> list[tuple[str, Decimal]]:
        """Take `amount` from the lots, oldest first, skipping those funded by `not_from`."""
        taken: list[tuple[str, Decimal]] = []
        for lot in lots:
            if amount <= ZERO:
                break
            if lot.left <= ZERO or (not_from is not None and lot.funded_by == not_from):
                continue
            part = min(lot.left, amount)
            lot.left -= part
            amount -= part
            taken.append((lot.label, part))
        if amount > ZERO and lots:  # more than there is: the last lot goes negative
            lots[-1].left -= amount
        return taken

    def apply_wallet(self, invoice: InvoiceAccount | None) -> None:
        if invoice is None:
            return
        issued = invoice.issued
        account = wallet(component(issued.receivable))
        lots = self.lots.get((account, issued.currency), [])
        available = sum(
            (lot.left for lot in lots if lot.left > ZERO and lot.funded_by != issued.invoice_id),
            ZERO,
        )
        amount = min(available, invoice.current)
        if amount <= ZERO:
            return
        if reason := self.inactive(issued.date, (account, issued.receivable)):
            self.problem(
                issued.ref,
                f"wallet: {fmt(amount, issued.currency)} of credit cannot be applied to "
                f"{issued.invoice_id} on {issued.date}: it would post to {reason}. The credit "
                "stays in the wallet and the invoice open; change the account's open or close "
                "in the ledger",
            )
            return
        taken = self.take(lots, amount, issued.invoice_id)
        invoice.apply(Application(issued.date, WALLET, amount, issued.ref))
        credits = ", ".join(f"{label} {fmt(part, issued.currency)}" for label, part in taken)
        self.entries.append(
            Entry(
                date=issued.date,
                payee=issued.payee,
                narration=f"Wallet applied to {issued.invoice_id}",
                links=(issued.invoice_id,),
                meta={
                    "invoice-id": issued.invoice_id,
                    "customer": issued.customer,
                    "adjustment": WALLET_APPLIED,
                    "wallet-credits": credits,
                },
                postings=(
                    Posting(account, amount, issued.currency),
                    Posting(issued.receivable, -amount, issued.currency),
                ),
                source=issued.source,
            )
        )

    # payments

    def payment(self, event: PaymentReceived) -> None:
        named: list[InvoiceAccount] = []
        for invoice_id in event.named:
            invoice = self.invoices.get(invoice_id)
            if invoice is None:
                self.unknown_named.setdefault(event.receivable, []).append(
                    (len(self.problems), event, invoice_id)
                )
                self.problem(
                    event.ref,
                    f"payment names invoice {invoice_id}, which is not an invoice in these "
                    f"books (or not yet issued on {event.date})",
                )
            elif (invoice.issued.receivable, invoice.issued.currency) != (
                event.receivable,
                event.currency,
            ):
                self.problem(
                    event.ref,
                    f"payment credits {event.receivable} in {event.currency} but names invoice "
                    f"{invoice_id} of {invoice.issued.receivable} in {invoice.issued.currency}",
                )
            elif invoice not in named:
                named.append(invoice)
        fifo = not event.named
        if fifo:
            targets = [
                invoice
                for invoice in self.by_receivable.get((event.receivable, event.currency), [])
                if invoice.current > ZERO
            ]
        else:
            targets = sorted(named, key=lambda invoice: (invoice.issued.date, invoice.id))
        left = event.amount
        paid: dict[str, Decimal] = {}
        for invoice in targets:
            part = min(left, invoice.current)
            if part <= ZERO:
                continue
            invoice.apply(Application(event.date, PAYMENT, part, event.ref))
            paid[invoice.id] = part
            left -= part
        for invoice in [] if fifo else targets:  # the named ones, oldest first
            if left <= ZERO:
                break
            part = min(left, invoice.unrecovered())
            if part <= ZERO or not self.recover(event, invoice, part):
                continue
            invoice.apply(Application(event.date, PAYMENT, part, event.ref))
            paid[invoice.id] = paid.get(invoice.id, ZERO) + part
            left -= part
        self.payments.append(
            PaymentApplied(
                event.ref,
                event.receivable,
                event.currency,
                tuple(paid.items()),
                left,
                fifo,
                tuple(invoice.id for invoice in named),
            )
        )
        if left > ZERO:
            self.overpayment(event, left, [invoice.id for invoice in named])

    def recover(self, event: PaymentReceived, invoice: InvoiceAccount, amount: Decimal) -> bool:
        """Undo `amount` of the invoice's write-off, which the payment pays: back on the
        receivable, off `Expenses:BadDebt`. False (a problem) when an account is not open."""
        issued = invoice.issued
        if reason := self.inactive(event.date, (BAD_DEBT, issued.receivable)):
            self.problem(
                event.ref,
                f"bad debt recovered: {fmt(amount, issued.currency)} of this payment pays "
                f"{invoice.id}, written off, but the write-off cannot be undone on "
                f"{event.date}: it would post to {reason}. It is an overpayment instead; change "
                "the account's open or close in the ledger",
            )
            return False
        invoice.apply(Application(event.date, RECOVERY, amount, event.ref))
        self.entries.append(
            Entry(
                date=event.date,
                payee=event.payee,
                narration=f"Bad debt recovered: {invoice.id}, written off, paid after all",
                links=(invoice.id,),
                meta={
                    "invoice-id": invoice.id,
                    "customer": issued.customer,
                    "adjustment": RECOVERED,
                },
                postings=(
                    Posting(issued.receivable, amount, issued.currency),
                    Posting(BAD_DEBT, -amount, issued.currency),
                ),
                source=event.source,
            )
        )
        return True

    def overpayment(self, event: PaymentReceived, amount: Decimal, named: list[str]) -> None:
        contra = contra_receivable(component(event.receivable))
        if reason := self.inactive(event.date, (event.receivable, contra)):
            self.problem(
                event.ref,
                f"overpayment: {fmt(amount, event.currency)} of this payment is not owed on any "
                f"invoice, and cannot be moved to unapplied cash on {event.date}: it would post "
                f"to {reason}. It stays on the receivable; change the account's open or close in "
                "the ledger",
            )
            return
        key = (contra, event.currency)
        self.contra[key] = self.contra.get(key, ZERO) + amount
        customer = self.customer_of(event.receivable)
        meta: dict[str, MetaValue] = {}
        if len(named) == 1:
            meta["invoice-id"] = named[0]
        meta["customer"] = customer
        meta["adjustment"] = OVERPAYMENT
        about = f" of {', '.join(named)}" if named else ""
        self.entries.append(
            Entry(
                date=event.date,
                payee=event.payee,
                narration=f"Overpayment{about} to {contra.split(':')[-1]}'s unapplied cash",
                links=tuple(named),
                meta=meta,
                postings=(
                    Posting(event.receivable, amount, event.currency),
                    Posting(contra, -amount, event.currency),
                ),
                source=event.source,
            )
        )

    def customer_of(self, receivable: str) -> str:
        return self.customers.get(receivable) or component(receivable)

    # write-offs

    def write_off(self, event: WriteOffOrder) -> None:
        invoice = self.invoices.get(event.invoice_id)
        if invoice is None:
            self.problem(
                event.ref,
                f"write-off {event.id}: invoice {event.invoice_id} is not in these books",
            )
            return
        issued = invoice.issued
        open_ = invoice.current
        if open_ <= ZERO:
            self.problem(
                event.ref,
                f"write-off {event.id}: invoice {event.invoice_id} is already settled on "
                f"{event.date} (open balance {fmt(open_, issued.currency)}); there is "
                "nothing to write off",
            )
            return
        if reason := self.inactive(event.date, (BAD_DEBT, issued.receivable)):
            self.problem(
                event.ref,
                f"write-off {event.id}: invoice {event.invoice_id} cannot be written off on "
                f"{event.date}: it would post to {reason}. The invoice stays open; change the "
                "write-off's date, or the account's open or close in the ledger",
            )
            return
        invoice.apply(Application(event.date, WRITE_OFF, open_, event.ref))
        meta: dict[str, MetaValue] = {
            "write-off-id": event.id,
            "invoice-id": event.invoice_id,
            "customer": issued.customer,
            "adjustment": WRITTEN_OFF,
        }
        if event.reason:
            meta["reason"] = event.reason
        narration = f"Write-off {event.id} of {event.invoice_id}"
        self.entries.append(
            Entry(
                date=event.date,
                payee=issued.payee,
                narration=f"{narration} — {event.reason}" if event.reason else narration,
                links=(event.id, event.invoice_id),
                meta=meta,
                postings=(
                    Posting(BAD_DEBT, open_, issued.currency),
                    Posting(issued.receivable, -open_, issued.currency),
                ),
                source=event.source,
            )
        )


def settle(events: Iterable[Event], inactive: Inactive) -> Settlement:
    """Apply every event in date order (see the module docstring) and report problems;
    `inactive` says when an entry settlement would post falls outside an account's span."""
    return Engine(inactive).run(list(events))
