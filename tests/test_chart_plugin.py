"""Tests for the beanbill.plugins.chart plugin, run through Beancount's own loader."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from beancount import loader

from beanbill.plugins import chart

CHART_LEDGER = Path(__file__).resolve().parents[1] / "ledgers" / "chart.beancount"

ASSETS_ALLOWED = (
    "Assets:AccountsReceivable:Customers:<Customer>, "
    "Assets:AccountsReceivable:PaymentGateways:<Gateway>, "
    "Assets:Cash[:…], Assets:TDSReceivable, Assets:UnbilledRevenue"
)
EXPENSES_ALLOWED = (
    "Expenses:GST, Expenses:PaymentGatewayFees, Expenses:SalesReturnsAndAllowances, "
    "Expenses:TaxWithheld, Expenses:BadDebt"
)


def ledger(body: str, plugin: str = 'plugin "beanbill.plugins.chart"') -> str:
    """A ledger running the plugin over the default chart plus the given body."""
    return f'{plugin}\ninclude "{CHART_LEDGER}"\n' + textwrap.dedent(body)


def load(text: str) -> tuple[list[Any], list[Any]]:
    """Load a ledger; return its entries and all of its errors."""
    entries, errors, _ = loader.load_string(text)
    return entries, errors


def chart_errors(text: str) -> list[Any]:
    _, errors = load(text)
    return [error for error in errors if type(error).__name__ == "ChartError"]


def line_of(text: str, line: str) -> int:
    """The 1-based line number of a line in a ledger text."""
    return [candidate.strip() for candidate in text.splitlines()].index(line) + 1


def not_in_chart(account: str, root: str, allowed: str) -> str:
    return (
        f'Account "{account}" is not in beanbill\'s chart of accounts; '
        f"allowed under {root}: {allowed}; or open it with metadata beanbill-custom: TRUE"
    )


GOOD = """
2020-01-01 open Assets:AccountsReceivable:Customers:Acme
2020-01-01 open Assets:AccountsReceivable:PaymentGateways:Stripe
2020-01-01 open Assets:Cash:HDFC
2020-01-01 open Assets:Cash:HDFC:Current
2020-01-01 open Liabilities:ContraAccountsReceivable:Customers:Acme
2020-01-01 open Liabilities:ContraAccountsReceivable:PaymentGateways:Stripe
2020-01-01 open Liabilities:CustomerWallet:Acme
2020-01-01 open Liabilities:SalesTax:GST:IGST
2020-01-01 open Income:Consulting:Workshops
2020-01-01 open Expenses:Travel
  beanbill-custom: TRUE

2021-01-01 * "Acme" "Every kind of allowed account"
  Assets:AccountsReceivable:Customers:Acme              100.00 USD
  Assets:AccountsReceivable:PaymentGateways:Stripe      100.00 USD
  Assets:Cash                                           100.00 USD
  Assets:Cash:HDFC                                      100.00 USD
  Assets:Cash:HDFC:Current                              100.00 USD
  Assets:TDSReceivable                                  100.00 USD
  Assets:UnbilledRevenue                                100.00 USD
  Liabilities:AccountsPayable                          -100.00 USD
  Liabilities:ContraAccountsReceivable:Customers:Acme  -100.00 USD
  Liabilities:ContraAccountsReceivable:PaymentGateways:Stripe -100.00 USD
  Liabilities:CustomerWallet:Acme                      -100.00 USD
  Liabilities:DeferredRevenue                          -100.00 USD
  Liabilities:SalesTax                                 -100.00 USD
  Liabilities:SalesTax:GST:IGST                        -100.00 USD
  Equity:RetainedEarnings                              -100.00 USD
  Income:SalesAndServicesRevenue                       -100.00 USD
  Income:Consulting:Workshops                          -100.00 USD
  Expenses:GST                                           10.00 USD
  Expenses:PaymentGatewayFees                            10.00 USD
  Expenses:SalesReturnsAndAllowances                     10.00 USD
  Expenses:TaxWithheld                                   10.00 USD
  Expenses:BadDebt                                       10.00 USD
  Expenses:Travel                                        10.00 USD
  Assets:Cash
"""


def test_good_ledger_has_no_errors() -> None:
    entries, errors = load(ledger(GOOD))
    assert errors == []
    assert any(type(entry).__name__ == "Transaction" for entry in entries)


def test_unknown_assets_account_is_one_error_at_the_transaction() -> None:
    text = ledger(
        """
        2020-01-01 open Assets:Receivables:Acme

        2021-01-01 * "Acme" "Invoice"
          Assets:Receivables:Acme           50.00 USD
          Assets:Receivables:Acme           50.00 USD
          Income:SalesAndServicesRevenue  -100.00 USD
        """
    )
    errors = chart_errors(text)
    assert len(errors) == 1
    (error,) = errors
    assert error.source["filename"] == "<string>"
    assert error.source["lineno"] == line_of(text, '2021-01-01 * "Acme" "Invoice"')
    assert error.message == not_in_chart("Assets:Receivables:Acme", "Assets", ASSETS_ALLOWED)
    assert error.message == (
        'Account "Assets:Receivables:Acme" is not in beanbill\'s chart of accounts; '
        "allowed under Assets: Assets:AccountsReceivable:Customers:<Customer>, "
        "Assets:AccountsReceivable:PaymentGateways:<Gateway>, Assets:Cash[:…], "
        "Assets:TDSReceivable, Assets:UnbilledRevenue; "
        "or open it with metadata beanbill-custom: TRUE"
    )
    assert type(error.entry).__name__ == "Transaction"


def test_one_error_per_entry_and_account() -> None:
    text = ledger(
        """
        2020-01-01 open Assets:Receivables:Acme
        2020-01-01 open Expenses:Travel

        2021-01-01 * "First"
          Assets:Receivables:Acme   10.00 USD
          Expenses:Travel           10.00 USD
          Assets:Cash              -20.00 USD

        2021-01-02 * "Second"
          Assets:Receivables:Acme   10.00 USD
          Assets:Cash              -10.00 USD
        """
    )
    errors = chart_errors(text)
    assert [(error.source["lineno"], error.message) for error in errors] == [
        (
            line_of(text, '2021-01-01 * "First"'),
            not_in_chart("Assets:Receivables:Acme", "Assets", ASSETS_ALLOWED),
        ),
        (
            line_of(text, '2021-01-01 * "First"'),
            not_in_chart("Expenses:Travel", "Expenses", EXPENSES_ALLOWED),
        ),
        (
            line_of(text, '2021-01-02 * "Second"'),
            not_in_chart("Assets:Receivables:Acme", "Assets", ASSETS_ALLOWED),
        ),
    ]


def test_bare_customers_parent_is_an_error() -> None:
    text = ledger(
        """
        2020-01-01 open Assets:AccountsReceivable:Customers

        2021-01-01 * "Acme" "Invoice without the customer"
          Assets:AccountsReceivable:Customers   100.00 USD
          Income:SalesAndServicesRevenue
        """
    )
    errors = chart_errors(text)
    assert [error.message for error in errors] == [
        not_in_chart("Assets:AccountsReceivable:Customers", "Assets", ASSETS_ALLOWED)
    ]
    assert errors[0].source["lineno"] == line_of(
        text, '2021-01-01 * "Acme" "Invoice without the customer"'
    )


def test_two_level_customer_sub_account_is_an_error() -> None:
    text = ledger(
        """
        2020-01-01 open Assets:AccountsReceivable:Customers:Acme:Extra

        2021-01-01 * "Acme" "Invoice"
          Assets:AccountsReceivable:Customers:Acme:Extra   100.00 USD
          Income:SalesAndServicesRevenue
        """
    )
    assert [error.message for error in chart_errors(text)] == [
        not_in_chart("Assets:AccountsReceivable:Customers:Acme:Extra", "Assets", ASSETS_ALLOWED)
    ]


def test_bare_wallet_parent_and_nested_gateway_are_errors() -> None:
    text = ledger(
        """
        2020-01-01 open Liabilities:CustomerWallet
        2020-01-01 open Liabilities:ContraAccountsReceivable:PaymentGateways:Stripe:EU

        2021-01-01 * "Wallet"
          Liabilities:CustomerWallet                                      -10.00 USD
          Liabilities:ContraAccountsReceivable:PaymentGateways:Stripe:EU  -10.00 USD
          Assets:Cash
        """
    )
    liabilities_allowed = (
        "Liabilities:AccountsPayable, "
        "Liabilities:ContraAccountsReceivable:Customers:<Customer>, "
        "Liabilities:ContraAccountsReceivable:PaymentGateways:<Gateway>, "
        "Liabilities:CustomerWallet:<Customer>, Liabilities:DeferredRevenue, "
        "Liabilities:SalesTax[:…]"
    )
    assert [error.message for error in chart_errors(text)] == [
        not_in_chart("Liabilities:CustomerWallet", "Liabilities", liabilities_allowed),
        not_in_chart(
            "Liabilities:ContraAccountsReceivable:PaymentGateways:Stripe:EU",
            "Liabilities",
            liabilities_allowed,
        ),
    ]


def test_custom_income_account_is_allowed() -> None:
    text = ledger(
        """
        2020-01-01 open Income:Training

        2021-01-01 * "Acme" "Workshop"
          Assets:Cash        100.00 USD
          Income:Training
        """
    )
    _, errors = load(text)
    assert errors == []


def test_expense_outside_chart_errors_unless_custom() -> None:
    body = """
        2020-01-01 open Expenses:Travel{meta}

        2021-01-01 * "Flight"
          Expenses:Travel    300.00 USD
          Assets:Cash
        """
    plain = ledger(body.format(meta=""))
    assert [(error.source["lineno"], error.message) for error in chart_errors(plain)] == [
        (
            line_of(plain, '2021-01-01 * "Flight"'),
            not_in_chart("Expenses:Travel", "Expenses", EXPENSES_ALLOWED),
        )
    ]

    custom = ledger(body.format(meta="\n          beanbill-custom: TRUE"))
    _, errors = load(custom)
    assert errors == []


def test_custom_metadata_must_be_true() -> None:
    text = ledger(
        """
        2020-01-01 open Expenses:Travel
          beanbill-custom: FALSE

        2021-01-01 * "Flight"
          Expenses:Travel    300.00 USD
          Assets:Cash
        """
    )
    assert [error.message for error in chart_errors(text)] == [
        not_in_chart("Expenses:Travel", "Expenses", EXPENSES_ALLOWED)
    ]


def test_open_outside_chart_is_not_itself_an_error() -> None:
    text = ledger(
        """
        2020-01-01 open Expenses:Travel
        2020-01-01 open Assets:Cash:HDFC
          beanbill-custom: TRUE
        """
    )
    _, errors = load(text)
    assert errors == []


def test_close_of_default_account_errors() -> None:
    text = ledger(
        """
        2022-01-01 close Liabilities:DeferredRevenue
        """
    )
    errors = chart_errors(text)
    assert [(error.source["lineno"], error.message) for error in errors] == [
        (
            line_of(text, "2022-01-01 close Liabilities:DeferredRevenue"),
            'Account "Liabilities:DeferredRevenue" belongs to beanbill\'s default chart '
            "and cannot be closed",
        )
    ]
    assert errors[0].source["filename"] == "<string>"
    assert type(errors[0].entry).__name__ == "Close"


def test_close_of_every_default_account_errors() -> None:
    closes = "".join(f"2022-01-01 close {account}\n" for account in chart.DEFAULT_ACCOUNTS)
    assert [error.message for error in chart_errors(ledger(closes))] == [
        f'Account "{account}" belongs to beanbill\'s default chart and cannot be closed'
        for account in chart.DEFAULT_ACCOUNTS
    ]


def test_close_of_customer_sub_account_is_allowed() -> None:
    text = ledger(
        """
        2020-01-01 open Assets:AccountsReceivable:Customers:Acme
        2020-01-01 open Liabilities:CustomerWallet:Acme
        2020-01-01 open Income:Training
        2020-01-01 open Assets:Cash:HDFC

        2022-01-01 close Assets:AccountsReceivable:Customers:Acme
        2022-01-01 close Liabilities:CustomerWallet:Acme
        2022-01-01 close Income:Training
        2022-01-01 close Assets:Cash:HDFC
        """
    )
    _, errors = load(text)
    assert errors == []


def test_config_string_is_an_error() -> None:
    text = ledger("", plugin='plugin "beanbill.plugins.chart" "strict"')
    errors = chart_errors(text)
    assert [(error.source, error.message, error.entry) for error in errors] == [
        (
            {"filename": "<beanbill.plugins.chart>", "lineno": 0},
            'Plugin beanbill.plugins.chart takes no configuration; got "strict"',
            None,
        )
    ]


def test_chart_ledger_loads_without_errors() -> None:
    entries, errors = load(ledger(""))
    assert errors == []
    opened = [entry.account for entry in entries if type(entry).__name__ == "Open"]
    assert sorted(opened) == sorted(chart.DEFAULT_ACCOUNTS)
    assert all(entry.currencies is None for entry in entries if type(entry).__name__ == "Open")
    assert {str(entry.date) for entry in entries} == {"2020-01-01"}


def test_chart_ledger_loads_standalone() -> None:
    _, errors, _ = loader.load_file(str(CHART_LEDGER))
    assert errors == []


def test_parents_and_account_allowed() -> None:
    assert chart.CUSTOMER_PARENTS == (
        "Assets:AccountsReceivable:Customers",
        "Liabilities:ContraAccountsReceivable:Customers",
        "Liabilities:CustomerWallet",
    )
    assert chart.GATEWAY_PARENTS == (
        "Assets:AccountsReceivable:PaymentGateways",
        "Liabilities:ContraAccountsReceivable:PaymentGateways",
    )
    none: frozenset[str] = frozenset()
    for parent in chart.CUSTOMER_PARENTS + chart.GATEWAY_PARENTS:
        assert chart.account_allowed(f"{parent}:Acme", none)
        assert not chart.account_allowed(parent, none)
        assert not chart.account_allowed(f"{parent}:Acme:Extra", none)
    for account in chart.DEFAULT_ACCOUNTS:
        assert chart.account_allowed(account, none)
    assert chart.account_allowed("Income", none) is False
    assert chart.account_allowed("Expenses:Travel", frozenset({"Expenses:Travel"}))
    assert not chart.account_allowed("Expenses:Travel:Taxi", frozenset({"Expenses:Travel"}))
    assert not chart.account_allowed("Assets:CashBox", none)


def test_explain_allowed() -> None:
    assert chart.explain_allowed("Assets") == ASSETS_ALLOWED
    assert chart.explain_allowed("Equity") == "Equity:RetainedEarnings"
    assert chart.explain_allowed("Income") == (
        "Income:SalesAndServicesRevenue, Income:<Custom>[:…]"
    )
    assert chart.explain_allowed("Activos") == "nothing"


PADDED = """
2020-01-01 open Assets:Cash:HDFC
2026-01-01 pad Assets:Cash:HDFC Equity:RetainedEarnings
2026-01-02 balance Assets:Cash:HDFC  100.00 USD
"""
RAW = 'option "plugin_processing_mode" "raw"\nplugin "beanbill.plugins.chart"\n'


def test_a_pad_left_undone_by_raw_mode_is_an_error_at_the_pad() -> None:
    text = ledger(PADDED, plugin=RAW + 'plugin "beancount.ops.balance"')
    _, errors = load(text)
    pad_errors = chart_errors(text)
    assert [e.source["lineno"] for e in pad_errors] == [line_of(text, PADDED.split("\n")[2])]
    assert pad_errors[0].message == (
        "This pad directive does nothing: the books list their plugins (option "
        '"plugin_processing_mode" "raw") without Beancount\'s pad plugin; add plugin '
        '"beancount.ops.pad" just before plugin "beancount.ops.balance" in the main ledger file'
    )
    # Beancount itself only reports the balance the pad was meant to fulfil.
    assert any("Balance failed" in e.message for e in errors)


def test_pads_are_fine_when_the_pad_plugin_runs() -> None:
    raw_with_pad = RAW + 'plugin "beancount.ops.pad"\nplugin "beancount.ops.balance"'
    for plugins in (raw_with_pad, 'plugin "beanbill.plugins.chart"'):
        _, errors = load(ledger(PADDED, plugin=plugins))
        assert errors == []
