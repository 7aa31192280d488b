"""`beanbill export`: the general journal of a period, balanced, every account mapped."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from beanbill import cli
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
    assert 'map.yaml: needs "accounts:", a mapping of account patterns to ERP accounts' in err


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
    assert err.startswith("beanbill export: 254 journals, 902 lines, 2026-01-01 to 2026-12-31")
