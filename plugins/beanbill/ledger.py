"""The thin layer between beanbill's plain data and Beancount's types.

Generated directives carry a synthetic filename, `<beanbill:contracts/customers/acme.yaml>`,
so Fava treats them as generated and never offers to edit the YAML through them; the real
`file:line` of the contract clause is kept in the `beanbill-source` metadata for auditors.
"""

from __future__ import annotations

import contextlib
import gc
import os
import traceback
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import amount as bc_amount
from beancount.core import data
from beancount.parser.grammar import ValueType

from beanbill.journal import Declaration, Entry, Meta, OpenAccount
from beanbill.model import Source
from beanbill.problems import Problem

SOURCE_KEY = "beanbill-source"
GENERATED_PREFIX = "<beanbill:"  # the synthetic filename of every generated directive
RECOGNITION_FILE = f"{GENERATED_PREFIX}recognition>"  # that of the revenue releases


class BeanbillError(NamedTuple):
    """A problem in beanbill's input, reported where the user can fix it."""

    source: dict[str, Any]
    message: str
    entry: data.Directive | None


@contextlib.contextmanager
def paused_garbage_collector() -> Iterator[None]:
    """Generating entries allocates millions of small objects and frees almost none: the cyclic
    collector would rescan them again and again for nothing, while a plugin runs and for the
    rest of the load. So it is paused, and what survives the plugin is then frozen out of its
    reach (`gc.freeze`); those objects hold no reference cycles and are still freed, by
    reference counting, when Fava reloads the books."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def internal_error(plugin: str, error: Exception) -> BeanbillError:
    """A bug of beanbill's own, reported as one clear error instead of a traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    message = (
        f"{plugin}: internal error {type(error).__name__}: {error}{where}. This is a bug in "
        "beanbill, not in your books: please report it with the input that caused it."
    )
    return BeanbillError(data.new_metadata(f"<{plugin}>", 0), message, None)


_NEW_TUPLE = tuple.__new__


def amount(number: Decimal, currency: str) -> bc_amount.Amount:
    """Beancount's `Amount(number, currency)`, built without its constructor's debugging
    assertions (that the number is a Decimal and the currency a string: beanbill's always
    are). Generated books build a million of them, and the assertions were a tenth of a
    plugin's time."""
    built: bc_amount.Amount = _NEW_TUPLE(bc_amount.Amount, (number, currency))
    return built


def error_meta(source: Source) -> dict[str, Any]:
    return data.new_metadata(source.file, source.line)


def to_error(problem: Problem) -> BeanbillError:
    return BeanbillError(error_meta(problem.source), problem.message, None)


class Converter:
    """Turns journal entries into Beancount directives, naming sources relative to `root`."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._relative: dict[str, str] = {}
        self._where: dict[Source, tuple[str, int, str]] = {}

    def relative(self, file: str) -> str:
        if file not in self._relative:  # once per file: relpath is slow, entries are many
            try:
                self._relative[file] = os.path.relpath(file, self.root)
            except ValueError:  # pragma: no cover - another drive on Windows
                self._relative[file] = file
        return self._relative[file]

    def where(self, source: Source) -> tuple[str, int, str]:
        """The synthetic filename, the line and the real `file:line` of a contract clause."""
        where = self._where.get(source)
        if where is None:  # once per contract clause: each has many entries
            relative = self.relative(source.file)
            where = (f"{GENERATED_PREFIX}{relative}>", source.line, f"{relative}:{source.line}")
            self._where[source] = where
        return where

    def meta(self, source: Source) -> dict[str, Any]:
        """A new metadata dict: the synthetic filename, the line and the real `file:line`."""
        filename, lineno, real = self.where(source)
        return {"filename": filename, "lineno": lineno, SOURCE_KEY: real}

    def posting_meta(self, meta: Meta, source: Source | None) -> dict[str, Any] | None:
        """A posting's metadata: its clause's real `file:line` first, when it has its own."""
        if source is None:
            return dict(meta) if meta else None
        return {SOURCE_KEY: self.where(source)[2], **meta}

    def transaction(self, entry: Entry) -> data.Transaction:
        meta = self.meta(entry.source)
        meta.update(entry.meta)
        # Beancount's Posting and Transaction built as Amount is (see `amount`): a year of
        # books has hundreds of thousands of postings.
        postings = [
            _NEW_TUPLE(
                data.Posting,
                (
                    account,
                    _NEW_TUPLE(bc_amount.Amount, (number, currency)),
                    None,
                    None,
                    None,
                    self.posting_meta(posting_meta, source),
                ),
            )
            for account, number, currency, posting_meta, source in entry.postings
        ]
        transaction: data.Transaction = _NEW_TUPLE(
            data.Transaction,
            (
                meta,
                entry.date,
                "*",
                entry.payee,
                entry.narration,
                data.EMPTY_SET,
                frozenset(entry.links),
                postings,
            ),
        )
        return transaction

    def open(self, account: OpenAccount) -> data.Open:
        return data.Open(self.meta(account.source), account.date, account.account, [], None)

    def custom(self, declaration: Declaration) -> data.Custom:
        values = [ValueType(value, str) for value in declaration.values]
        return data.Custom(
            self.meta(declaration.source), declaration.date, declaration.type, values
        )


def sort_key(entry: data.Directive) -> tuple[Any, ...]:
    """The order of the compiled text and of an export: the date and kind of entry as
    Beancount orders them, beanbill's generated entries before the ledger's own (an invoice
    before the payment of it that day), then what the entry is about (its account, invoice id
    or contract, or a custom entry's first value), and only then its file and line. So an
    edit that shifts the lines of one file moves no entry of another file: not in the text,
    not in a diff of it, and not in the journal numbers of an export."""
    date, kind, line = data.entry_sortkey(entry)
    filename = str(entry.meta.get("filename", ""))
    about = (
        getattr(entry, "account", None)
        or entry.meta.get("invoice-id")
        or entry.meta.get("contract")
        or (entry.values[0].value if isinstance(entry, data.Custom) and entry.values else "")
    )
    return (date, kind, not filename.startswith(GENERATED_PREFIX), str(about), filename, line)


def in_contracts(errors: Sequence[Any], options: dict[str, Any]) -> int:
    """How many of `errors` are the contracts plugin's at a contract file (the files it read):
    problems that leave a customer file out. Other plugins' errors may sit at a contract
    line too (a closed month's invoice that changed, a memo above the open balance), but
    leave nothing out."""
    files = {f for f in options.get("include", []) if not f.endswith(".beancount")}
    return sum(
        1
        for error in errors
        if isinstance(error, BeanbillError) and (error.source or {}).get("filename") in files
    )
