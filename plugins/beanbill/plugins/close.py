"""Enforce the period lock: a month closed by `beanbill close YYYY-MM` must not move.

Usage, in the top-level ledger file, after the contracts, recognition and settlement plugins
(it checks what they generate) and before the chart plugin:

    plugin "beanbill.plugins.close"

No config. The closes are the files `beanbill close` writes (closed/YYYY-MM.beancount,
included from the ledger; see beanbill.closing). This plugin reports, at the invoice (or the
YAML line it was compiled from) or at the close's own line:

  - an invoice of a closed month whose digest changed (its date, amounts, lines, service
    dates, due date... anything it says but its narration and settlement status);
  - an invoice of a closed month that is no longer in the books;
  - an invoice dated in a closed month that the close does not know;
  - a closed month whose balances moved: one error naming the accounts, as they were and as
    they are, and saying how to correct a closed month (a memo dated in an open period);
  - a closed month whose transactions changed though its invoices and balances did not (a
    payment moved to another day of the month): one error at the close's journal digest.

It emits no entries. The close's `balance` assertions that fail are taken out of the books,
as that one error reports them: Beancount would report each again (without the plugin, it
still does). Books without a close pass through unchecked.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from beancount.core import data

from beanbill.active import SourceFinder
from beanbill.closing import lock_problems
from beanbill.ledger import BeanbillError, internal_error

__plugins__ = ("check_closed_months",)


class CloseError(NamedTuple):
    source: dict[str, Any]
    message: str
    entry: data.Directive | None


def check_closed_months(
    entries: list[data.Directive], options_map: dict[str, Any]
) -> tuple[list[data.Directive], list[CloseError | BeanbillError]]:
    """The plugin: the entries unchanged, and what moved in the closed months."""
    try:
        problems = lock_problems(entries, options_map)
    except Exception as error:  # a bug: report it, keep the ledger loadable
        return entries, [internal_error("beanbill.plugins.close", error)]
    finder = SourceFinder(options_map)
    errors: list[CloseError | BeanbillError] = [
        CloseError(finder.meta(p.entry.meta), p.message, p.entry) for p in problems
    ]
    reported = {id(balance) for problem in problems for balance in problem.replaces}
    if reported:
        entries = [entry for entry in entries if id(entry) not in reported]
    return entries, errors
