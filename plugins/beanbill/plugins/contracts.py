"""Compile the YAML contracts of a folder into invoices, as Beancount entries.

Usage, in the top-level ledger file:

    plugin "beanbill.plugins.contracts" "../contracts"
    plugin "beanbill.plugins.contracts" "{path: ../contracts, until: 2026-12-31}"

Config: the contracts folder (relative to the ledger file), or a YAML mapping with `path` and
`until` (the billing horizon: invoices dated after it are not issued, but what their arrears
lines earned by then is accrued; default: the end of the current year). The folder holds
catalog.yaml, customers/*.yaml and usage/*.csv (see docs/contract-format.md).

The plugin emits the invoice transactions of docs/accounting-rules.md and an Open directive for
each account they use that the ledger does not open. Problems in the contracts are returned as
errors at the YAML or CSV file and line; a customer file with a problem is left out whole.
An entry dated outside the span the ledger opens one of its accounts in (before the Open, or
after a Close) is left out too, with an error at its YAML line.
The files and folders read are added to the `include` option, so Beancount's cache and Fava's
reload notice an edited or added contract or usage file.

Fava reloads the whole ledger whenever any of its files changes (a bank import, a hand-written
entry, a contract) and keeps this module imported between loads. A load that finds the
contracts folder's texts, the horizon and the ledger's opened accounts as they were at that
folder's last compile reuses that compile's directives instead of billing every customer
again (Beancount's directives are immutable, and no plugin changes their metadata in place).
When something changed, the compile reuses what it can of the last one: the catalog and each
customer file whose text is unchanged are not validated again, the usage files are not parsed
again while their texts and the customers they name are unchanged, and a customer whose file,
usage, catalog and horizon are all unchanged is not billed again.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import yaml
from beancount.core import data

from beanbill import model as m
from beanbill.active import ActiveAccounts, SourceFinder
from beanbill.compiler import Compiled, compile_texts, default_until
from beanbill.ledger import BeanbillError, internal_error, paused_garbage_collector, to_error
from beanbill.load import read_folder
from beanbill.model import Source
from beanbill.problems import Problem, shown, subject
from beanbill.yamlread import FIRST_YEAR, LAST_YEAR

__plugins__ = ("compile_contracts",)


class ContractsConfig:
    """The plugin's config: the contracts folder and the billing horizon."""

    def __init__(self, folder: str, until: datetime.date) -> None:
        self.folder = folder
        self.until = until


def parse_config(config: str | None, ledger_file: str) -> ContractsConfig:
    """Read the config string; raise ValueError with a message for the user."""
    if not config or not config.strip():
        raise ValueError(
            'give the contracts folder, e.g. plugin "beanbill.plugins.contracts" "../contracts"'
        )
    text = config.strip()
    path: Any = text
    until: Any = None
    if text.startswith("{"):
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"config is not a valid mapping: {error}") from error
        except ValueError as error:  # a date YAML reads as one, but not a real one
            raise ValueError(f"config has a date that is not a real one ({error})") from error
        unknown = sorted(set(values) - {"path", "until"})
        if unknown:
            raise ValueError(f"unknown config key {unknown[0]!r} (allowed: path, until)")
        path, until = values.get("path"), values.get("until")
    if not isinstance(path, str) or not path:
        raise ValueError("config path must be the contracts folder, relative to the ledger file")
    if until is not None and not isinstance(until, datetime.date):
        raise ValueError(f"config until must be a date YYYY-MM-DD, not {until!r}")
    if until is not None and not FIRST_YEAR <= until.year <= LAST_YEAR:
        raise ValueError(
            f"config until {until} is out of range (years {FIRST_YEAR} to {LAST_YEAR})"
        )
    ledger_dir = os.path.dirname(os.path.abspath(ledger_file))
    folder = os.path.normpath(os.path.join(ledger_dir, path))
    root = repository_root(ledger_dir)
    if not is_inside(os.path.realpath(folder), os.path.realpath(root)):
        raise ValueError(
            f"the contracts folder {shown(folder)} is outside the ledger's repository {shown(root)}"
        )
    return ContractsConfig(folder, until or default_until())


def repository_root(start: str) -> str:
    """The nearest folder at or above `start` holding `.git`, else `start`'s parent folder."""
    folder = start
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.dirname(start)
        folder = parent


def is_inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


# The last compiles, by folder (a few: Fava may serve several ledgers), with what they were
# compiled from: the folder's digest, the horizon and the accounts the ledger opened.
RECENT_COMPILES = 4
recent: dict[str, tuple[tuple[bytes, datetime.date, frozenset[str]], Compiled]] = {}


def compile_or_reuse(settings: ContractsConfig, opened: frozenset[str]) -> Compiled:
    texts = read_folder(settings.folder)
    key = (texts.digest(), settings.until, opened)
    last = recent.pop(texts.folder, None)
    if last is not None and last[0] == key:
        compiled = last[1]
    else:
        with paused_garbage_collector():
            compiled = compile_texts(
                texts, settings.until, opened, last[1].memo if last is not None else None
            )
    recent[texts.folder] = (key, compiled)
    while len(recent) > RECENT_COMPILES:
        del recent[next(iter(recent))]
    return compiled


def last_contracts(folder: str) -> m.ContractSet | None:
    """The catalog and customers of `folder` as this process last compiled it (the books just
    loaded), without their usage: for the names documents and exports show. None when it has
    not compiled it, or kept nothing of it."""
    last = recent.get(os.path.abspath(folder))
    parsed = last[1].memo.parsed if last is not None and last[1].memo is not None else None
    if parsed is None:
        return None
    customers = [p.customer for p in parsed.customers.values() if p.customer is not None]
    return m.ContractSet(parsed.the_catalog, tuple(sorted(customers, key=lambda c: c.id)), ())


def compile_contracts(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[BeanbillError]]:
    """The plugin: add the compiled invoices (and the Opens they need) to the entries."""
    ledger_file = options_map.get("filename") or "<string>"
    try:
        settings = parse_config(config, ledger_file)
    except ValueError as error:
        source = Source(ledger_file, 0)
        return entries, [to_error(Problem(source, f"beanbill.plugins.contracts: {error}"))]
    opened = frozenset(entry.account for entry in entries if isinstance(entry, data.Open))
    try:
        compiled = compile_or_reuse(settings, opened)
    except Exception as error:  # a bug: report it, keep the ledger loadable
        return entries, [internal_error("beanbill.plugins.contracts", error)]
    watched = options_map.setdefault("include", [])
    known = set(watched)
    watched.extend(path for path in compiled.files_read if path not in known)
    errors = [to_error(problem) for problem in compiled.problems]
    active = ActiveAccounts(entries)
    kept: list[data.Directive] = []
    finder = SourceFinder(options_map)
    for directive in compiled.directives:
        if isinstance(directive, data.Transaction) and (reason := active.inactive(directive)):
            meta = directive.meta
            errors.append(
                BeanbillError(
                    finder.meta(meta),
                    f"{subject(meta.get('customer'), meta.get('contract'))}"
                    f"{directive.narration}, dated {directive.date}, posts to {reason}: it is "
                    "left out of the books. Change the dates of the contract (or of the "
                    "adjustment), or the account's open or close in the ledger",
                    None,
                )
            )
        else:
            kept.append(directive)
    return entries + kept, errors
