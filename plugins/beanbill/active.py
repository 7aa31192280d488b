"""Generated entries against the ledger's Open and Close directives, and where to report them.

Beancount refuses a posting to an account outside its open..close span ("Invalid reference to
inactive account") at the entry's own location: for a generated entry, a synthetic
`<beanbill:…>` name that the user cannot open. So the plugins that generate entries check them
first (`ActiveAccounts.inactive`): such an entry is left out and reported at the YAML line it
was compiled from (`SourceFinder`), where the user can fix its date.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from typing import Any

from beancount.core import data

from beanbill.ledger import GENERATED_PREFIX, SOURCE_KEY


class ActiveAccounts:
    """The span each account of the ledger is open in: from its Open to its Close, inclusive."""

    def __init__(self, entries: Iterable[data.Directive]) -> None:
        self.opens: dict[str, datetime.date] = {}
        self.closes: dict[str, datetime.date] = {}
        for entry in entries:
            if isinstance(entry, data.Open):
                self.opens.setdefault(entry.account, entry.date)
            elif isinstance(entry, data.Close):
                self.closes[entry.account] = entry.date
        self.all_open = max(self.opens.values(), default=datetime.date.min)

    def inactive(self, entry: data.Transaction) -> str | None:
        """Which account `entry` posts to outside its span, and why; None if every one is open.

        Accounts the ledger never opens are not this check's business.
        """
        if entry.date >= self.all_open and not self.closes:
            return None  # the usual case, without looking at the postings
        return self.inactive_on(entry.date, [posting.account for posting in entry.postings])

    def inactive_on(self, date: datetime.date, accounts: Iterable[str]) -> str | None:
        """Which of `accounts` is outside its span on `date`, and why; None if all are open."""
        for account in accounts:
            opened = self.opens.get(account)
            if opened is not None and date < opened:
                return f"{account}, which the ledger opens on {opened}"
            closed = self.closes.get(account)
            if closed is not None and date > closed:
                return f"{account}, which the ledger closes on {closed}"
        return None


class SourceFinder:
    """Where to report a problem with an entry (`meta`): the YAML line a generated entry came
    from, found among the files the contracts plugin registered (the ledger's `include`
    option, indexed by name once for all the entries asked about), else the entry's own file
    and line."""

    def __init__(self, options_map: dict[str, Any]) -> None:
        self._by_name: dict[str, list[str]] = {}
        for path in options_map.get("include", []):
            self._by_name.setdefault(os.path.basename(str(path)), []).append(str(path))

    def meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        filename = str(meta.get("filename", ""))
        if filename.startswith(GENERATED_PREFIX) and SOURCE_KEY in meta:
            relative, _, line = str(meta[SOURCE_KEY]).rpartition(":")
            normal = os.path.normpath(relative)
            suffix = os.sep + normal
            for path in self._by_name.get(os.path.basename(normal), []):
                if path.endswith(suffix):
                    return data.new_metadata(path, int(line))
            return data.new_metadata(relative, int(line))
        return meta
