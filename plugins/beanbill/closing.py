"""The period lock (docs/accounting-rules.md, "Period close"): what `beanbill close YYYY-MM`
writes, and the check that a closed month has not moved since.

A close is a Beancount file, `closed/YYYY-MM.beancount` beside the ledger, of:

- `custom "beanbill-closed" "YYYY-MM"` on the month's last day;
- `custom "beanbill-invoice" "<invoice id>" "<digest>"` on the date of each invoice dated in
  the month: the SHA-256 of what the invoice says (see `invoice_digest`);
- `custom "beanbill-memos" "YYYY-MM" "<count>"` on the month's last day and
  `custom "beanbill-memo" "<memo id>" "<digest>"` on the date of each credit or debit memo
  dated in the month (`memo_digest`); closes written before memos were locked have neither;
- a `balance` assertion on the next month's first day for every account posted to by then,
  in every currency it has held (zero included). As Beancount checks a `balance`, an
  account's balance includes its sub-accounts'.

Beancount itself checks the balances; `lock_problems` (run by the `close` plugin) checks the
digests, reports an invoice or memo dated in a closed month that the close does not know, and
says in one problem per month which closed balances moved and what to do about it.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import data
from beancount.ops.balance import get_balance_tolerance

from beanbill.books import is_invoice, units
from beanbill.ledger import RECOGNITION_FILE
from beanbill.periods import add_months, month_end
from beanbill.problems import shown
from beanbill.rules import TO_BE_INVOICED

CLOSED = "beanbill-closed"
INVOICE_DIGEST = "beanbill-invoice"
JOURNAL_DIGEST = "beanbill-journal"
MEMO_DIGEST = "beanbill-memo"
MEMOS = "beanbill-memos"  # the month's memos are locked: their count
HOW_TO_CORRECT = (
    "a closed month does not change: undo the edit, and date any correction in an open period "
    "(a credit or debit memo for what was billed, a transaction for cash)"
)
# Where to look for what moved a closed month.
WHAT_MOVED = (
    "`beanbill diff` lists the invoices and memos that changed, `git diff` the hand-written "
    "entries, such as payments"
)
LOCK_TYPES = (CLOSED, INVOICE_DIGEST, JOURNAL_DIGEST, MEMO_DIGEST, MEMOS)
LISTED = 5  # moved balances named in a problem; the rest are counted
# What an invoice says: its date, links, these metadata, and every posting (account, amount
# and the posting's metadata). Not its narration (a customer may change its name), nor what
# the settlement adds (status, open balance), nor where it was written (file, line, source).
INVOICE_KEYS = ("invoice-id", "customer", "contract", "due-date")
# What a memo says, the same way: these metadata, and its postings.
MEMO_KEYS = ("memo-id", "invoice-id", "customer", "contract", "adjustment", "reason")
NOT_DIGESTED = frozenset({"filename", "lineno", "beanbill-source"})
# A consolidated invoice's lines name their contract since the tenth session: what the
# invoice's own `contract` already says, left out so that older closes still hold. Likewise
# what a line's metadata explains of its amount for its documents (since the thirteenth):
# `proration` is worked out from the line's service dates and price, which are digested;
# `usage` and `free-units` say how the digested `quantity` was reached; `price-includes`
# names the inclusive taxes whose postings are digested; `renewal` (since the fourteenth) says
# how the digested `unit-price` was raised from the signed one; `taxable` (since the
# fourteenth) on a tax posting is the sum of the digested lines it taxes.
EXPLANATORY = frozenset(
    {"proration", "usage", "free-units", "price-includes", "renewal", "taxable"}
)
POSTING_NOT_DIGESTED = NOT_DIGESTED | {"contract"} | EXPLANATORY


class Closing(NamedTuple):
    """What a close locks: the books at the end of `month` (its first day)."""

    month: datetime.date
    balances: list[tuple[str, str, Decimal]]  # (account, currency, balance), sorted
    invoices: list[tuple[datetime.date, str, str]]  # (date, invoice id, digest), sorted
    journal: tuple[int, str]  # the month's transactions: how many, and their digest
    memos: list[tuple[datetime.date, str, str]]  # (date, memo id, digest), sorted


class LockProblem(NamedTuple):
    entry: data.Directive
    message: str
    # The close's own balance assertions this problem reports: the close plugin takes them
    # out of the books, so that Beancount does not report each of them again.
    replaces: tuple[data.Balance, ...] = ()


def month_label(day: datetime.date) -> str:
    return day.strftime("%Y-%m")


def invoice_digest(entry: data.Transaction) -> str:
    """SHA-256 of what an invoice says, written out line by line in a fixed order."""
    return document_digest(entry, INVOICE_KEYS)


def memo_digest(entry: data.Transaction) -> str:
    """SHA-256 of what a credit or debit memo says, as `invoice_digest`."""
    return document_digest(entry, MEMO_KEYS)


def is_memo(entry: data.Directive) -> bool:
    return isinstance(entry, data.Transaction) and "memo-id" in entry.meta


def document_digest(entry: data.Transaction, keys: Sequence[str]) -> str:
    lines = [f"date {entry.date.isoformat()}", f"links {' '.join(sorted(entry.links or ()))}"]
    lines += [f"{key} {entry.meta[key]}" for key in keys if key in entry.meta]
    for posting in entry.postings:
        lines.append(f"posting {posting.account} {posting.units} {posting.cost} {posting.price}")
        lines += [
            f"  {key} {value}"
            for key, value in sorted((posting.meta or {}).items())
            if key not in POSTING_NOT_DIGESTED and not key.startswith("__")
        ]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def journal_digests(
    entries: Iterable[data.Directive], months: Iterable[datetime.date]
) -> dict[datetime.date, tuple[int, str]]:
    """For each of `months` (their first days), in one pass over the books: how many
    transactions are dated in it, and SHA-256 of what moves money in them: each one's date,
    links and postings (account and amount), in a fixed order. Not their narration, metadata
    or place in the files: a payment moved to another day of the month, or a write-off moved
    to another invoice, changes it though the month's balances stay the same. Revenue
    releases and accruals are left out: worked out from the invoices (each locked) by their
    schedules, they are regrouped when the billing horizon moves (an accrual becomes its
    invoice's release), their sums locked by the balances."""
    lines: dict[datetime.date, list[str]] = {month: [] for month in months}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        month = lines.get(entry.date.replace(day=1))
        if (
            month is None
            or entry.meta.get("filename") == RECOGNITION_FILE
            or TO_BE_INVOICED in entry.meta
        ):
            continue
        postings = sorted(f"{p.account} {p.units} {p.cost} {p.price}" for p in entry.postings)
        links = " ".join(sorted(entry.links or ()))
        month.append(f"{entry.date.isoformat()} {links} | {'; '.join(postings)}")
    return {
        month: (len(found), hashlib.sha256("\n".join(sorted(found)).encode("utf-8")).hexdigest())
        for month, found in lines.items()
    }


def balances_at(
    entries: Sequence[data.Directive], days: Sequence[datetime.date]
) -> Iterator[tuple[datetime.date, dict[tuple[str, str], Decimal]]]:
    """For each of the sorted `days`, the balance Beancount's `balance` would assert on it for
    each account posted to before it, per currency (`asserted_balances`). One pass over books
    sorted by date."""
    own: dict[tuple[str, str], Decimal] = {}
    transactions = (e for e in entries if isinstance(e, data.Transaction))
    pending = next(transactions, None)
    for day in days:
        while pending is not None and pending.date < day:
            for posting in pending.postings:
                number = units(posting)
                if number is not None:
                    key = (posting.account, number[1])
                    own[key] = own.get(key, Decimal(0)) + number[0]
            pending = next(transactions, None)
        yield day, asserted_balances(own)


def asserted_balances(own: dict[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
    """The balance Beancount asserts for each account posted to: its own and its
    sub-accounts', per currency."""
    posted = {account for account, _ in own}
    totals: dict[tuple[str, str], Decimal] = {}
    for (account, currency), number in own.items():
        parts = account.split(":")
        for end in range(len(parts), 0, -1):
            ancestor = ":".join(parts[:end])
            if ancestor in posted:
                key = (ancestor, currency)
                totals[key] = totals.get(key, Decimal(0)) + number
    return totals


def close_dates(entries: Iterable[data.Directive]) -> dict[str, datetime.date]:
    """The date each closed account is closed on."""
    return {e.account: e.date for e in entries if isinstance(e, data.Close)}


def closed_by(closes: dict[str, datetime.date], account: str, day: datetime.date) -> bool:
    return account in closes and closes[account] <= day


def close_month(entries: Sequence[data.Directive], month: datetime.date) -> Closing:
    """The close of `month` (any day of it) for books whose entries are sorted by date."""
    first = month.replace(day=1)
    after = add_months(first, 1)
    closes = close_dates(entries)
    _, totals = next(balances_at(entries, [after]))
    balances = [
        (account, currency, number)
        for (account, currency), number in sorted(totals.items())
        if not closed_by(closes, account, after)
    ]
    invoices = sorted(
        (entry.date, str(entry.meta["invoice-id"]), invoice_digest(entry))
        for entry in entries
        if isinstance(entry, data.Transaction) and first <= entry.date < after and is_invoice(entry)
    )
    memos = sorted(
        (entry.date, str(entry.meta["memo-id"]), memo_digest(entry))
        for entry in entries
        if isinstance(entry, data.Transaction) and is_memo(entry) and first <= entry.date < after
    )
    return Closing(first, balances, invoices, journal_digests(entries, [first])[first], memos)


def format_closing(closing: Closing) -> str:
    """The close as Beancount text (the same books always give the same text)."""
    label = month_label(closing.month)
    last = month_end(closing.month)
    after = add_months(closing.month, 1)
    lines = [
        f";; The close of {label}, written by `beanbill close {label}`: do not edit.",
        ";; Anything that would change the month below fails bean-check; correct a closed month",
        ";; with a credit or debit memo dated in an open period.",
        "",
        f'{last} custom "{CLOSED}" "{label}"',
        "",
        f";; The invoices dated in {label}: SHA-256 of what each says.",
    ]
    lines += [
        f'{day} custom "{INVOICE_DIGEST}" "{invoice_id}" "{digest}"'
        for day, invoice_id, digest in closing.invoices
    ]
    lines += [
        "",
        f";; The credit and debit memos dated in {label}: SHA-256 of what each says.",
        f'{last} custom "{MEMOS}" "{label}" "{len(closing.memos)}"',
    ]
    lines += [
        f'{day} custom "{MEMO_DIGEST}" "{memo_id}" "{digest}"'
        for day, memo_id, digest in closing.memos
    ]
    count, digest = closing.journal
    lines += [
        "",
        f";; The {count} transactions dated in {label}: SHA-256 of dates, links, postings.",
        f'{last} custom "{JOURNAL_DIGEST}" "{label}" "{count}" "{digest}"',
    ]
    lines += ["", f";; Every account's balance at the end of {label}."]
    width = max((len(account) for account, _, _ in closing.balances), default=0)
    lines += [
        f"{after} balance {account.ljust(width)}  {number:f} {currency}"
        for account, currency, number in closing.balances
    ]
    return "\n".join(lines) + "\n"


def lock_problems(
    entries: Sequence[data.Directive], options_map: dict[str, Any]
) -> list[LockProblem]:
    """What moved in the closed months of books whose entries are sorted by date."""
    markers: dict[datetime.date, data.Custom] = {}
    digests: dict[str, data.Custom] = {}
    journals: dict[datetime.date, data.Custom] = {}  # by month (closes before it have none)
    memo_months: set[datetime.date] = set()  # the months whose memos are locked
    memo_digests: dict[str, data.Custom] = {}
    problems: list[LockProblem] = []
    for entry in entries:
        if not isinstance(entry, data.Custom) or entry.type not in LOCK_TYPES:
            continue
        values = [str(v.value) for v in entry.values]
        if entry.type == MEMOS:
            if len(values) != 2 or values[0] != month_label(entry.date) or not values[1].isdigit():
                problems.append(LockProblem(entry, f"{MEMOS} needs: MONTH-OF-ITS-DATE COUNT"))
            else:
                memo_months.add(entry.date.replace(day=1))
            continue
        if entry.type == MEMO_DIGEST:
            if len(values) != 2:
                problems.append(LockProblem(entry, f"{MEMO_DIGEST} needs: MEMO-ID DIGEST"))
            else:
                memo_digests[values[0]] = entry
            continue
        if entry.type == JOURNAL_DIGEST:
            if len(values) != 3 or values[0] != month_label(entry.date) or not values[1].isdigit():
                problems.append(
                    LockProblem(entry, f"{JOURNAL_DIGEST} needs: MONTH-OF-ITS-DATE COUNT DIGEST")
                )
            else:
                journals[entry.date.replace(day=1)] = entry
            continue
        if entry.type == CLOSED:
            if values != [month_label(entry.date)]:
                problems.append(
                    LockProblem(
                        entry, f'{CLOSED} needs the month of its date: "{entry.date:%Y-%m}"'
                    )
                )
                continue
            markers[entry.date.replace(day=1)] = entry
        elif len(values) != 2:
            problems.append(LockProblem(entry, f"{INVOICE_DIGEST} needs: INVOICE-ID DIGEST"))
        else:
            digests[values[0]] = entry
    if not markers and not digests:
        return problems
    moved = invoice_problems(entries, markers, digests)
    moved += memo_problems(entries, memo_months, memo_digests)
    moved += balance_problems(entries, markers, options_map)
    # what changed beyond the invoices and the balances, in the months they say nothing of
    said = {month_of(problem.entry) for problem in moved}
    unsaid = {month: locked for month, locked in journals.items() if month not in said}
    now = journal_digests(entries, unsaid) if unsaid else {}  # closes before it have none
    for month, locked in sorted(unsaid.items()):
        moved += journal_problems(month, locked, *now[month])
    return problems + moved


def month_of(entry: data.Directive) -> datetime.date:
    """The closed month a lock problem is about: that of the close's entry or of the invoice
    it names (a balance at the month's end is dated the next month's first day)."""
    if isinstance(entry, data.Balance):
        return add_months(entry.date.replace(day=1), -1)
    return entry.date.replace(day=1)


def journal_problems(
    month: datetime.date, locked: data.Custom, count: int, digest: str
) -> list[LockProblem]:
    then = int(str(locked.values[1].value))
    if digest == str(locked.values[2].value):
        return []
    return [
        LockProblem(
            locked,
            f"the transactions of the closed month {month:%Y-%m} changed since the close "
            f"({then} then, {count} now), though its invoices and balances did not: one was "
            "moved to another day, or to another invoice, or swapped for another "
            f"({WHAT_MOVED}); {HOW_TO_CORRECT}",
        )
    ]


def invoice_problems(
    entries: Sequence[data.Directive],
    markers: dict[datetime.date, data.Custom],
    digests: dict[str, data.Custom],
) -> list[LockProblem]:
    invoices = (
        (entry, str(entry.meta["invoice-id"]), "invoice")
        for entry in entries
        if isinstance(entry, data.Transaction) and "invoice-id" in entry.meta and is_invoice(entry)
    )
    return document_problems(invoices, markers.keys(), digests, invoice_digest, "invoice")


def memo_problems(
    entries: Sequence[data.Directive],
    months: set[datetime.date],
    digests: dict[str, data.Custom],
) -> list[LockProblem]:
    """A credit or debit memo of a closed month that changed or is gone, and one dated in a
    closed month whose close locked its memos but does not know it."""
    memos = (
        (
            entry,
            str(entry.meta["memo-id"]),
            str(entry.meta.get("adjustment", "memo")).replace("_", " "),
        )
        for entry in entries
        if isinstance(entry, data.Transaction) and is_memo(entry)
    )
    return document_problems(memos, months, digests, memo_digest, "memo")


def document_problems(
    documents: Iterable[tuple[data.Transaction, str, str]],
    months: Container[datetime.date],
    digests: dict[str, data.Custom],
    digest: Callable[[data.Transaction], str],
    gone: str,
) -> list[LockProblem]:
    """The documents (entry, id, what it is: "invoice", "credit memo") of closed months that
    changed since the close (by `digest`) or are gone from the books, and those dated in a
    closed month (one of `months`) that the close does not know. `gone`: what a document
    gone from the books is called."""
    problems = []
    seen: set[str] = set()
    for entry, document_id, what in documents:
        locked = digests.get(document_id)
        if locked is None:
            if entry.date.replace(day=1) in months:
                problems.append(
                    LockProblem(
                        entry,
                        f"{what} {document_id} is dated {entry.date}, in the closed month "
                        f"{entry.date:%Y-%m}, but the close does not know it: {HOW_TO_CORRECT}",
                    )
                )
            continue
        seen.add(document_id)
        if entry.date != locked.date or digest(entry) != str(locked.values[1].value):
            problems.append(
                LockProblem(
                    entry,
                    f"{what} {document_id} of the closed month {locked.date:%Y-%m} changed "
                    f"since the close ({where(locked)}; `beanbill diff` says what changed): "
                    f"{HOW_TO_CORRECT}",
                )
            )
    problems += [
        LockProblem(
            locked,
            f"{gone} {document_id} of the closed month {locked.date:%Y-%m} is no longer in the "
            f"books: {HOW_TO_CORRECT}",
        )
        for document_id, locked in sorted(digests.items())
        if document_id not in seen
    ]
    return problems


def balance_problems(
    entries: Sequence[data.Directive],
    markers: dict[datetime.date, data.Custom],
    options_map: dict[str, Any],
) -> list[LockProblem]:
    """One problem per closed month whose balances moved: an asserted balance that changed,
    or an account that now has a balance, in a currency, that the close does not assert (an
    account or currency new in the month). It `replaces` the close's assertions that fail."""
    afters = sorted(add_months(month, 1) for month in markers)
    asserted: dict[datetime.date, list[data.Balance]] = {day: [] for day in afters}
    for entry in entries:
        if isinstance(entry, data.Balance) and entry.date in asserted:
            asserted[entry.date].append(entry)
    problems = []
    closes = close_dates(entries)
    for after, totals in balances_at(entries, afters):
        month = add_months(after, -1)
        moved: list[str] = []
        first: data.Directive = markers[month]
        close_file = first.meta.get("filename")
        failed: list[data.Balance] = []
        known = set()
        for balance in asserted[after]:
            if balance.meta.get("filename") != close_file:
                continue  # the ledger's own (a bank statement's): Beancount checks it
            currency = balance.amount.currency
            known.add((balance.account, currency))
            now = totals.get((balance.account, currency), Decimal(0))
            tolerance = get_balance_tolerance(balance, options_map)  # type: ignore[no-untyped-call]
            if abs(now - Decimal(balance.amount.number or 0)) > tolerance:
                if not moved:
                    first = balance  # the problem is reported at the first moved balance
                failed.append(balance)
                moved.append(
                    f"{balance.account} was {balance.amount} and is now {now:f} {currency}"
                )
        moved += [
            f"{account} had no balance in {currency} and now has {now:f} {currency}"
            for (account, currency), now in sorted(totals.items())
            if now and (account, currency) not in known and not closed_by(closes, account, after)
        ]
        if not moved:
            continue
        more = f" (and {len(moved) - LISTED} more)" if len(moved) > LISTED else ""
        problems.append(
            LockProblem(
                first,
                f"the closed month {month:%Y-%m} moved: at its end, "
                f"{'; '.join(moved[:LISTED])}{more} (balances at its end sum every month up to "
                f"it, so an edit to any of them moves them; {WHAT_MOVED}); {HOW_TO_CORRECT}",
                tuple(failed),
            )
        )
    return problems


def where(entry: data.Directive) -> str:
    return f"{shown(str(entry.meta.get('filename', '?')))}:{entry.meta.get('lineno', 0)}"
