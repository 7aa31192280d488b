"""The thin layer to Beancount's types."""

from __future__ import annotations

from decimal import Decimal

from beancount.core.amount import Amount

from beanbill.ledger import amount


def test_amount_is_beancounts_amount_without_the_assertions() -> None:
    built = amount(Decimal("-12.50"), "EUR")
    assert type(built) is Amount
    assert built == Amount(Decimal("-12.50"), "EUR")
    assert (built.number, built.currency) == (Decimal("-12.50"), "EUR")
    assert built.to_string() == "-12.50 EUR"
    assert str(-built) == "12.50 EUR"
