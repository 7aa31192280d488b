"""The contracts plugin, through Beancount's own loader and Fava, on small ledgers."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import data

from beanbill.plugins import contracts as contracts_plugin

CATALOG = """\
company: {name: Test Co, currency: USD, payment_terms: net 30, invoice_prefix: INV}
tax_rates:
  ca: {name: CA sales tax, rate: "7.25%", account: Liabilities:SalesTax:CA}
revenue_rules:
  subscription: {method: ratable_daily, account: Income:SalesAndServicesRevenue}
products:
  platform: {name: Platform, revenue_rule: subscription}
"""

ACME = """\
customer: {id: acme, account: Acme, name: Acme Corp}
contracts:
  - id: ACME-1
    start: 2026-01-15
    end: 2026-03-31
    billing: {cadence: monthly, timing: advance}
    phases:
      - start: 2026-01-15
        products:
          - product: platform
            pricing: {model: flat_fee, price: "1000.00"}
        taxes: [ca]
"""

LEDGER = """\
option "operating_currency" "USD"
plugin "beanbill.plugins.contracts" "{path: contracts, until: 2026-12-31}"
plugin "beanbill.plugins.chart"
"""


def write_books(root: Path, customers: dict[str, str] | None = None, ledger: str = LEDGER) -> Path:
    (root / "contracts" / "customers").mkdir(parents=True, exist_ok=True)
    (root / "contracts" / "catalog.yaml").write_text(CATALOG)
    for name, text in (customers if customers is not None else {"acme": ACME}).items():
        (root / "contracts" / "customers" / f"{name}.yaml").write_text(text)
    path = root / "main.beancount"
    path.write_text(ledger)
    return path


def transactions(entries: list[data.Directive]) -> list[data.Transaction]:
    return [e for e in entries if isinstance(e, data.Transaction)]


def balances(entries: list[data.Directive]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for entry in transactions(entries):
        for posting in entry.postings:
            totals[posting.account] = totals.get(posting.account, Decimal(0)) + posting.units.number
    return totals


def test_invoices_compile_into_balanced_transactions(tmp_path: Path) -> None:
    entries, errors, _ = loader.load_file(str(write_books(tmp_path)))
    assert errors == []
    invoices = transactions(entries)
    assert [t.meta["invoice-id"] for t in invoices] == [
        "INV-ACME-1-20260115",
        "INV-ACME-1-20260201",
        "INV-ACME-1-20260301",
    ]
    first = invoices[0]
    assert first.date == datetime.date(2026, 1, 15)
    assert first.narration == "Invoice INV-ACME-1-20260115 — Acme Corp"
    assert first.links == frozenset({"INV-ACME-1-20260115"})
    assert first.meta["due-date"] == datetime.date(2026, 2, 14)
    assert first.meta["customer"] == "acme" and first.meta["contract"] == "ACME-1"
    assert [(p.account, p.units.number) for p in first.postings] == [
        ("Assets:AccountsReceivable:Customers:Acme", Decimal("588.15")),
        ("Liabilities:DeferredRevenue", Decimal("-548.39")),
        ("Liabilities:SalesTax:CA", Decimal("-39.76")),
    ]
    line = first.postings[1].meta
    assert line["product"] == "platform" and line["revenue-rule"] == "subscription"
    assert line["service-start"] == datetime.date(2026, 1, 15)
    assert line["service-end"] == datetime.date(2026, 1, 31)
    assert balances(entries)["Assets:AccountsReceivable:Customers:Acme"] == Decimal("2733.15")


def test_generated_entries_point_at_a_synthetic_file_and_keep_the_real_source(
    tmp_path: Path,
) -> None:
    entries, _, _ = loader.load_file(str(write_books(tmp_path)))
    invoice = transactions(entries)[0]
    assert invoice.meta["filename"] == "<beanbill:contracts/customers/acme.yaml>"
    assert invoice.meta["lineno"] == 3
    assert invoice.meta["beanbill-source"] == "contracts/customers/acme.yaml:3"


def test_opens_every_account_it_uses_on_first_use(tmp_path: Path) -> None:
    entries, errors, _ = loader.load_file(str(write_books(tmp_path)))
    assert errors == []
    opens = {e.account: e.date for e in entries if isinstance(e, data.Open)}
    assert opens == {
        "Assets:AccountsReceivable:Customers:Acme": datetime.date(2026, 1, 15),
        "Liabilities:DeferredRevenue": datetime.date(2026, 1, 15),
        "Liabilities:SalesTax:CA": datetime.date(2026, 1, 15),
    }


def test_does_not_reopen_accounts_the_ledger_opens(tmp_path: Path) -> None:
    ledger = LEDGER + "2020-01-01 open Liabilities:DeferredRevenue\n"
    entries, errors, _ = loader.load_file(str(write_books(tmp_path, ledger=ledger)))
    assert errors == []
    opens = [e for e in entries if isinstance(e, data.Open)]
    assert [o.account for o in opens].count("Liabilities:DeferredRevenue") == 1


def test_contract_problems_are_errors_at_the_yaml_line(tmp_path: Path) -> None:
    broken = ACME.replace('price: "1000.00"', "price: 1000.10")
    good = ACME.replace("id: acme", "id: beta").replace("Acme", "Beta").replace("ACME-1", "B-1")
    path = write_books(tmp_path, {"acme": broken, "beta": good})
    entries, errors, _ = loader.load_file(str(path))
    assert [(e.source["filename"], e.source["lineno"]) for e in errors] == [
        (str(tmp_path / "contracts" / "customers" / "acme.yaml"), 11)
    ]
    assert errors[0].message == (
        'customer acme: contract ACME-1: phase "2026-01-15", product platform: flat_fee: '
        'price: write decimal numbers as quoted strings, e.g. "1000.10" (an unquoted YAML '
        "decimal is a binary float and can lose cents)"
    )
    # The broken customer is left out whole; the other one still compiles.
    assert {t.meta["customer"] for t in transactions(entries)} == {"beta"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("", 'give the contracts folder, e.g. plugin "beanbill.plugins.contracts" "../contracts"'),
        ("{path: contracts, till: 2026-12-31}", "unknown config key 'till' (allowed: path, until)"),
        ("{path: contracts, until: soon}", "config until must be a date YYYY-MM-DD, not 'soon'"),
        (
            "{path: contracts, until: 2026-13-01}",
            "config has a date that is not a real one (month must be in 1..12)",
        ),
        (
            "{path: contracts, until: 9999-12-31}",
            "config until 9999-12-31 is out of range (years 1900 to 2999)",
        ),
        (
            "{path: contracts, until: 1899-12-31}",
            "config until 1899-12-31 is out of range (years 1900 to 2999)",
        ),
    ],
)
def test_bad_config_is_an_error_not_a_traceback(tmp_path: Path, config: str, message: str) -> None:
    ledger = f'plugin "beanbill.plugins.contracts" "{config}"\n'
    _, errors, _ = loader.load_file(str(write_books(tmp_path, ledger=ledger)))
    assert [e.message for e in errors] == [f"beanbill.plugins.contracts: {message}"]


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    ledger = 'plugin "beanbill.plugins.contracts" "nowhere"\n'
    _, errors, _ = loader.load_file(str(write_books(tmp_path, ledger=ledger)))
    assert len(errors) == 1
    assert errors[0].message == f"no catalog.yaml in the contracts folder {tmp_path / 'nowhere'}"


def test_read_files_and_folders_are_registered_for_cache_and_reload(tmp_path: Path) -> None:
    path = write_books(tmp_path)
    _, _, options = loader.load_file(str(path))
    contracts = tmp_path / "contracts"
    for watched in (contracts, contracts / "catalog.yaml", contracts / "customers"):
        assert str(watched) in options["include"]
    assert str(contracts / "customers" / "acme.yaml") in options["include"]
    assert not loader.needs_refresh(options)
    acme = contracts / "customers" / "acme.yaml"
    acme.write_text(ACME.replace("1000.00", "1100.00"))
    os.utime(acme, ns=(os.stat(acme).st_atime_ns, os.stat(acme).st_mtime_ns + 10**9))
    assert loader.needs_refresh(options)


def test_beancount_cache_notices_a_new_customer_file(tmp_path: Path) -> None:
    path = write_books(tmp_path)
    _, _, options = loader.load_file(str(path))
    customers = tmp_path / "contracts" / "customers"
    (customers / "beta.yaml").write_text(ACME.replace("acme", "beta").replace("ACME", "B"))
    os.utime(customers, ns=(0, os.stat(customers).st_mtime_ns + 10**9))
    assert loader.needs_refresh(options)


def test_fava_reloads_after_a_yaml_edit(tmp_path: Path) -> None:
    from fava.core import FavaLedger

    path = write_books(tmp_path)
    ledger = FavaLedger(str(path), poll_watcher=True)
    before = {t.meta["invoice-id"]: t for t in transactions(list(ledger.all_entries))}
    assert before["INV-ACME-1-20260201"].postings[1].units.number == Decimal("-1000.00")
    acme = tmp_path / "contracts" / "customers" / "acme.yaml"
    acme.write_text(ACME.replace("1000.00", "1100.00"))
    stat = os.stat(acme)
    os.utime(acme, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert ledger.changed()
    after = {t.meta["invoice-id"]: t for t in transactions(list(ledger.all_entries))}
    assert after["INV-ACME-1-20260201"].postings[1].units.number == Decimal("-1100.00")


def test_plugin_module_lists_its_function() -> None:
    assert contracts_plugin.__plugins__ == ("compile_contracts",)


# --- regressions of issue 6 ------------------------------------------------------------------

ALL_PLUGINS = """\
option "operating_currency" "USD"
plugin "beanbill.plugins.contracts" "{path: contracts, until: 2026-12-31}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.settlement"
plugin "beanbill.plugins.chart"
"""

PAYMENTS = """\
customer: {id: acme, account: Acme, name: Acme Corp}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-03-31
    billing: {cadence: monthly, timing: arrears}
    phases:
      - start: 2026-01-01
        products:
          - product: payments
            pricing: {model: percent, percent: "2.9%"}
"""

REFUNDS = """\
timestamp,customer,metric,quantity,amount
2026-01-10,acme,payments,1,1000.00
2026-02-03,acme,payments,1,200.00
2026-02-20,acme,payments,1,-700.00
"""


def write_metered_books(root: Path, customer: str, product: str, usage: str) -> Path:
    """Books with all plugins, the catalog's `product` (its YAML line) and one usage file."""
    path = write_books(root, {"acme": customer}, ALL_PLUGINS)
    catalog = root / "contracts" / "catalog.yaml"
    catalog.write_text(catalog.read_text() + f"  {product}\n")
    (root / "contracts" / "usage").mkdir()
    (root / "contracts" / "usage" / "events.csv").write_text(usage)
    return path


def write_payments_books(root: Path, customer: str) -> Path:
    payments = "payments: {name: Payments, metric: payments, revenue_rule: subscription}"
    return write_metered_books(root, customer, payments, REFUNDS)


def test_usage_netting_below_zero_is_an_error_at_the_line_not_a_negative_invoice(
    tmp_path: Path,
) -> None:
    entries, errors, _ = loader.load_file(str(write_payments_books(tmp_path, PAYMENTS)))
    # February: (200.00 - 700.00) x 2.9% = -14.50, which no invoice may bill
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            10,
            "contract ACME-1 (customer acme): payments: the usage of 2026-02-01 to 2026-02-28 "
            "nets to -14.50 USD, below zero. An invoice line is never negative, so this one is "
            "left off its invoice: give money back with a credit memo, and to bill such a "
            'period nothing, add min: "0" to the pricing',
        )
    ]
    invoices = [t for t in transactions(entries) if "invoice-id" in t.meta]
    # January: 1000.00 x 2.9% = 29.00; nothing for February, and March had no usage
    assert [(t.meta["invoice-id"], t.postings[0].units.number) for t in invoices] == [
        ("INV-ACME-1-20260201", Decimal("29.00"))
    ]


def test_a_min_of_zero_bills_a_period_that_nets_below_zero_nothing(tmp_path: Path) -> None:
    floored = PAYMENTS.replace('percent: "2.9%"', 'percent: "2.9%", min: "0"')
    entries, errors, _ = loader.load_file(str(write_payments_books(tmp_path, floored)))
    assert errors == []
    invoices = [t for t in transactions(entries) if "invoice-id" in t.meta]
    assert [(t.meta["invoice-id"], t.postings[0].units.number) for t in invoices] == [
        ("INV-ACME-1-20260201", Decimal("29.00"))
    ]


COMPUTE = PAYMENTS.replace(
    'product: payments\n            pricing: {model: percent, percent: "2.9%"}',
    "product: compute\n            pricing:\n              model: matrix\n"
    "              dimension: region\n"
    '              rows: [{value: eu, unit_price: "0.10"}, {value: us, unit_price: "0.08"}]',
)


@pytest.mark.parametrize(
    ("header", "region", "has"),
    [
        ("region", "sa", 'has region "sa"'),  # a region the contract does not price yet
        ("region", "", "has an empty region"),
        (
            "regoin",
            "eu",
            'has no region: the file has no "region" column (is "regoin" a misspelling of '
            '"region"?)',
        ),
    ],
)
def test_usage_a_matrix_cannot_price_is_an_error_at_its_event(
    tmp_path: Path, header: str, region: str, has: str
) -> None:
    compute = "compute: {name: Compute, metric: compute_hours, revenue_rule: subscription}"
    usage = (
        f"timestamp,customer,metric,quantity,{header}\n"
        "2026-01-10,acme,compute_hours,100,eu\n"
        f"2026-02-03,acme,compute_hours,7,{region}\n"
    )
    path = write_metered_books(tmp_path, COMPUTE, compute, usage)
    events = tmp_path / "contracts" / "usage" / "events.csv"
    entries, errors, _ = loader.load_file(str(path))
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(events),
            2 if header == "regoin" else 3,
            f"usage: event of customer acme, metric compute_hours on "
            f"{'2026-01-10' if header == 'regoin' else '2026-02-03'} {has}, and contract "
            "ACME-1 prices region eu, us only: the line is left off the invoice of every "
            "period with such an event",
        )
    ]
    invoices = [t for t in transactions(entries) if "invoice-id" in t.meta]
    expected = [] if header == "regoin" else [("INV-ACME-1-20260201", Decimal("10.00"))]
    assert [(t.meta["invoice-id"], t.postings[0].units.number) for t in invoices] == expected


UPLIFTED = """\
customer: {id: acme, account: Acme, name: Acme Corp}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-01-31
    billing: {cadence: monthly, timing: advance}
    renewal: {term_months: 1, uplift: "9900%"}
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "1000.00"}
"""

MANY = """\
customer: {id: beta, account: Beta, name: Beta Corp}
contracts:
  - id: BETA-1
    start: 2026-01-01
    end: 2026-01-31
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            quantity: 40
            pricing: {model: flat_fee, price: "999999999999999"}
"""


def test_an_amount_too_large_to_bill_is_an_error_at_the_line_not_an_internal_error(
    tmp_path: Path,
) -> None:
    ledger = LEDGER.replace("until: 2026-12-31", "until: 2027-12-31")
    path = write_books(tmp_path, {"acme": UPLIFTED, "beta": MANY}, ledger)
    entries, errors, _ = loader.load_file(str(path))
    customers = tmp_path / "contracts" / "customers"
    assert [(e.source["filename"], e.source["lineno"], e.message) for e in errors] == [
        (
            str(customers / "acme.yaml"),
            11,
            # 1000.00 x 100 per monthly renewal: 10**15 in the sixth, July 2026
            "contract ACME-1 (customer acme): platform: the charge for 2026-07-01 to "
            "2026-07-31 is too large to bill (1.000E+15 USD; amounts have at most 15 digits "
            "before the decimal point): it is left off its invoice, and so is the line's "
            "charge for any later period as large",
        ),
        (
            str(customers / "beta.yaml"),
            9,
            "contract BETA-1 (customer beta): platform: the charge for 2026-01-01 to "
            "2026-01-31 is too large to bill (4.000E+16 USD; amounts have at most 15 digits "
            "before the decimal point): it is left off its invoice, and so is the line's "
            "charge for any later period as large",
        ),
    ]
    invoices = [t for t in transactions(entries) if "invoice-id" in t.meta]
    assert [(t.meta["invoice-id"], t.postings[0].units.number) for t in invoices] == [
        (f"INV-ACME-1-2026{month:02d}01", Decimal(1000) * 100**n)
        for n, month in enumerate(range(1, 7))
    ]


EARLY = ACME.replace("2026-01-15", "2019-12-01").replace("2026-03-31", "2020-01-31")
OPENED_IN_2020 = (
    ALL_PLUGINS
    + "2020-01-01 open Assets:AccountsReceivable:Customers:Acme\n"
    + "2020-01-01 open Liabilities:DeferredRevenue\n"
    + "2020-01-01 open Assets:UnbilledRevenue\n"
)


def located(errors: list[Any]) -> list[tuple[str, int, str]]:
    return [(e.source["filename"], e.source["lineno"], e.message) for e in errors]


def test_an_invoice_before_the_ledger_opens_its_account_is_an_error_at_the_contract(
    tmp_path: Path,
) -> None:
    path = write_books(tmp_path, {"acme": EARLY}, OPENED_IN_2020)
    entries, errors, _ = loader.load_file(str(path))
    assert located(errors) == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            3,
            "contract ACME-1 (customer acme): Invoice INV-ACME-1-20191201 — Acme Corp, dated "
            "2019-12-01, posts to Assets:AccountsReceivable:Customers:Acme, which the ledger "
            "opens on 2020-01-01: it is left out of the books. Change the dates of the "
            "contract (or of the adjustment), or the account's open or close in the ledger",
        )
    ]  # and no "Invalid reference to inactive account" at <beanbill:…>
    invoices = [t for t in transactions(entries) if "invoice-id" in t.meta]
    assert [t.meta["invoice-id"] for t in invoices] == ["INV-ACME-1-20200101"]


def test_revenue_recognised_before_the_ledger_opens_its_account_is_an_error_at_the_contract(
    tmp_path: Path,
) -> None:
    arrears = EARLY.replace("timing: advance", "timing: arrears")
    path = write_books(tmp_path, {"acme": arrears}, OPENED_IN_2020)
    entries, errors, _ = loader.load_file(str(path))
    # December is billed on 2020-01-01, but accrued on 2019-12-31 into Unbilled Revenue
    assert located(errors) == [
        (
            str(tmp_path / "contracts" / "customers" / "acme.yaml"),
            3,
            "contract ACME-1 (customer acme): the revenue of INV-ACME-1-20200101 recognised on "
            "2019-12-31 posts to Assets:UnbilledRevenue, which the ledger opens on 2020-01-01: "
            "it is left out of the books. Change the service dates (the contract's), or the "
            "account's open or close in the ledger",
        )
    ]
    recognised = [t for t in transactions(entries) if t.narration.startswith("Revenue")]
    assert [t.date for t in recognised] == [datetime.date(2020, 1, 31)]


def test_an_invoice_after_the_ledger_closes_its_account_is_an_error_at_the_contract(
    tmp_path: Path,
) -> None:
    ledger = LEDGER + "2026-02-15 close Assets:AccountsReceivable:Customers:Acme\n"
    entries, errors, _ = loader.load_file(str(write_books(tmp_path, ledger=ledger)))
    assert [(e.source["lineno"], e.message) for e in errors] == [
        (
            3,
            "contract ACME-1 (customer acme): Invoice INV-ACME-1-20260301 — Acme Corp, dated "
            "2026-03-01, posts to Assets:AccountsReceivable:Customers:Acme, which the ledger "
            "closes on 2026-02-15: it is left out of the books. Change the dates of the "
            "contract (or of the adjustment), or the account's open or close in the ledger",
        )
    ]
    invoices = [t for t in transactions(entries) if "invoice-id" in t.meta]
    assert [t.meta["invoice-id"] for t in invoices] == [
        "INV-ACME-1-20260115",
        "INV-ACME-1-20260201",
    ]


PRICED = """\
customer: {id: acme, account: Acme, name: Acme Corp, consolidate: true}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-02-28
    billing: {cadence: monthly, timing: advance}
    phases:
      - name: Launch
        start: 2026-01-01
        end: 2026-01-31
        products:
          - product: platform
            pricing: {model: flat_fee, price: "1000.00"}
        discounts:
          - {name: Launch discount, percent: "10%"}
      - name: List price
        start: 2026-02-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "1200.00"}
        minimum_commitment: {amount: "1500.00", per: billing_period, products: [platform]}
  - id: ACME-2
    start: 2026-01-01
    end: 2026-01-31
    billing: {cadence: monthly, timing: advance}
    phases:
      - start: 2026-01-01
        products:
          - product: platform
            pricing: {model: flat_fee, price: "50.00"}
"""


def test_each_invoice_line_names_the_clause_that_priced_it(tmp_path: Path) -> None:
    """The auditor's path from a posting to the contract: each line's `beanbill-source` is
    the product, discount or commitment of the phase that set its amount (the invoice's own
    is its first contract); the tax, worked out from the lines, names none."""
    entries, errors, _ = loader.load_file(str(write_books(tmp_path, {"acme": PRICED})))
    assert errors == []
    january, february = transactions(entries)
    lines = PRICED.splitlines()

    def clause(posting: data.Posting) -> str | None:
        where = (posting.meta or {}).get("beanbill-source")
        if where is None:
            return None
        file, _, number = str(where).rpartition(":")
        assert file == "contracts/customers/acme.yaml"
        return lines[int(number) - 1].strip()

    assert january.meta["beanbill-source"] == "contracts/customers/acme.yaml:3"
    assert [(p.units.number, clause(p)) for p in january.postings] == [
        (Decimal("950.00"), None),  # the receivable
        (Decimal("-1000.00"), "- product: platform"),  # ACME-1, Launch
        (Decimal("100.00"), '- {name: Launch discount, percent: "10%"}'),
        (Decimal("-50.00"), "- product: platform"),  # ACME-2
    ]
    sources = [str(p.meta["beanbill-source"]) for p in january.postings[1:]]
    assert [int(where.rpartition(":")[2]) for where in sources] == [12, 15, 29]
    assert [(p.units.number, clause(p)) for p in february.postings] == [
        (Decimal("1500.00"), None),
        (Decimal("-1200.00"), "- product: platform"),  # ACME-1, List price
        (
            Decimal("-300.00"),
            'minimum_commitment: {amount: "1500.00", per: billing_period, products: [platform]}',
        ),
    ]
    assert february.postings[1].meta["beanbill-source"] == "contracts/customers/acme.yaml:19"
