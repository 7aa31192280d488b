"""Contracts folder → Beancount directives: the pipeline shared by the plugin and the CLI.

load & validate → billing engine → accounting rules (invoices, then the customers'
adjustments: memos, wallet credits, refunds, write-off declarations) → Beancount directives.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from beancount.core import data

from beanbill.adjustments import adjustment_entries
from beanbill.billing import Invoice, bill
from beanbill.ledger import Converter
from beanbill.load import load_folder
from beanbill.problems import Problem
from beanbill.rules import (
    accounts_to_open,
    books_start,
    invoice_entries,
    revenue_rule_declarations,
)


@dataclass(frozen=True)
class Compiled:
    directives: list[data.Directive]
    invoices: tuple[Invoice, ...]
    problems: list[Problem]
    files_read: tuple[str, ...]


def default_until(today: datetime.date | None = None) -> datetime.date:
    """The default billing horizon: the end of the current year."""
    today = today or datetime.date.today()
    return datetime.date(today.year, 12, 31)


def compile_folder(folder: str, until: datetime.date, opened: set[str]) -> Compiled:
    """Compile a contracts folder into directives (accounts in `opened` are not re-opened)."""
    contracts, problems = load_folder(folder)
    if contracts is None:
        return Compiled([], (), problems, (os.path.abspath(folder),))
    billed = bill(contracts, until)
    adjusted = adjustment_entries(contracts, billed.invoices)
    entries = invoice_entries(billed.invoices) + adjusted.entries
    converter = Converter(os.path.dirname(os.path.abspath(folder)))
    directives = converter.directives(
        entries,
        accounts_to_open(entries, books_start(contracts)),
        opened,
        revenue_rule_declarations(contracts) + adjusted.declarations,
    )
    return Compiled(
        directives,
        billed.invoices,
        sorted([*problems, *billed.problems, *adjusted.problems]),
        contracts.files_read,
    )
