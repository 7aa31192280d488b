"""Problems found in the user's input: what is wrong, where, and in which contract."""

from __future__ import annotations

from dataclasses import dataclass

from beanbill.model import Source


@dataclass(frozen=True, order=True)
class Problem:
    """One thing the user must fix. `message` already names the customer or contract."""

    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def subject(customer: str | None = None, contract: str | None = None) -> str:
    """The prefix naming what a problem is about: 'contract ACME-1 (customer acme): '."""
    if contract and customer:
        return f"contract {contract} (customer {customer}): "
    if contract:
        return f"contract {contract}: "
    if customer:
        return f"customer {customer}: "
    return ""
