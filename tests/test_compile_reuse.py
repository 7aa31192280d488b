"""The contracts plugin reuses its last compile of a folder when a load finds the folder's
texts, the horizon and the ledger's opened accounts unchanged (Fava reloads the whole ledger
on any change, a bank import included), and compiles afresh on any change to them."""

from __future__ import annotations

from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import printer

from beanbill.compiler import Compiled
from beanbill.plugins import contracts
from tests.test_adjustments import ACME, by_meta, write_books
from tests.test_export import LEDGER

ROOT = Path(__file__).resolve().parent.parent
PAYMENT = """
2026-02-20 * "Acme Corp" "Payment" ^INV-ACME-1-20260201
  Assets:Cash:Bank   330.00 USD
  Assets:AccountsReceivable:Customers:Acme  -330.00 USD
"""


@pytest.fixture(autouse=True)
def reuse_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contracts, "RECENT_COMPILES", 4)


def last_compile(folder: Path) -> Compiled:
    return contracts.recent[str(folder)][1]


def load(ledger: Path) -> list[data.Directive]:
    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    return entries


def text(entries: list[data.Directive]) -> str:
    return "".join(printer.format_entry(entry) for entry in entries)


def test_the_demo_books_are_the_same_whether_compiled_or_reused() -> None:
    ledger = ROOT / "ledgers" / "main.beancount"
    first = load(ledger)
    compiled = last_compile(ROOT / "contracts")
    again = load(ledger)
    assert last_compile(ROOT / "contracts") is compiled  # reused, not compiled again
    contracts.recent.clear()
    fresh = load(ledger)
    assert last_compile(ROOT / "contracts") is not compiled
    # Nothing the first load did to the compiled entries (settlement, recognition, Beancount's
    # own plugins and checks) changed them: the reused books are those of a fresh compile.
    assert text(again) == text(fresh) == text(first)
    assert len(first) > 300


def test_a_bank_import_reloads_the_books_without_compiling_the_contracts(
    tmp_path: Path,
) -> None:
    ledger = write_books(tmp_path, {"acme": ACME}, LEDGER)
    before = load(ledger)
    compiled = last_compile(tmp_path / "contracts")
    assert by_meta(before, "invoice-id", "INV-ACME-1-20260201").meta["status"] == "open"
    with ledger.open("a") as file:
        file.write(PAYMENT)
    after = load(ledger)
    assert last_compile(tmp_path / "contracts") is compiled
    assert by_meta(after, "invoice-id", "INV-ACME-1-20260201").meta["status"] == "paid"


def test_any_change_to_what_the_compile_reads_compiles_afresh(tmp_path: Path) -> None:
    ledger = write_books(tmp_path, {"acme": ACME}, LEDGER)
    folder = tmp_path / "contracts"
    load(ledger)
    seen = [last_compile(folder)]

    def compiled_afresh() -> list[data.Directive]:
        entries = load(ledger)
        assert all(last_compile(folder) is not earlier for earlier in seen)
        seen.append(last_compile(folder))
        return entries

    # An edited contract: the new price is invoiced.
    (folder / "customers" / "acme.yaml").write_text(ACME.replace('"300.00"', '"310.00"'))
    entries = compiled_afresh()
    assert by_meta(entries, "invoice-id", "INV-ACME-1-20260201").postings[0].units.number == (341)
    # An added file: another customer is invoiced.
    beta = ACME.replace("acme", "beta").replace("Acme", "Beta").replace("ACME", "BETA")
    (folder / "customers" / "beta.yaml").write_text(beta)
    entries = compiled_afresh()
    assert by_meta(entries, "invoice-id", "INV-BETA-1-20260201")
    # A removed file: its invoices go.
    (folder / "customers" / "beta.yaml").unlink()
    entries = compiled_afresh()
    assert not [e for e in entries if e.meta.get("customer") == "beta"]
    # Another horizon: the March invoice is not issued.
    ledger.write_text(LEDGER.replace("until: 2026-12-31", "until: 2026-02-28"))
    entries = compiled_afresh()
    assert not [e for e in entries if e.meta.get("invoice-id") == "INV-ACME-1-20260301"]
    # An account the ledger now opens itself: the plugin no longer opens it too.
    ledger.write_text(LEDGER + "2026-01-01 open Income:ProfessionalServices\n")
    entries = compiled_afresh()
    opens = [e for e in entries if isinstance(e, data.Open)]
    assert [o.meta["filename"] for o in opens if o.account == "Income:ProfessionalServices"] == [
        str(ledger)
    ]
