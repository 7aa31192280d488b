"""Journal entries as plain data: what the accounting rules produce, before Beancount.

`beanbill.ledger` is the one place that turns these into Beancount directives.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from beanbill.model import Source

MetaValue = str | Decimal | datetime.date | bool
Meta = Mapping[str, MetaValue]  # in the order it is written
NO_META: Meta = MappingProxyType({})


class Posting(NamedTuple):
    account: str
    amount: Decimal  # debit positive, credit negative
    currency: str
    meta: Meta = NO_META
    # The clause that set the posting's amount, when it is not the entry's own: an invoice
    # line's product, discount or minimum commitment, written in the phase that priced it.
    source: Source | None = None


class Entry(NamedTuple):
    """A balanced transaction. `source` is the contract clause it came from.

    Entries and postings are named tuples: a year of books has hundreds of thousands of them."""

    date: datetime.date
    payee: str
    narration: str
    links: tuple[str, ...]
    meta: Meta
    postings: tuple[Posting, ...]
    source: Source

    def imbalance(self) -> dict[str, Decimal]:
        """Per currency, the sum of the postings (all zero for a balanced entry)."""
        sums: dict[str, Decimal] = {}
        for posting in self.postings:
            sums[posting.currency] = sums.get(posting.currency, Decimal(0)) + posting.amount
        return {currency: total for currency, total in sums.items() if total != 0}


@dataclass(frozen=True)
class OpenAccount:
    """An account the generated entries need, opened on its first use."""

    date: datetime.date
    account: str
    source: Source


@dataclass(frozen=True)
class Declaration:
    """A `custom` directive: facts for other plugins, such as a revenue rule's definition."""

    date: datetime.date
    type: str
    values: tuple[str, ...]
    source: Source
