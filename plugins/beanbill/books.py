"""Reading the receivables side of Beancount books into settlement events, and writing the
settlement back (the Beancount layer of `beanbill.settlement`, shared by the settlement plugin
and the CLI's reports).

How entries are read (see docs/accounting-rules.md, "Settlement"):

- a transaction debiting a customer's receivable (`Assets:AccountsReceivable:Customers:<C>`)
  is an invoice; its `invoice-id` metadata names it, `due-date` gives its due date (else its
  date), and a credit to the customer's wallet in it is a top-up funded by that invoice;
- a transaction with `adjustment: credit_memo` or `debit_memo` is a memo on its `invoice-id`
  (the contracts plugin's hidden `__memo_given__` says whether it was given net of tax);
- any other transaction crediting a customer's receivable is a payment (the net of a gateway's
  fee or of tax deducted at source included: it is the credit to the receivable that counts).
  It names its invoices by `invoice-id` metadata (several may be separated by commas), by
  `invoice-id` on its receivable postings, or by links equal to invoice ids; a link that looks
  like an invoice id (same prefix) but names none is reported;
- a `custom "beanbill-write-off"` directive is a write-off order;
- every posting to a customer's wallet or contra-receivable moves its balance.

The entries the settlement generates (`adjustment: wallet_applied`, `overpayment`,
`write_off`, `bad_debt_recovered`) are skipped when reading, so the books can be read again
after the plugin ran.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from beancount.core import data

from beanbill.active import ActiveAccounts
from beanbill.adjustments import (
    CREDIT_MEMO,
    DEBIT_MEMO,
    MEMO_GIVEN,
    OVERPAYMENT,
    RECOVERED,
    REFUND,
    WALLET_APPLIED,
    WRITE_OFF,
    WRITTEN_OFF,
)
from beanbill.ledger import GENERATED_PREFIX, SOURCE_KEY, Converter
from beanbill.ledger import amount as beancount_amount
from beanbill.model import Source
from beanbill.money import ZERO
from beanbill.problems import meant_note
from beanbill.rules import SALES_TAX
from beanbill.settlement import (
    CONTRA_PARENT,
    RECEIVABLE_PARENT,
    WALLET_PARENT,
    BalanceMove,
    Event,
    Issued,
    MemoPosted,
    PaymentApplied,
    PaymentReceived,
    Settlement,
    SettlementProblem,
    WriteOffOrder,
    component,
    settle,
)

SETTLEMENT_GENERATED = frozenset({WALLET_APPLIED, OVERPAYMENT, WRITTEN_OFF, RECOVERED})
# The accounts of the credit a customer holds: its wallet and its unapplied cash.
CREDIT_HELD = (WALLET_PARENT, CONTRA_PARENT)
SETTLED_PARENTS = (RECEIVABLE_PARENT, *CREDIT_HELD)  # the accounts settlement reads
ID_SEPARATORS = re.compile(r"[,\s]+")


def entry_source(entry: data.Directive) -> Source:
    meta = entry.meta or {}
    return Source(str(meta.get("filename", "<unknown>")), int(meta.get("lineno", 0) or 0))


def units(posting: data.Posting) -> tuple[Decimal, str] | None:
    """The posting's number and currency, if it has both (plugins run after booking)."""
    if posting.units is None or not isinstance(posting.units.number, Decimal):
        return None
    return posting.units.number, str(posting.units.currency)


def described(narration: str, references: Sequence[str]) -> str:
    """A transaction's narration, followed by the references (invoice and memo ids) it does
    not name: "Payment (INV-ACME-1-20260101)"."""
    missing = [ref for ref in references if ref not in narration]
    return narration + (f" ({' '.join(missing)})" if missing else "")


def ids_in(value: Any) -> list[str]:
    return [part for part in ID_SEPARATORS.split(str(value)) if part]


def is_zero_invoice(entry: data.Transaction) -> bool:
    """A compiled invoice (it has `due-date`) whose discounts bring its total to zero: still
    an invoice, with nothing to pay."""
    return "invoice-id" in entry.meta and "due-date" in entry.meta


def is_invoice(entry: data.Transaction) -> bool:
    """An invoice: `invoice-id` metadata, no `adjustment`, and a debit to a customer's
    receivable (or a compiled invoice discounted to zero)."""
    return debits_as_invoice(entry, Reader.receivables(entry))


def debits_as_invoice(entry: data.Transaction, receivables: dict[tuple[str, str], Decimal]) -> bool:
    """`is_invoice`, given the sums of the entry's receivable postings."""
    return (
        "invoice-id" in entry.meta
        and entry.meta.get("adjustment") is None
        and any(v > ZERO or (v == ZERO and is_zero_invoice(entry)) for v in receivables.values())
    )


def is_settlement_output(entry: data.Directive) -> bool:
    return isinstance(entry, data.Transaction) and entry.meta.get("adjustment") in (
        SETTLEMENT_GENERATED
    )


class Reader:
    """Turns the entries of a ledger into settlement events (`ref` = index in `entries`)."""

    def __init__(self, entries: Sequence[data.Directive]) -> None:
        self.entries = entries
        self.events: list[Event] = []
        self.problems: list[SettlementProblem] = []
        self.invoice_ids: set[str] = set()  # of the invoices read so far
        # payments with links: (index in `events`, the invoices named otherwise, the links)
        self.linked: list[tuple[int, list[str], list[str]]] = []

    @staticmethod
    def receivables(entry: data.Transaction) -> dict[tuple[str, str], Decimal]:
        sums: dict[tuple[str, str], Decimal] = {}
        for posting in entry.postings:
            if not posting.account.startswith(RECEIVABLE_PARENT):
                continue
            if (number := units(posting)) is not None:
                key = (posting.account, number[1])
                sums[key] = sums.get(key, ZERO) + number[0]
        return sums

    def read(self) -> list[Event]:
        for ref, entry in enumerate(self.entries):
            if isinstance(entry, data.Custom) and entry.type == WRITE_OFF:
                self.write_off(ref, entry)
            elif isinstance(entry, data.Transaction) and not is_settlement_output(entry):
                self.transaction(ref, entry)
        self.name_linked_invoices()
        return self.events

    def name_linked_invoices(self) -> None:
        """Add to each payment the invoices its links name: a link equal to an invoice id, or
        that looks like one (same prefix: reported if it names none). Done once every entry is
        read, as a payment may come before the invoice it names."""
        prefixes = id_prefixes(self.invoice_ids)
        for index, named, links in self.linked:
            named += [
                link for link in links if link in self.invoice_ids or link.startswith(prefixes)
            ]
            payment = self.events[index]
            assert isinstance(payment, PaymentReceived)
            self.events[index] = replace(payment, named=tuple(dict.fromkeys(named)))

    def write_off(self, ref: int, entry: data.Custom) -> None:
        values = [str(v.value) for v in entry.values]
        if len(values) < 2:
            message = f'{WRITE_OFF} needs: ID INVOICE-ID [CUSTOMER [REASON]], got "{values}"'
            self.problems.append(SettlementProblem(ref, message))
            return
        reason = values[3] if len(values) > 3 else ""
        self.events.append(
            WriteOffOrder(ref, entry.date, values[0], values[1], reason, entry_source(entry))
        )

    def transaction(self, ref: int, entry: data.Transaction) -> None:
        held: list[tuple[str, tuple[Decimal, str]]] = []  # wallet and contra postings
        receivables: dict[tuple[str, str], Decimal] = {}
        for posting in entry.postings:
            account = posting.account
            if not account.startswith(SETTLED_PARENTS):  # most postings: one test
                continue
            if (number := units(posting)) is None:
                continue
            if account.startswith(RECEIVABLE_PARENT):
                key = (account, number[1])
                receivables[key] = receivables.get(key, ZERO) + number[0]
            else:
                held.append((account, number))
        if not held and not receivables:
            return  # most often a revenue release
        meta = entry.meta
        kind = meta.get("adjustment")
        source = entry_source(entry)
        invoice_id = str(meta["invoice-id"]) if "invoice-id" in meta else None
        if invoice_id is not None and debits_as_invoice(entry, receivables):
            self.invoice_ids.add(invoice_id)
        for account, number in held:
            funded = invoice_id if kind is None and number[0] < ZERO else None
            lot = meta.get("credit-id") or meta.get("memo-id") or invoice_id or str(entry.date)
            self.events.append(
                BalanceMove(
                    ref,
                    entry.date,
                    account,
                    number[1],
                    -number[0],
                    str(lot),
                    funded,
                    str(meta.get("refund-id", "?")) if kind == REFUND else None,
                    source,
                )
            )
        for (account, currency), amount in sorted(receivables.items()):
            if amount == ZERO and not (kind is None and is_zero_invoice(entry)):
                continue
            if kind in (CREDIT_MEMO, DEBIT_MEMO):
                self.events.append(
                    MemoPosted(
                        ref,
                        entry.date,
                        str(meta.get("memo-id", "")),
                        kind == CREDIT_MEMO,
                        invoice_id or "",
                        account,
                        currency,
                        abs(amount),
                        source,
                        str(meta.get(MEMO_GIVEN, "")),
                        any(p.account.startswith(SALES_TAX) for p in entry.postings),
                    )
                )
            elif amount >= ZERO:
                self.invoice(ref, entry, source, account, currency, amount, invoice_id)
            else:
                self.payment(ref, entry, source, account, currency, -amount)

    def invoice(
        self,
        ref: int,
        entry: data.Transaction,
        source: Source,
        account: str,
        currency: str,
        total: Decimal,
        invoice_id: str | None,
    ) -> None:
        if invoice_id is None:
            self.problems.append(
                SettlementProblem(
                    ref,
                    f"a debit to {account} is an invoice and needs invoice-id metadata (a "
                    "payment credits the receivable)",
                )
            )
            return
        due = entry.meta.get("due-date")
        self.events.append(
            Issued(
                ref,
                entry.date,
                invoice_id,
                str(entry.meta.get("customer") or component(account)),
                entry.payee or "",
                account,
                currency,
                total,
                due if isinstance(due, datetime.date) else entry.date,
                source,
            )
        )

    def payment(
        self,
        ref: int,
        entry: data.Transaction,
        source: Source,
        account: str,
        currency: str,
        amount: Decimal,
    ) -> None:
        named: list[str] = []
        if "invoice-id" in entry.meta:
            named += ids_in(entry.meta["invoice-id"])
        for posting in entry.postings:
            if posting.account == account and posting.meta and "invoice-id" in posting.meta:
                named += ids_in(posting.meta["invoice-id"])
        if "invoice-id" not in entry.meta and (key := misspelt_invoice_id(entry.meta)):
            links = " ".join(f"^{link}" for link in sorted(entry.links or ()))
            then = (
                (f"its links {links} name" if len(entry.links) > 1 else f"its link {links} names")
                + " what it pays"
                if entry.links
                else "without one it pays the oldest open invoices (FIFO)"
            )
            self.problems.append(
                SettlementProblem(
                    ref,
                    f'payment has metadata "{key}": did you mean "invoice-id"? Only invoice-id '
                    f"(or a link) names the invoices a payment pays; {then}",
                )
            )
        if entry.links:
            self.linked.append((len(self.events), named, sorted(entry.links)))
        self.events.append(
            PaymentReceived(
                ref,
                entry.date,
                entry.payee or "",
                account,
                currency,
                amount,
                tuple(dict.fromkeys(named)),
                source,
            )
        )


def id_prefixes(invoice_ids: Iterable[str]) -> tuple[str, ...]:
    """The prefixes of `invoice_ids` ("INV-" of INV-ACME-1-20260101): what a name that looks
    like an invoice id starts with."""
    return tuple({i.split("-", 1)[0] + "-" for i in invoice_ids if "-" in i})


def misspelt_invoice_id(meta: dict[str, Any]) -> str | None:
    """A metadata key that looks like `invoice-id` misspelt (`invoice_id`, `invoiceId`,
    `invoice`, `invoce-id`), if any."""
    for key in meta:
        flat = key.replace("-", "").replace("_", "").lower()
        if flat == "invoice" or difflib.SequenceMatcher(None, flat, "invoiceid").ratio() >= 0.9:
            return key
    return None


EVENT_NAMES: dict[type, str] = {PaymentReceived: "payment", Issued: "invoice", MemoPosted: "memo"}


def account_of(event: Event) -> str | None:
    """The customer account `event` posts to (None: a write-off order names an invoice)."""
    if isinstance(event, BalanceMove):
        return event.account
    return None if isinstance(event, WriteOffOrder) else event.receivable


def unopened_accounts(
    events: Sequence[Event], opened: Collection[str], problems: Sequence[SettlementProblem]
) -> list[SettlementProblem]:
    """A problem for each customer account the events post to that the ledger never opens
    (no customer file names it), at its first entry, unless one of its entries has a problem
    already. Settlement opens such an account itself for what it generates, so without it a
    misspelt account in a bank import would become a customer of its own, silently, with the
    payment as its unapplied cash."""
    unopened: dict[str, list[Event]] = {}
    for event in events:
        account = account_of(event)
        if account is not None and account not in opened:
            unopened.setdefault(account, []).append(event)
    reported = {problem.ref for problem in problems}
    found = []
    for account, posting in unopened.items():
        if any(event.ref in reported for event in posting):
            continue
        first = min(posting, key=lambda event: event.ref)
        parent = account.rsplit(":", 1)[0] + ":"
        siblings = [a for a in opened if a.startswith(parent)]
        others = len(posting) - 1
        more = f" (and {others} more {'entry' if others == 1 else 'entries'})" if others else ""
        found.append(
            SettlementProblem(
                first.ref,
                f"{EVENT_NAMES.get(type(first), 'entry')}{more} posts to {account}, an account "
                f"the ledger never opens: no customer of the books has it"
                f"{meant_note(account, siblings)}. If its customer's file has a problem, fix "
                "that first (a file with a problem is left out whole); else correct the "
                "account. Until then it is settled as a customer of its own",
            )
        )
    return found


def read_settlement(entries: Sequence[data.Directive]) -> Settlement:
    """Settle the books: the entries as loaded (with or without the settlement plugin)."""
    reader = Reader(entries)
    active = ActiveAccounts(entries)
    events = reader.read()
    settlement = settle(events, active.inactive_on)
    settlement.problems[:0] = reader.problems
    settlement.problems += unopened_accounts(events, active.opens, settlement.problems)
    return settlement


# --- Writing back ---------------------------------------------------------------------------


class SettlementConverter(Converter):
    """Generated entries get a synthetic filename after what they came from: the generated
    invoice's (already synthetic) or the hand-written payment's, relative to `root`."""

    def relative(self, file: str) -> str:
        if file.startswith(GENERATED_PREFIX) and file.endswith(">"):
            return file[len(GENERATED_PREFIX) : -1]
        return super().relative(file)


def with_status(
    ref: int, entry: data.Transaction, settlement: Settlement, as_of: datetime.date
) -> data.Transaction:
    invoice = settlement.invoices.get(str(entry.meta.get("invoice-id")))
    if invoice is None or invoice.issued.ref != ref or invoice.issued.date > as_of:
        return entry
    meta = dict(entry.meta)
    balances = invoice.balances(as_of)
    meta["status"] = invoice.status(as_of, balances)
    meta["open-balance"] = beancount_amount(balances.open, invoice.issued.currency)
    meta["status-date"] = as_of
    return entry._replace(meta=meta)


def with_applications(entry: data.Transaction, applied: list[PaymentApplied]) -> data.Transaction:
    """A payment whose receivable posting is split per invoice it paid (posting metadata
    `invoice-id`), with `applied-to` (and `beanbill-fifo` when it named no invoice)."""
    meta_id = ids_in(entry.meta.get("invoice-id", ""))
    if len(meta_id) == 1 and all(
        not a.fifo and all(i == meta_id[0] for i, _ in a.parts) for a in applied
    ):
        return entry
    postings: list[data.Posting] = []
    replaced: set[tuple[str, str]] = set()
    by_key = {(a.receivable, a.currency): a for a in applied}
    for posting in entry.postings:
        key = (posting.account, posting.units.currency if posting.units else "")
        application = by_key.get(key)
        if application is None:
            postings.append(posting)
            continue
        if key in replaced:
            continue
        replaced.add(key)
        for invoice_id, part in application.parts:
            meta = dict(posting.meta or {})
            meta["invoice-id"] = invoice_id
            postings.append(posting._replace(units=beancount_amount(-part, key[1]), meta=meta))
        if application.overpaid:
            meta = {k: v for k, v in (posting.meta or {}).items() if k != "invoice-id"}
            if len(application.named) == 1:  # as the overpayment's reclass says
                meta["invoice-id"] = application.named[0]
            postings.append(
                posting._replace(
                    units=beancount_amount(-application.overpaid, key[1]), meta=meta or None
                )
            )
    meta = dict(entry.meta)
    parts = [f"{i} {p} {a.currency}" for a in applied for i, p in a.parts]
    overpaid = [f"overpayment {a.overpaid} {a.currency}" for a in applied if a.overpaid]
    meta["applied-to"] = ", ".join(parts + overpaid)
    if any(a.fifo for a in applied):
        meta["beanbill-fifo"] = True
    links = entry.links | {i for a in applied for i, _ in a.parts}
    return entry._replace(meta=meta, postings=postings, links=frozenset(links))


def opens_needed(
    existing: Sequence[data.Directive], new: Sequence[data.Transaction]
) -> list[data.Open]:
    """Opens for the accounts the generated entries use that nothing opened, on first use."""
    opened = {e.account for e in existing if isinstance(e, data.Open)}
    first: dict[str, data.Transaction] = {}
    for entry in sorted(new, key=lambda e: e.date):
        for posting in entry.postings:
            if posting.account not in opened and posting.account not in first:
                first[posting.account] = entry
    opens = []
    for account, entry in sorted(first.items()):
        meta = data.new_metadata(entry.meta["filename"], entry.meta["lineno"])
        meta[SOURCE_KEY] = entry.meta[SOURCE_KEY]
        opens.append(data.Open(meta, entry.date, account, [], None))
    return opens


def write_back(
    entries: list[data.Directive],
    settlement: Settlement,
    as_of: datetime.date,
    root: str,
) -> list[data.Directive]:
    """The entries with each invoice's status, each split payment, and the generated entries
    (and the Opens they need) added."""
    by_ref: dict[int, list[PaymentApplied]] = {}
    for applied in settlement.payments:
        by_ref.setdefault(applied.ref, []).append(applied)
    result: list[data.Directive] = []
    for ref, entry in enumerate(entries):
        if isinstance(entry, data.Transaction):
            if ref in by_ref:
                entry = with_applications(entry, by_ref[ref])
            elif "invoice-id" in entry.meta and entry.meta.get("adjustment") is None:
                entry = with_status(ref, entry, settlement, as_of)
        result.append(entry)
    converter = SettlementConverter(root)
    new = [converter.transaction(entry) for entry in settlement.entries]
    # A recovery shares its payment's date and line: placed first, Beancount's stable sort
    # keeps it before the payment (the write-off undone, then paid), as statements list them.
    recovered = [e for e in new if e.meta.get("adjustment") == RECOVERED]
    others = [e for e in new if e.meta.get("adjustment") != RECOVERED]
    return [*recovered, *result, *opens_needed(entries, new), *others]
