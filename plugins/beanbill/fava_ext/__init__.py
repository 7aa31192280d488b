"""beanbill in Fava: a "Billing" page with the revenue waterfall, the deferred revenue
roll-forward, the invoices and the receivables aging - the tables of `beanbill revenue`,
`rollforward`, `invoices` and `aging` (beanbill.reports), so the page and the CLI show the
same numbers.

Usage, in the ledger:

    2020-01-01 custom "fava-extension" "beanbill.fava_ext"

Fava's time filter picks the months of the waterfall, the period of the roll-forward, and the
date the invoices and the aging are as of (the filter's last day; without a filter, the date
of the last invoice, memo, payment, write-off or wallet movement, as the CLI does, and the
roll-forward runs from the books' first transaction).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from beancount.core import data
from fava.context import g
from fava.ext import FavaExtensionBase

from beanbill.active import error_meta
from beanbill.books import read_settlement
from beanbill.ledger import SOURCE_KEY
from beanbill.reports import (
    Table,
    aging_table,
    invoices_table,
    revenue_table,
    rollforward_table,
)
from beanbill.settlement import Settlement
from beanbill.tables import numeric_columns


class Report(NamedTuple):
    title: str
    table: Table
    numeric: list[bool]
    # invoice id → (contract file, line): where the invoice was compiled from, for a link to
    # it in Fava's editor (the contracts plugin registers the contract files with Fava)
    sources: dict[str, tuple[str, int]]


class BillingReports(FavaExtensionBase):
    """The billing reports page."""

    report_title = "Billing"
    # of the books as last loaded: their settlement, and each invoice's contract file and line
    _loaded: tuple[Settlement, dict[str, tuple[str, int]]] | None = None

    def after_load_file(self) -> None:
        """Fava keeps one extension object across reloads: forget what the old books gave."""
        self._loaded = None

    def reports(self) -> list[Report]:
        # Fava types its entries as protocols of Beancount's; they are Beancount's own.
        entries = cast("list[data.Directive]", self.ledger.all_entries)
        if self._loaded is None:  # read once per load, not on every request
            self._loaded = (
                read_settlement(entries),
                contract_sources(entries, self.ledger.options),
            )
        settlement, sources = self._loaded
        since, until = self.months()
        as_of = until or settlement.last_date or datetime.date.today()
        first = since or next((e.date for e in entries if isinstance(e, data.Transaction)), as_of)
        tables = [
            ("Revenue waterfall", revenue_table(entries, since, until)),
            (
                f"Deferred revenue roll-forward, {first} to {as_of}",
                rollforward_table(entries, first, as_of),
            ),
            (f"Invoices as of {as_of}", invoices_table(settlement, as_of)),
            (
                f"Receivables aging as of {as_of} (days past due)",
                aging_table(settlement, as_of, totals=True),
            ),
        ]
        return [
            Report(title, table, numeric_columns(len(table.headers), table.rows), sources)
            for title, table in tables
        ]

    @staticmethod
    def months() -> tuple[datetime.date | None, datetime.date | None]:
        """The first and last day of Fava's time filter (None: no filter)."""
        date_range = g.filtered.date_range
        if date_range is None:
            return None, None
        return date_range.begin, date_range.end - datetime.timedelta(days=1)


def contract_sources(
    entries: list[data.Directive], options: Mapping[str, Any]
) -> dict[str, tuple[str, int]]:
    """Each compiled invoice's contract file and line."""
    sources = {}
    for entry in entries:
        meta = entry.meta
        if isinstance(entry, data.Transaction) and {"due-date", "invoice-id", SOURCE_KEY} <= set(
            meta
        ):
            where = error_meta(meta, dict(options))
            sources[str(meta["invoice-id"])] = (str(where["filename"]), int(where["lineno"]))
    return sources
