"""`beanbill export`: the general journal of a period, balanced, every account mapped."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from beanbill import cli
from beanbill.export import MapError, read_map
from beanbill.plugins.chart import CHART_PATTERNS
from tests.test_adjustments import ACME, write_books

AR = "Assets:AccountsReceivable:Customers:Acme"
LEDGER = f"""\
option "operating_currency" "USD"
plugin "beanbill.plugins.contracts" "{{path: contracts, until: 2026-12-31}}"
plugin "beanbill.plugins.recognition"
plugin "beanbill.plugins.settlement"
plugin "beanbill.plugins.chart"
2026-01-01 open Assets:Cash:Bank

2026-01-20 * "Acme Corp" "Payment" ^INV-ACME-1-20260101
  Assets:Cash:Bank   440.00 USD
  {AR}  -440.00 USD
"""
MAP = """\
accounts:
  "Assets:AccountsReceivable:Customers:*": "1200"
  "Assets:Cash:*": "1000"
  "Liabilities:DeferredRevenue": "2400"
  "Liabilities:SalesTax:*": 2200
  "Income:*": "4000"
"""


def export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str, ledger: str = LEDGER
) -> tuple[int, str, str]:
    path = write_books(tmp_path, {"acme": ACME}, ledger)
    code = cli.main(["export", str(path), "--from", "2026-01-01", "--to", "2026-01-31", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_month_exports_as_balanced_journals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = export(tmp_path, capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    invoice = [r for r in rows if r["description"].startswith("Invoice")]
    assert [(r["account"], r["debit"], r["credit"]) for r in invoice] == [
        (AR, "440.00", ""),
        ("Liabilities:DeferredRevenue", "", "300.00"),
        ("Liabilities:DeferredRevenue", "", "100.00"),
        ("Liabilities:SalesTax:CA", "", "40.00"),
    ]
    assert {(r["date"], r["reference"], r["customer"], r["currency"]) for r in invoice} == {
        ("2026-01-01", "INV-ACME-1-20260101", "acme", "USD")
    }
    assert invoice[0]["description"] == "Invoice INV-ACME-1-20260101 — Acme Corp"
    # January: the invoice and the onboarding recognised on 01-01 (in the books' order), the
    # payment, the platform's January recognised on 01-31.
    assert sorted({(r["journal"], r["description"]) for r in rows}) == [
        ("20260101-1", "Revenue recognised 2026-01 — ACME-1"),
        ("20260101-2", "Invoice INV-ACME-1-20260101 — Acme Corp"),
        ("20260120-1", "Payment"),
        ("20260131-1", "Revenue recognised 2026-01 — ACME-1"),
    ]
    assert err == (
        "beanbill export: 4 journals, 10 lines, 2026-01-01 to 2026-01-31; "
        "USD debits 1280.00 = credits 1280.00\n"
    )


def test_a_line_on_a_customer_s_account_names_the_customer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A payment or wallet top-up written by hand has no `customer` metadata: its lines on the
    customer's receivable or wallet name the customer (its id, as an invoice's lines do), from
    the account; with every receivable mapped to one ERP account, nothing else would."""
    ledger = LEDGER + (
        "2026-01-01 open Liabilities:CustomerWallet:Acme\n"
        '2026-01-25 * "Acme Corp" "Prepaid credit"\n'
        "  Assets:Cash:Bank                  100.00 USD\n"
        "  Liabilities:CustomerWallet:Acme  -100.00 USD\n"
        '2026-01-26 * "Cash sale"\n'
        '  customer: "walk-in"\n'
        "  Assets:Cash:Bank                 50.00 USD\n"
        "  Income:ProfessionalServices    -50.00 USD\n"
    )
    (tmp_path / "map.yaml").write_text(MAP + '  "Liabilities:*": "2000"\n')
    for form in ("csv", "json"):
        code, out, err = export(
            tmp_path, capsys, "--map", str(tmp_path / "map.yaml"), "--format", form, ledger=ledger
        )
        assert code == 0, err
        rows = json.loads(out) if form == "json" else list(csv.DictReader(io.StringIO(out)))
        assert [
            (r["journal"], r["account"], r["beancount account"], r["customer"])
            for r in rows
            if r["date"] >= "2026-01-20" and r["date"] != "2026-01-31"
        ] == [
            ("20260120-1", "1000", "Assets:Cash:Bank", ""),
            ("20260120-1", "1200", AR, "acme"),
            ("20260125-1", "1000", "Assets:Cash:Bank", ""),
            ("20260125-1", "2000", "Liabilities:CustomerWallet:Acme", "acme"),
            # An entry that names its customer keeps it, on every line.
            ("20260126-1", "1000", "Assets:Cash:Bank", "walk-in"),
            ("20260126-1", "4000", "Income:ProfessionalServices", "walk-in"),
        ]


def test_journal_numbers_do_not_move_when_another_file_s_lines_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A comment added to one customer's file renumbers nothing already exported."""
    beta = ACME.replace("acme", "beta").replace("Acme", "Beta").replace("ACME", "BETA")
    path = write_books(tmp_path, {"acme": ACME, "beta": beta}, LEDGER)

    def numbered() -> list[tuple[str, str]]:
        argv = ["export", str(path), "--from", "2026-01-01", "--to", "2026-01-31"]
        assert cli.main(argv) == 0
        rows = csv.DictReader(io.StringIO(capsys.readouterr().out))
        return sorted({(r["journal"], r["description"]) for r in rows})

    before = numbered()
    acme = tmp_path / "contracts" / "customers" / "acme.yaml"
    acme.write_text("# Signed 2025-12-18.\n" * 10 + acme.read_text())
    assert numbered() == before
    assert before[:4] == [
        ("20260101-1", "Revenue recognised 2026-01 — ACME-1"),  # the onboarding, on its day
        ("20260101-2", "Revenue recognised 2026-01 — BETA-1"),
        ("20260101-3", "Invoice INV-ACME-1-20260101 — Acme Corp"),
        ("20260101-4", "Invoice INV-BETA-1-20260101 — Beta Corp"),
    ]


def test_an_invoice_comes_before_its_payment_of_the_same_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paid_at_once = LEDGER.replace("2026-01-20 *", "2026-01-01 *")
    code, out, _ = export(tmp_path, capsys, ledger=paid_at_once)
    assert code == 0
    journals = sorted({(r["journal"], r["description"]) for r in csv.DictReader(io.StringIO(out))})
    assert [d for j, d in journals if j.startswith("20260101-")] == [
        "Revenue recognised 2026-01 — ACME-1",
        "Invoice INV-ACME-1-20260101 — Acme Corp",
        "Payment",
    ]


def test_a_map_gives_every_account_its_erp_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "map.yaml").write_text(MAP)
    out_file = tmp_path / "journal.json"
    code, _, _ = export(
        tmp_path,
        capsys,
        "--map",
        str(tmp_path / "map.yaml"),
        "--format",
        "json",
        "-o",
        str(out_file),
    )
    assert code == 0
    rows = json.loads(out_file.read_text())
    assert {(r["beancount account"], r["account"]) for r in rows} == {
        (AR, "1200"),
        ("Assets:Cash:Bank", "1000"),
        ("Liabilities:DeferredRevenue", "2400"),
        ("Liabilities:SalesTax:CA", "2200"),
        ("Income:SalesAndServicesRevenue", "4000"),
        ("Income:ProfessionalServices", "4000"),
    }
    assert rows[2]["debit"] == "440.00"  # numbers as strings, never binary floats


def test_an_unmapped_account_stops_the_export_at_its_first_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "map.yaml").write_text(MAP.replace('  "Income:*": "4000"\n', ""))
    out_file = tmp_path / "journal.csv"
    code, _, err = export(
        tmp_path, capsys, "--map", str(tmp_path / "map.yaml"), "-o", str(out_file)
    )
    assert code == 1
    map_file = tmp_path / "map.yaml"
    assert err.splitlines() == [
        f"{map_file}: account Income:ProfessionalServices (first posted to by 2026-01-01 "
        '"Revenue recognised 2026-01 — ACME-1") matches no pattern: add one',
        f"{map_file}: account Income:SalesAndServicesRevenue (first posted to by 2026-01-31 "
        '"Revenue recognised 2026-01 — ACME-1") matches no pattern: add one',
        "beanbill export: 2 problem(s); nothing written",
    ]
    assert not out_file.exists()


def test_an_unmapped_account_names_the_map_as_its_other_problems_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "map.yaml").write_text(MAP.replace('  "Income:*": "4000"\n', ""))
    monkeypatch.chdir(tmp_path)
    code, _, err = export(tmp_path, capsys, "--map", str(tmp_path / "map.yaml"))
    assert code == 1
    assert err.splitlines()[0] == (
        "map.yaml: account Income:ProfessionalServices (first posted to by 2026-01-01 "
        '"Revenue recognised 2026-01 — ACME-1") matches no pattern: add one'
    )


def test_a_currency_conversion_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = LEDGER + (
        '\n2026-01-25 * "FX" "Convert"\n'
        "  Assets:Cash:Bank   -100.00 USD\n"
        "  Assets:Cash:BankEUR  90.00 EUR @ 1.111111 USD\n"
        "2026-01-01 open Assets:Cash:BankEUR\n"
    )
    code, out, err = export(tmp_path, capsys, ledger=ledger)
    assert code == 1 and out == ""
    assert err.endswith(
        "converts currencies (a posting at a price or cost): not exported\n"
        "beanbill export: 1 problem(s); nothing written\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "2025-12-31"], "--to 2025-12-31 is before --from 2026-01-01; nothing written"),
        (["--map", "/nonexistent.yaml"], "cannot read the map /nonexistent.yaml"),
    ],
)
def test_export_refuses_what_it_cannot_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = export(tmp_path, capsys, *args)
    assert code == 1 and out == ""
    assert message in err


def test_a_map_that_is_not_a_mapping_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "map.yaml").write_text("accounts: [1200, 4000]\n")
    code, _, err = export(tmp_path, capsys, "--map", str(tmp_path / "map.yaml"))
    assert code == 1
    assert 'map.yaml:1: needs "accounts:", a mapping of account patterns to ERP accounts' in err


def test_account_codes_are_read_as_written() -> None:
    # YAML's own types would read 0100 as the octal number 64, and 1200.10 as 1200.1
    account_map = read_map(
        'accounts: {"Assets:*": 0100, "Income:*": 4000, "Expenses:*": 1200.10, "*": 0x1F}\n'
        "netsuite: {subsidiary: 007}\n",
        "map.yaml",
    )
    assert [account_map.get(a) for a in ("Assets:Cash", "Income:X", "Expenses:Y", "Equity:Z")] == [
        "0100",
        "4000",
        "1200.10",
        "0x1F",
    ]
    assert account_map.settings == {"netsuite": {"subsidiary": "007"}}


def test_the_demo_map_covers_the_demo_books(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parent.parent
    ledger, erp_map = root / "ledgers" / "main.beancount", root / "ledgers" / "erp-map.yaml"
    args = ["export", str(ledger), "--from", "2026-01-01", "--to", "2026-12-31"]
    assert cli.main([*args, "--map", str(erp_map), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert {row["account"] for row in json.loads(out)} <= {
        "1000", "1200", "1210", "1300", "1400", "2200", "2400", "2410", "2420", "4000", "4900",
        "6100", "6200", "3000",
    }  # fmt: skip
    assert err.startswith("beanbill export: 254 journals, 895 lines, 2026-01-01 to 2026-12-31")
    for erp, journal in (("quickbooks", "Journal No."), ("netsuite", "External ID")):
        assert cli.main([*args, "--map", str(erp_map), "--format", erp]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr()[0])))
        assert (len(rows), len({row[journal] for row in rows})) == (895, 254)
    # The demo invoices in EUR and JPY too: Xero's manual journals take USD only.
    assert cli.main([*args, "--map", str(erp_map), "--format", "xero"]) == 1
    err = capsys.readouterr()[1]
    assert "33 journal(s) in EUR, the first 20260201-3 (2026-02-01 Invoice INV-GLOBEX-1" in err
    assert "journal(s) in JPY, the first" in err


def test_the_demo_map_maps_every_account_of_the_default_chart() -> None:
    # A company starts from this map: a refund to the default Assets:Cash, or a gateway's
    # refund obligation, must not stop its first export.
    root = Path(__file__).resolve().parent.parent
    text = (root / "ledgers" / "erp-map.yaml").read_text(encoding="utf-8")
    account_map = read_map(text, "erp-map.yaml")
    examples = {"<Customer>": "Acme", "<Gateway>": "Stripe", "<Custom>": "Licences"}
    unmapped = []
    for pattern in CHART_PATTERNS:
        account = pattern.removesuffix("[:…]")
        for placeholder, name in examples.items():
            account = account.replace(placeholder, name)
        for example in (account, f"{account}:Sub") if pattern.endswith("[:…]") else (account,):
            if account_map.get(example) is None:
                unmapped.append(example)
    assert unmapped == []


def erp_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], erp: str, settings: str = "", **kw: str
) -> tuple[int, list[dict[str, str]], str]:
    (tmp_path / "map.yaml").write_text(MAP + settings)
    code, out, err = export(
        tmp_path, capsys, "--map", str(tmp_path / "map.yaml"), "--format", erp, **kw
    )
    return code, list(csv.DictReader(io.StringIO(out))), err


def test_quickbooks_gets_its_journal_entry_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = erp_export(tmp_path, capsys, "quickbooks")
    assert code == 0
    invoice = "Invoice INV-ACME-1-20260101 — Acme Corp"
    assert [list(r.values()) for r in rows if r["Journal No."] in ("20260101-2", "20260120-1")] == [
        ["20260101-2", "01/01/2026", "1200", "440.00", "", invoice, "Acme Corp", "USD"],
        ["20260101-2", "01/01/2026", "2400", "", "300.00", invoice, "", "USD"],
        ["20260101-2", "01/01/2026", "2400", "", "100.00", invoice, "", "USD"],
        ["20260101-2", "01/01/2026", "2200", "", "40.00", invoice, "", "USD"],
        # The payment's narration does not name the invoice: its link is added.
        ["20260120-1", "01/20/2026", "1000", "440.00", "", "Payment (INV-ACME-1-20260101)", "",
         "USD"],
        ["20260120-1", "01/20/2026", "1200", "", "440.00", "Payment (INV-ACME-1-20260101)",
         "Acme Corp", "USD"],
    ]  # fmt: skip
    assert list(rows[0]) == [
        "Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name",
        "Currency",
    ]  # fmt: skip
    settings = 'quickbooks: {date_format: "%d/%m/%Y"}\n'
    code, rows, _ = erp_export(tmp_path, capsys, "quickbooks", settings)
    assert code == 0 and rows[-1]["Journal Date"] == "31/01/2026"


def test_xero_gets_its_manual_journal_import_in_the_base_currency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = erp_export(tmp_path, capsys, "xero")
    assert code == 0
    payment = [r for r in rows if r["*Narration"].startswith("20260120-1 ")]
    assert [list(r.values()) for r in payment] == [
        ["20260120-1 Payment (INV-ACME-1-20260101)", "20 Jan 2026",
         "Payment (INV-ACME-1-20260101)", "1000", "Tax Exempt", "440.00", "", "", "", ""],
        ["20260120-1 Payment (INV-ACME-1-20260101)", "20 Jan 2026", "Acme Corp", "1200",
         "Tax Exempt", "-440.00", "", "", "", ""],
    ]  # fmt: skip
    # Rows sharing narration and date make one Xero journal: one narration per journal.
    assert len({r["*Narration"] for r in rows}) == 4
    assert sum(Decimal(r["*Amount"]) for r in rows) == 0

    ledger = LEDGER + (
        "2026-01-01 open Assets:Cash:BankEUR\n"
        '2026-01-25 * "Cash sale"\n'
        "  Assets:Cash:BankEUR             50.00 EUR\n"
        "  Income:ProfessionalServices    -50.00 EUR\n"
    )
    code, rows, err = erp_export(tmp_path, capsys, "xero", ledger=ledger)
    assert code == 1 and rows == []
    assert err.splitlines()[-2:] == [
        "beanbill export: 1 journal(s) in EUR, the first 20260125-1 (2026-01-25 Cash sale): "
        "Xero's manual journals are in the base currency, USD",
        "beanbill export: 1 problem(s); nothing written",
    ]
    code, rows, _ = erp_export(
        tmp_path, capsys, "xero", "xero: {tax_rate: BAS Excluded, currency: EUR}\n", ledger=ledger
    )
    assert code == 1  # now the USD journals are the foreign ones
    no_currency = LEDGER.replace('option "operating_currency" "USD"\n', "")
    code, _, err = erp_export(tmp_path, capsys, "xero", ledger=no_currency)
    assert code == 1
    assert 'say the Xero organisation\'s base currency: "xero: {currency: USD}" in the map' in err


def test_netsuite_gets_its_journal_entry_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, rows, _ = erp_export(tmp_path, capsys, "netsuite", "netsuite: {subsidiary: Demo Inc.}\n")
    assert code == 0
    assert list(rows[2].items()) == [
        ("External ID", "beanbill-20260101-2"), ("Date", "01/01/2026"), ("Subsidiary", "Demo Inc."),
        ("Currency", "USD"), ("Memo", "Invoice INV-ACME-1-20260101 — Acme Corp"),
        ("Account", "1200"), ("Debit", "440.00"), ("Credit", ""), ("Line Memo", AR),
        ("Name", "Acme Corp"),
    ]  # fmt: skip
    assert len({r["External ID"] for r in rows}) == 4


def test_a_journal_in_two_currencies_is_refused_by_one_currency_erps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = LEDGER + (
        "2026-01-01 open Assets:Cash:BankEUR\n"
        '2026-01-25 * "Two sales"\n'
        "  Assets:Cash:BankEUR             50.00 EUR\n"
        "  Income:ProfessionalServices    -50.00 EUR\n"
        "  Assets:Cash:Bank                60.00 USD\n"
        "  Income:ProfessionalServices    -60.00 USD\n"
    )
    for erp, name in (("quickbooks", "QuickBooks"), ("netsuite", "NetSuite")):
        code, _, err = erp_export(tmp_path, capsys, erp, ledger=ledger)
        assert code == 1
        assert (
            "beanbill export: journal 20260125-1 (2026-01-25 Two sales) has lines in EUR and "
            f"USD: a {name} journal entry is in one currency\n"
        ) in err


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("sap: {}\n", "unknown key 'sap' (a map has accounts, quickbooks, xero, netsuite)"),
        ("xero: {taxrate: x}\n", "xero: unknown setting 'taxrate' (it takes currency, tax_rate)"),
        ('netsuite: {date_format: "%m/%d"}\n', "netsuite: date_format '%m/%d' does not write"),
        ("quickbooks: [1]\n", "quickbooks: give its settings (date_format)"),
    ],
)
def test_a_map_with_wrong_erp_settings_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str, message: str
) -> None:
    code, _, err = erp_export(tmp_path, capsys, "csv", settings)
    assert code == 1 and message in err


def test_every_problem_of_a_map_is_said_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = "xero: {currency: usd}\nsap: {a: 1}\nacounts: {}\n"
    code, rows, err = erp_export(tmp_path, capsys, "xero", settings)
    assert code == 1 and rows == []
    path = tmp_path / "map.yaml"
    assert err.splitlines() == [
        f"{path}:7: xero: currency 'usd' is not an ISO 4217 currency code (did you mean \"USD\"? "
        "codes are upper case)",
        f"{path}:8: unknown key 'sap' (a map has accounts, quickbooks, xero, netsuite)",
        f"{path}:9: unknown key 'acounts' (did you mean \"accounts\"? a map has accounts, "
        "quickbooks, xero, netsuite)",
        "beanbill export: 3 problems in the map; nothing written",
    ]


def test_a_yaml_syntax_error_in_the_map_is_at_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "map.yaml"
    path.write_text('accounts:\n  "Income:*": "4000"\n xero: {tax_rate: x}\n')
    code, out, err = export(tmp_path, capsys, "--map", str(path))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{path}:3: YAML syntax error: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block mapping that starts on line 1); this line is indented less than "
        "the keys above it and more than their parent's: indent it like the keys it belongs with",
        "beanbill export: 1 problem in the map; nothing written",
    ]


BAD_MAP = """\
# The ERP's chart of accounts
accounts:
  "Assets:AccountsReceivable:Customers:*": "1200"
  "Assets:Cash:*": "1000"
  "Income:*":
  "Liabilities:*": [2200, 2400]
  "Assets:Cash:*": "1010"
xero:
  tax_rate: Tax Exempt
  currency: usd
  taxrate: x
quickbooks: {date_format: "%m/%d"}
netsuite: NetSuite
sap: {}
xero: {}
"""


def test_each_problem_of_a_map_is_at_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a contract's problems are: the file relative to the current folder, the line of
    the key or value, every problem at once, in the order of the lines."""
    path = tmp_path / "erp" / "map.yaml"
    path.parent.mkdir()
    path.write_text(BAD_MAP)
    monkeypatch.chdir(tmp_path)
    code, out, err = export(tmp_path, capsys, "--map", str(path))  # an absolute path
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "erp/map.yaml:5: 'Income:*': map each account pattern to an ERP account",
        "erp/map.yaml:6: 'Liabilities:*': map each account pattern to an ERP account",
        "erp/map.yaml:7: key 'Assets:Cash:*' is given twice (first on line 4)",
        "erp/map.yaml:10: xero: currency 'usd' is not an ISO 4217 currency code (did you mean "
        '"USD"? codes are upper case)',
        "erp/map.yaml:11: xero: unknown setting 'taxrate' (it takes currency, tax_rate)",
        "erp/map.yaml:12: quickbooks: date_format '%m/%d' does not write a whole date that "
        'reads back (e.g. "%m/%d/%Y")',
        "erp/map.yaml:13: netsuite: give its settings (date_format, subsidiary)",
        "erp/map.yaml:14: unknown key 'sap' (a map has accounts, quickbooks, xero, netsuite)",
        "erp/map.yaml:15: key 'xero' is given twice (first on line 8)",
        "beanbill export: 9 problems in the map; nothing written",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", 'map.yaml:1: needs "accounts:", a mapping of account patterns to ERP accounts'),
        (
            "# a map\n\nxero: {currency: USD}\n",
            'map.yaml:3: needs "accounts:", a mapping of account patterns to ERP accounts',
        ),
        (
            "xero: {currency: USD}\naccounts:\n",
            'map.yaml:2: needs "accounts:", a mapping of account patterns to ERP accounts',
        ),
        (
            'accounts:\n  "Income:*": "4000"\nxero:\n  currency:\n',
            "map.yaml:4: xero: currency must be a text or a number",
        ),
        (
            'accounts:\n  "Income:*": "4000"\n  ? [a, b]\n  : "1000"\n',
            "map.yaml:3: keys must be text, not a list",
        ),
        (
            'accounts:\n  "Income:*": !!python/object:os.system "4000"\n',
            "map.yaml:2: the YAML tag !!python/object:os.system is not allowed (only plain data)",
        ),
    ],
    ids=["empty file", "no accounts", "empty accounts", "empty setting", "list key", "tag"],
)
def test_a_map_problem_is_at_its_line(text: str, problem: str) -> None:
    with pytest.raises(MapError) as error:
        read_map(text, "map.yaml")
    assert error.value.problems == (problem,)


def test_an_erp_layout_needs_a_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = export(tmp_path, capsys, "--format", "quickbooks")
    assert code == 1 and out == ""
    assert "--format quickbooks needs --map: the ERP's accounts; nothing written" in err
