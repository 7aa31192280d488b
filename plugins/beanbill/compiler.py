"""Contracts folder → Beancount directives: the pipeline shared by the plugin and the CLI.

load & validate → billing engine → accounting rules (invoices, then the customers'
adjustments: memos, wallet credits, refunds, write-off declarations) → Beancount directives.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from beancount.core import data

from beanbill.adjustments import customer_adjustments
from beanbill.billing import AccruedLine, Engine
from beanbill.ledger import Converter
from beanbill.load import FolderTexts, load_folder_texts, read_folder
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
    invoice_count: int
    problems: list[Problem]
    files_read: tuple[str, ...]


def default_until(today: datetime.date | None = None) -> datetime.date:
    """The default billing horizon: the end of the current year."""
    today = today or datetime.date.today()
    return datetime.date(today.year, 12, 31)


def compile_folder(folder: str, until: datetime.date, opened: AbstractSet[str]) -> Compiled:
    """Compile a contracts folder into directives (accounts in `opened` are not re-opened)."""
    return compile_texts(read_folder(folder), until, opened)


def compile_texts(texts: FolderTexts, until: datetime.date, opened: AbstractSet[str]) -> Compiled:
    """Compile what `read_folder` read of a contracts folder."""
    contracts, problems = load_folder_texts(texts)
    if contracts is None:
        return Compiled([], 0, problems, (texts.folder,))
    engine = Engine(contracts, until)
    converter = Converter(os.path.dirname(texts.folder))
    to_open = AccountsToOpen(books_start(contracts))
    invoices: list[data.Transaction] = []
    adjustments: list[data.Transaction] = []
    accrued: list[AccruedLine] = []
    declarations = revenue_rule_declarations(contracts)
    # One customer at a time: its invoices become directives, and its billing model is dropped,
    # before the next customer is billed. Holding every customer's invoice lines until the end
    # made the compile's memory, and its time, grow faster than the books at scale.
    for customer in contracts.customers:
        customer_invoices, customer_accrued = engine.bill_customer(customer)
        adjusted = customer_adjustments(customer, customer_invoices, contracts.catalog)
        invoices += [
            converter.transaction(to_open.note(e)) for e in invoice_entries(customer_invoices)
        ]
        adjustments += [converter.transaction(to_open.note(e)) for e in adjusted.entries]
        accrued += customer_accrued
        declarations += adjusted.declarations
        problems += adjusted.problems
    # In date and id order, as `bill` gives them: Beancount's sort keeps this order among the
    # entries it ranks equal, so the plugin's entries come in the same order however billed.
    invoices.sort(key=lambda t: (t.date, t.meta["invoice-id"]))
    accruals = [
        converter.transaction(to_open.note(e)) for e in accrual_entries(accrued, contracts.catalog)
    ]
    directives: list[data.Directive] = [
        *(converter.open(o) for o in to_open.opens() if o.account not in opened),
        *(converter.custom(declaration) for declaration in declarations),
        *invoices,
        *accruals,
        *adjustments,
    ]
    return Compiled(
        directives,
        len(invoices),
        sorted([*problems, *engine.finish()]),
        contracts.files_read,
    )
