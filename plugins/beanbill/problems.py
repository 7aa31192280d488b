"""Problems found in the user's input: what is wrong, where, and in which contract."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from beanbill.model import Source

# How alike (difflib's ratio) a name must be to a known one to be called its likely
# misspelling: "prodcut" and "product" are 0.86 alike, "modle" and "model" 0.8; "ny-sales"
# and "ca-sales" 0.75 (two tax rates, not a typo), "end" and "start" 0.25.
SPELLING_CUTOFF = 0.8


@dataclass(frozen=True, order=True)
class Problem:
    """One thing the user must fix. `message` already names the customer or contract."""

    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def shown(filename: str) -> str:
    """`filename` relative to the current folder, when it is under it: how every file is named
    to the user, at the start of a problem (`contracts/customers/acme.yaml:11: ...`) and inside
    its message (`first at contracts/customers/acme.yaml:28`), so both read the same."""
    if not os.path.isabs(filename):
        return filename  # "<beanbill.plugins.contracts>", "<load>", or relative already
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # pragma: no cover - another drive on Windows
        return filename
    return filename if relative.startswith(os.pardir) else relative


def at(source: Source) -> str:
    """`file:line` of `source` inside a message, the file named as `shown` names it."""
    return f"{shown(source.file)}:{source.line}"


def subject(customer: str | None = None, contract: str | None = None) -> str:
    """The prefix naming what a problem is about: 'contract ACME-1 (customer acme): '."""
    if contract and customer:
        return f"contract {contract} (customer {customer}): "
    if contract:
        return f"contract {contract}: "
    if customer:
        return f"customer {customer}: "
    return ""


def likely_meant(word: str, choices: Iterable[str]) -> str | None:
    """The one of `choices` that `word` looks like a misspelling of, if any: a close spelling,
    or its plural or singular ("tax" for "taxes", too short a word for difflib to match)."""
    choices = list(choices)
    for form in (f"{word}s", f"{word}es", word.removesuffix("s")):
        if form != word and form in choices:
            return form
    close = difflib.get_close_matches(word, choices, n=1, cutoff=SPELLING_CUTOFF)
    return close[0] if close else None


def meant_hint(word: str, choices: Iterable[str]) -> str:
    """'did you mean "x"? ' when `word` looks like a misspelt `x` of `choices`, else ''."""
    meant = likely_meant(word, choices)
    return f'did you mean "{meant}"? ' if meant else ""


def meant_note(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' after a message, when `word` looks like a misspelt `x`; else ''."""
    meant = likely_meant(word, choices)
    return meant_of([meant] if meant else [])


LISTED_MEANT = 3  # ids named by one hint; the rest are counted


def meant_of(ids: Sequence[str]) -> str:
    """' (did you mean "a" or "b"?)' naming `ids` (at most LISTED_MEANT, the rest counted),
    or '' for none."""
    if not ids:
        return ""
    named = [f'"{i}"' for i in ids[:LISTED_MEANT]]
    if len(ids) > LISTED_MEANT:
        named.append(f"{len(ids) - LISTED_MEANT} more like them")
    listed = ", ".join(named[:-1]) + " or " + named[-1] if len(named) > 1 else named[0]
    return f" (did you mean {listed}?)"


def misspelling_note(typo: str, expected: str) -> str:
    """' (is "quantiy" a misspelling of "quantity"?)': the other way round from `meant_note`,
    when what is written is not a choice but may be the expected name, misspelt."""
    return f' (is "{typo}" a misspelling of "{expected}"?)'


def misspelt_as(expected: str, written: Iterable[str]) -> str:
    """`misspelling_note` when one of the names `written` looks like a misspelt `expected`,
    else ''."""
    found = likely_meant(expected, written)
    return misspelling_note(found, expected) if found else ""
