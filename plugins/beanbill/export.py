"""The general journal for an ERP: every transaction of a period as debit and credit lines,
each account mapped to the ERP's chart.

A map is a YAML file `accounts:` of Beancount account patterns to ERP accounts, tried in
order (`*` matches any run of characters, `:` included):

    accounts:
      "Assets:AccountsReceivable:Customers:*": "1200"
      "Assets:Cash:*": "1000"
      "Income:*": "4000"

With a map, every account the period posts to must match a pattern (else nothing is
exported: an unmapped account would leave the ERP's journal unbalanced or wrong); without one,
accounts keep their Beancount names. A map may also hold the settings of an ERP's import
layout (`erp.py`), under the ERP's name:

    quickbooks: {date_format: "%d/%m/%Y"}
    xero: {tax_rate: BAS Excluded, currency: AUD}
    netsuite: {subsidiary: Demo SaaS Inc.}

A journal is one transaction; its lines balance per currency (debits = credits), which the
export checks. Transactions that convert currencies (a posting at a price or cost) are
refused: an ERP journal is in one currency.
"""

from __future__ import annotations

import datetime
import fnmatch
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

import yaml
from beancount.core import data

from beanbill.books import units
from beanbill.ledger import sort_key
from beanbill.money import currency_hint, known_currencies
from beanbill.problems import meant_hint
from beanbill.yamlread import parser_complaint

ZERO = Decimal(0)


# The settings each ERP's layout takes from the map (erp.py says what they mean).
ERP_SETTINGS: dict[str, frozenset[str]] = {
    "quickbooks": frozenset({"date_format"}),
    "xero": frozenset({"tax_rate", "currency"}),
    "netsuite": frozenset({"date_format", "subsidiary"}),
}
SAMPLE_DATE = datetime.date(2026, 12, 31)


class AccountMap(NamedTuple):
    patterns: tuple[tuple[str, str], ...]  # (Beancount pattern, ERP account), in order
    settings: dict[str, dict[str, str]]  # ERP name → its layout's settings

    def get(self, account: str) -> str | None:
        for pattern, target in self.patterns:
            if fnmatch.fnmatchcase(account, pattern):
                return target
        return None


class JournalLine(NamedTuple):
    journal: str  # "<yyyymmdd>-<n>": the n-th exported transaction of that date
    date: datetime.date
    account: str  # the ERP account (or the Beancount account, without a map)
    beancount_account: str
    debit: Decimal | None
    credit: Decimal | None
    currency: str
    description: str  # the transaction's narration (else its payee)
    reference: str  # its links (invoice, memo ids), space-separated
    customer: str


class ExportProblem(NamedTuple):
    entry: data.Directive | None  # None: a problem of the map
    message: str


class MapError(ValueError):
    """The problems of a map file, each `file: message` (a YAML syntax error `file:line:`)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def read_map(text: str, source: str) -> AccountMap:
    """Parse a map file; raise MapError with every problem found, each naming `source`. Every
    value is read as the text written (YAML's base loader): an ERP account code is a name, and
    YAML's own types would read `0100` as the octal number 64 and `1200.10` as 1200.1."""
    try:
        document = yaml.load(text, Loader=yaml.BaseLoader)  # strings, lists and mappings only
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise MapError([f"{where}: YAML syntax error: {parser_complaint(error)}"]) from error
    except yaml.YAMLError as error:
        raise MapError([f"{source}: not valid YAML ({error})"]) from error
    problems: list[str] = []
    accounts = document.get("accounts") if isinstance(document, dict) else None
    if not isinstance(accounts, dict) or not accounts:
        problems.append(
            f'{source}: needs "accounts:", a mapping of account patterns to ERP accounts'
        )
        accounts = {}
    patterns = []
    for pattern, target in accounts.items():
        if not isinstance(target, str) or target == "":
            problems.append(f"{source}: {pattern!r}: map each account pattern to an ERP account")
        patterns.append((pattern, target))
    settings = {}
    for key, value in document.items() if isinstance(document, dict) else ():
        if key == "accounts":
            continue
        if key not in ERP_SETTINGS:
            known = ", ".join(["accounts", *ERP_SETTINGS])
            hint = meant_hint(key, ["accounts", *ERP_SETTINGS])
            problems.append(f"{source}: unknown key {key!r} ({hint}a map has {known})")
            continue
        settings[key] = read_settings(key, value, source, problems)
    if problems:
        raise MapError(problems)
    return AccountMap(tuple(patterns), settings)


def read_settings(erp: str, value: object, source: str, problems: list[str]) -> dict[str, str]:
    """The settings of `erp` in the map; each problem is added to `problems`."""
    allowed = ERP_SETTINGS[erp]
    if not isinstance(value, dict):
        problems.append(f"{source}: {erp}: give its settings ({', '.join(sorted(allowed))})")
        return {}
    settings = {}
    for key, setting in value.items():
        if key not in allowed:
            problems.append(
                f"{source}: {erp}: unknown setting {key!r} (it takes {', '.join(sorted(allowed))})"
            )
        elif not isinstance(setting, str) or setting == "":
            problems.append(f"{source}: {erp}: {key} must be a text or a number")
        else:
            settings[key] = setting
    date_format = settings.get("date_format")
    if date_format is not None and not reads_back(date_format):
        problems.append(
            f"{source}: {erp}: date_format {date_format!r} does not write a whole date "
            'that reads back (e.g. "%m/%d/%Y")'
        )
    currency = settings.get("currency")
    if currency is not None and currency not in known_currencies():
        problems.append(
            f"{source}: {erp}: currency {currency!r} is not an ISO 4217 currency code"
            f"{currency_hint(currency)}"
        )
    return settings


def reads_back(date_format: str) -> bool:
    """Whether `date_format` (strftime) writes a date from which the same date is read."""
    try:
        text = SAMPLE_DATE.strftime(date_format)
        return datetime.datetime.strptime(text, date_format).date() == SAMPLE_DATE
    except ValueError:
        return False


def journal_lines(
    entries: Iterable[data.Directive],
    since: datetime.date,
    until: datetime.date,
    account_map: AccountMap | None = None,
) -> tuple[list[JournalLine], list[ExportProblem]]:
    """The journal lines of the transactions dated `since` to `until` (both included), in
    `sort_key` order, and what stops the export (nothing is to be exported when there is any)."""
    lines: list[JournalLine] = []
    problems: list[ExportProblem] = []
    unmapped: dict[str, data.Transaction] = {}
    number_of_day: dict[datetime.date, int] = {}
    period = [e for e in entries if isinstance(e, data.Transaction) and since <= e.date <= until]
    for entry in sorted(period, key=sort_key):
        if any(p.cost is not None or p.price is not None for p in entry.postings):
            problems.append(
                ExportProblem(
                    entry, "converts currencies (a posting at a price or cost): not exported"
                )
            )
            continue
        number_of_day[entry.date] = number_of_day.get(entry.date, 0) + 1
        journal = f"{entry.date:%Y%m%d}-{number_of_day[entry.date]}"
        description = entry.narration or entry.payee or ""
        reference = " ".join(sorted(entry.links or ()))
        customer = str(entry.meta.get("customer", ""))
        sums: dict[str, Decimal] = {}
        for posting in entry.postings:
            number = units(posting)
            if number is None or number[0] == ZERO:
                continue
            amount, currency = number
            target = posting.account if account_map is None else account_map.get(posting.account)
            if target is None:
                unmapped.setdefault(posting.account, entry)
                target = ""
            sums[currency] = sums.get(currency, ZERO) + amount
            lines.append(
                JournalLine(
                    journal,
                    entry.date,
                    target,
                    posting.account,
                    amount if amount > ZERO else None,
                    -amount if amount < ZERO else None,
                    currency,
                    description,
                    reference,
                    customer,
                )
            )
        for currency, total in sorted(sums.items()):
            if total != ZERO:
                problems.append(
                    ExportProblem(entry, f"does not balance in {currency} (off by {total})")
                )
    for account, entry in sorted(unmapped.items()):
        first = f'{entry.date} "{entry.narration}"'
        message = f"account {account} (first posted to by {first}) matches no pattern: add one"
        problems.append(ExportProblem(None, message))
    return lines, problems


def totals(lines: Sequence[JournalLine]) -> dict[str, tuple[Decimal, Decimal]]:
    """Debits and credits per currency (equal, for a balanced export)."""
    result: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        debit, credit = result.get(line.currency, (ZERO, ZERO))
        result[line.currency] = (debit + (line.debit or ZERO), credit + (line.credit or ZERO))
    return result
