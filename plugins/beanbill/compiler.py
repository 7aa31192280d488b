"""Contracts folder → Beancount directives: the pipeline shared by the plugin and the CLI.

load & validate → billing engine → accounting rules (invoices, then the customers'
adjustments: memos, wallet credits, refunds, write-off declarations) → Beancount directives.
"""

from __future__ import annotations

import datetime
import itertools
import os
from dataclasses import dataclass

from beancount.core import data

from beanbill.adjustments import adjustment_entries
from beanbill.billing import AccruedLine, Invoice, bill
from beanbill.ledger import Converter
from beanbill.load import load_folder
from beanbill.problems import Problem
from beanbill.rules import (
    AccountsToOpen,
    accrual_entries,
    books_start,
    invoice_entries,
    revenue_rule_declarations,
)


@dataclass(frozen=True)
class Compiled:
    directives: list[data.Directive]  # unsorted: Beancount sorts a plugin's output
    invoices: tuple[Invoice, ...]
    problems: list[Problem]
    files_read: tuple[str, ...]
    accrued: tuple[AccruedLine, ...] = ()  # lines of invoices after the horizon, accrued


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
    converter = Converter(os.path.dirname(os.path.abspath(folder)))
    to_open = AccountsToOpen(books_start(contracts))
    # Each journal entry becomes a directive as soon as it is made, and is dropped: holding
    # them all at once doubled the memory the compile churns through, and its time, at scale.
    transactions = [
        converter.transaction(to_open.note(entry))
        for entry in itertools.chain(
            invoice_entries(billed.invoices),
            accrual_entries(billed.accrued, contracts.catalog),
            adjusted.entries,
        )
    ]
    declarations = revenue_rule_declarations(contracts) + adjusted.declarations
    directives: list[data.Directive] = [
        *(converter.open(o) for o in to_open.opens() if o.account not in opened),
        *(converter.custom(declaration) for declaration in declarations),
        *transactions,
    ]
    return Compiled(
        directives,
        billed.invoices,
        sorted([*problems, *billed.problems, *adjusted.problems]),
        contracts.files_read,
        billed.accrued,
    )
