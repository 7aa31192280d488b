"""What a change does to the books, for its review: the invoices, memos and other adjustments
(wallet credits, refunds, write-offs) of two versions of the same books compared (added,
removed, changed, or only their settlement status moved), and the revenue recognised per month
that moved.

An invoice or memo is "changed" when what it bills changes: its date, amounts, lines and
their metadata. Where its clause sits in the YAML (`beanbill-source`, which moves when lines
are added above it) and its settlement status (`status`, `open-balance`, `status-date`) are
left out of that comparison; a status that moved is listed on its own.
"""

from __future__ import annotations

import datetime
import difflib
import itertools
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple

from beancount.core import data
from beancount.parser import printer

from beanbill.adjustments import CREDIT_MEMO, DEBIT_MEMO, REFUND, WALLET_CREDIT, WRITTEN_OFF
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
    what: str = ""  # a changed one: what differs ("amounts", "line order", "due-date"...)


class RevenueChange(NamedTuple):
    month: str  # YYYY-MM
    currency: str
    before: Decimal
    after: Decimal


def revenue_changes(
    before: Iterable[data.Directive], after: Iterable[data.Directive]
) -> list[RevenueChange]:
    """The months whose net revenue (all Income accounts, less Sales Returns and Allowances)
    differs, per currency."""
    old = {(m.month, m.currency): m.net for m in waterfall(revenue_rows(before))}
    new = {(m.month, m.currency): m.net for m in waterfall(revenue_rows(after))}
    return [
        RevenueChange(month, currency, old.get(key, ZERO), new.get(key, ZERO))
        for key in sorted(set(old) | set(new))
        for month, currency in [key]
        if old.get(key, ZERO) != new.get(key, ZERO)
    ]


# the metadata key of each kind of adjustment's id
ADJUSTMENT_IDS = {
    CREDIT_MEMO: "memo-id",
    DEBIT_MEMO: "memo-id",
    WALLET_CREDIT: "credit-id",
    REFUND: "refund-id",
    WRITTEN_OFF: "write-off-id",
}


def billed_documents(entries: Iterable[data.Directive]) -> dict[str, data.Transaction]:
    """The invoices and the adjustments of the books (memos, wallet credits, refunds,
    write-offs), by id."""
    found = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        key = ADJUSTMENT_IDS.get(str(entry.meta.get("adjustment")))
        if key is not None and key in entry.meta:
            found[str(entry.meta[key])] = entry
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
    """What the entry moves on the customer's receivable: "1193.24 USD"; for one that moves
    none (a wallet credit, a refund), what it moves in all, its debits."""
    sums: dict[str, Decimal] = {}
    debits: dict[str, Decimal] = {}
    for posting in entry.postings:
        number = units(posting)
        if number is None:
            continue
        if posting.account.startswith(RECEIVABLE_PARENT):
            sums[number[1]] = sums.get(number[1], ZERO) + number[0]
        elif number[0] > ZERO:
            debits[number[1]] = debits.get(number[1], ZERO) + number[0]
    return ", ".join(
        f"{amount} {currency}" for currency, amount in sorted((sums or debits).items())
    )


def status(entry: data.Transaction) -> str:
    return str(entry.meta.get("status", ""))


def without_status(entries: Iterable[data.Directive]) -> list[data.Directive]:
    """`entries` without the settlement's status metadata (`status`, `open-balance`,
    `status-date`): the table of changes says what moved of them, and in a text diff they
    would change on every invoice with each payment imported (`status-date` follows the books'
    last event)."""
    return [
        e._replace(meta={k: v for k, v in e.meta.items() if k not in STATUS})
        if isinstance(e, data.Transaction) and "status-date" in e.meta
        else e
        for e in entries
    ]


def compare(
    before: Iterable[data.Directive], after: Iterable[data.Directive]
) -> list[DocumentChange]:
    """The invoices and adjustments added, removed, changed or whose status moved, by date
    and id."""
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
        what = ""
        if change == "changed" and was and now:
            what = what_changed(was, now)
            if status(was) != status(now):  # e.g. amounts raised: paid invoices now owe
                what += f", status {status(was)} to {status(now)}"
        changes.append(
            DocumentChange(change, document_id, entry.date, customer, before_text, after_text, what)
        )
    return sorted(changes, key=lambda c: (c.date, c.id))


def what_changed(was: data.Transaction, now: data.Transaction) -> str:
    """What differs between two versions of an invoice or adjustment, in a few words: its
    date, narration, metadata keys, and of its lines their amounts, else their details
    (service dates, pricing...), else only their order (the clauses reordered in the YAML:
    the document lists its lines in another order)."""
    found = ["date"] if was.date != now.date else []
    if (was.payee, was.narration) != (now.payee, now.narration):
        found.append("narration")
    ignored = LOCATION | set(STATUS)
    keys = {*was.meta, *now.meta} - ignored
    found += sorted(k for k in keys if was.meta.get(k) != now.meta.get(k))
    before, after = lines(was), lines(now)
    if before != after:
        if sorted(before) == sorted(after):
            found.append("line order")
        elif sorted(line[:2] for line in before) != sorted(line[:2] for line in after):
            found.append("amounts")
        else:
            found.append("line details")
    return ", ".join(found)


def lines(entry: data.Transaction) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """Each posting's account, amount and metadata (but where its clause sits)."""
    return [
        (
            p.account,
            str(p.units),
            tuple(sorted((k, str(v)) for k, v in (p.meta or {}).items() if k not in LOCATION)),
        )
        for p in entry.postings
    ]


Opcode = tuple[str, int, int, int, int]  # difflib's: tag, a start, a end, b start, b end


def text_diff(
    before: Iterable[str], after: Iterable[str], from_file: str, to_file: str, context: int = 3
) -> Iterator[str]:
    """A unified diff of two texts written entry by entry (`before` and `after` are their
    chunks: an entry, or the blank line between two). The entries are matched first, then
    the lines of those that differ. difflib's diff of the whole text skips the lines that
    occur most often (`status-date: …`, `product: "api-calls"`) when it aligns the two, and
    so showed unchanged lines as removed and added again."""
    a_lines, a_starts = _entry_lines(before)
    b_lines, b_starts = _entry_lines(after)
    a_entries = ["".join(a_lines[s:e]) for s, e in itertools.pairwise(a_starts)]
    b_entries = ["".join(b_lines[s:e]) for s, e in itertools.pairwise(b_starts)]
    codes: list[Opcode] = []
    entries = difflib.SequenceMatcher(None, a_entries, b_entries, autojunk=False)
    for entry_tag, i1, i2, j1, j2 in entries.get_opcodes():
        a1, a2, b1, b2 = a_starts[i1], a_starts[i2], b_starts[j1], b_starts[j2]
        if entry_tag == "equal":
            codes.append(("equal", a1, a2, b1, b2))
            continue
        lines = difflib.SequenceMatcher(None, a_lines[a1:a2], b_lines[b1:b2], autojunk=False)
        for line_tag, k1, k2, m1, m2 in lines.get_opcodes():
            codes.append((line_tag, a1 + k1, a1 + k2, b1 + m1, b1 + m2))
    merged: list[Opcode] = []
    for code in codes:
        if merged and code[0] == merged[-1][0] == "equal":
            merged[-1] = ("equal", merged[-1][1], code[2], merged[-1][3], code[4])
        else:
            merged.append(code)
    started = False
    for group in _grouped(merged, context):
        if not started:
            yield f"--- {from_file}\n+++ {to_file}\n"
            started = True
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a_lines[i1:i2])
                continue
            yield from ("-" + line for line in a_lines[i1:i2])
            yield from ("+" + line for line in b_lines[j1:j2])


def _entry_lines(chunks: Iterable[str]) -> tuple[list[str], list[int]]:
    """The text's lines, and the index of each entry's first line (and one past the last):
    an entry and the blank line after it count as one, so that entries are unique."""
    lines: list[str] = []
    starts: list[int] = []
    for chunk in chunks:
        if chunk != "\n" or not starts:
            starts.append(len(lines))
        lines += chunk.splitlines(keepends=True)
    return lines, [*starts, len(lines)]


def _grouped(codes: list[Opcode], context: int) -> Iterator[list[Opcode]]:
    """The changes in hunks, with `context` unchanged lines around each (difflib's
    `get_grouped_opcodes`, over opcodes made here)."""
    if not codes:
        return
    tag, i1, i2, j1, j2 = codes[0]
    if tag == "equal":
        codes[0] = (tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2)
    tag, i1, i2, j1, j2 = codes[-1]
    if tag == "equal":
        codes[-1] = (tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context))
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _range(start: int, stop: int) -> str:
    """A unified diff's line range, as difflib writes it."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"
