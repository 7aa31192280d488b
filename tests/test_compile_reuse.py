"""The contracts plugin reuses its last compile of a folder when a load finds the folder's
texts, the horizon and the ledger's opened accounts unchanged (Fava reloads the whole ledger
on any change, a bank import included), and compiles afresh on any change to them."""

from __future__ import annotations

import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import printer

from beanbill import cli
from beanbill.compiler import Compiled
from beanbill.plugins import contracts, recognition
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


BETA = ACME.replace("acme", "beta").replace("Acme", "Beta").replace("ACME", "BETA")


def generated_invoices(ledger: Path) -> dict[str, data.Transaction]:
    """The contracts plugin's invoice directives, by id (as compiled, before settlement)."""
    compiled = last_compile(ledger.parent / "contracts")
    return {
        str(d.meta["invoice-id"]): d
        for d in compiled.directives
        if isinstance(d, data.Transaction) and "due-date" in d.meta
    }


def fresh_text(ledger: Path) -> tuple[str, list[str]]:
    contracts.recent.clear()
    entries, errors, _ = loader.load_file(str(ledger))
    return text(entries), [e.message for e in errors]


def test_a_customer_whose_file_changed_is_billed_again_and_only_it(tmp_path: Path) -> None:
    ledger = write_books(tmp_path, {"acme": ACME, "beta": BETA}, LEDGER)
    customers = tmp_path / "contracts" / "customers"
    load(ledger)
    before = generated_invoices(ledger)
    (customers / "beta.yaml").write_text(BETA.replace('"300.00"', '"310.00"'))
    after_entries = load(ledger)
    after = generated_invoices(ledger)
    assert after.keys() == before.keys()
    for invoice_id, directive in after.items():
        reused = directive is before[invoice_id]
        assert reused == invoice_id.startswith("INV-ACME-"), invoice_id
    assert after["INV-BETA-1-20260201"].postings[0].units.number == 341
    assert fresh_text(ledger) == (text(after_entries), [])


def releases_of(entries: list[data.Directive], contract: str) -> dict[object, data.Transaction]:
    """The recognition plugin's transactions for `contract`, by date."""
    return {
        e.date: e
        for e in entries
        if isinstance(e, data.Transaction)
        and e.meta["filename"] == recognition.RECOGNITION_FILE
        and e.meta["contract"] == contract
    }


def test_the_releases_of_unchanged_contracts_are_kept_and_the_edited_ones_worked_out_again(
    tmp_path: Path,
) -> None:
    ledger = write_books(tmp_path, {"acme": ACME, "beta": BETA}, LEDGER)
    first = load(ledger)
    (tmp_path / "contracts" / "customers" / "beta.yaml").write_text(
        BETA.replace('"300.00"', '"310.00"')
    )
    second = load(ledger)
    acme_before, acme_after = releases_of(first, "ACME-1"), releases_of(second, "ACME-1")
    assert len(acme_after) == 4 and acme_after.keys() == acme_before.keys()
    assert all(acme_after[day].postings is acme_before[day].postings for day in acme_after)
    beta_before, beta_after = releases_of(first, "BETA-1"), releases_of(second, "BETA-1")
    assert beta_after.keys() == beta_before.keys()
    assert all(beta_after[day].postings is not beta_before[day].postings for day in beta_after)
    february = beta_after[datetime.date(2026, 2, 28)]
    assert [p.units.number for p in february.postings] == [D("310.00"), D("-310.00")]
    assert fresh_text(ledger) == (text(second), [])


METERED = (
    "          - product: api\n"
    "            billing: {cadence: monthly, timing: arrears}\n"
    '            pricing: {model: per_unit, unit_price: "0.10"}\n'
)
USAGE_HEADER = "timestamp,customer,metric,quantity\n"


def metered_books(tmp_path: Path) -> tuple[Path, Path]:
    """Acme and Beta with a metered API line, and a usage file with a row for each."""
    with_api = {
        name: text_.replace("        taxes: [ca]\n", METERED + "        taxes: [ca]\n")
        for name, text_ in (("acme", ACME), ("beta", BETA))
    }
    ledger = write_books(tmp_path, with_api, LEDGER)
    catalog = tmp_path / "contracts" / "catalog.yaml"
    catalog.write_text(
        catalog.read_text()
        + "  api: {name: API calls, metric: api_calls, aggregation: sum, revenue_rule: services}\n"
    )
    (tmp_path / "contracts" / "usage").mkdir()
    usage = tmp_path / "contracts" / "usage" / "2026-01.csv"
    usage.write_text(
        USAGE_HEADER + "2026-01-10,acme,api_calls,100\n2026-01-11,beta,api_calls,200\n"
    )
    return ledger, usage


def usage_events(ledger: Path) -> object:
    memo = last_compile(ledger.parent / "contracts").memo
    assert memo is not None and memo.parsed is not None
    return memo.parsed.usage.events


def test_usage_is_read_again_only_when_it_or_the_customers_it_names_change(
    tmp_path: Path,
) -> None:
    ledger, _ = metered_books(tmp_path)
    beta = tmp_path / "contracts" / "customers" / "beta.yaml"
    load(ledger)
    events = usage_events(ledger)
    assert len(events) == 2  # type: ignore[arg-type]
    beta.write_text(beta.read_text().replace('"300.00"', '"310.00"'))
    load(ledger)
    assert usage_events(ledger) is events  # a price changed: the same customers, the same rows
    assert fresh_text(ledger) == (text(load(ledger)), [])
    # Beta's file broken: its usage row is skipped (not "unknown customer"), as afresh
    beta.write_text(beta.read_text().replace("customer: {id: beta,", "customer: {id: beta, x: 1,"))
    entries, errors, _ = loader.load_file(str(ledger))
    assert usage_events(ledger) is not events and len(usage_events(ledger)) == 1  # type: ignore[arg-type]
    messages = [e.message for e in errors]
    assert len(messages) == 1 and 'unknown key "x"' in messages[0]
    assert fresh_text(ledger) == (text(entries), messages)


def test_usage_changed_for_one_customer_bills_only_it_again(tmp_path: Path) -> None:
    ledger, usage = metered_books(tmp_path)
    header = USAGE_HEADER
    load(ledger)
    before = generated_invoices(ledger)
    usage.write_text(header + "2026-01-10,acme,api_calls,100\n2026-01-11,beta,api_calls,250\n")
    after_entries = load(ledger)
    after = generated_invoices(ledger)
    assert after["INV-ACME-1-20260201"] is before["INV-ACME-1-20260201"]
    assert after["INV-BETA-1-20260201"] is not before["INV-BETA-1-20260201"]
    beta = after["INV-BETA-1-20260201"]
    api = [p for p in beta.postings if (p.meta or {}).get("product") == "api"]
    assert [p.units.number for p in api] == [-25]
    assert fresh_text(ledger) == (text(after_entries), [])


def test_a_catalog_or_horizon_change_bills_everyone_again(tmp_path: Path) -> None:
    ledger = write_books(tmp_path, {"acme": ACME, "beta": BETA}, LEDGER)
    catalog = tmp_path / "contracts" / "catalog.yaml"
    load(ledger)
    before = generated_invoices(ledger)
    catalog.write_text(catalog.read_text().replace('rate: "10%"', 'rate: "8%"'))
    load(ledger)
    after = generated_invoices(ledger)
    assert all(after[i] is not before[i] for i in before)
    assert after["INV-ACME-1-20260201"].postings[0].units.number == D("324.00")
    ledger.write_text(LEDGER.replace("until: 2026-12-31", "until: 2026-11-30"))
    load(ledger)
    again = generated_invoices(ledger)
    assert all(again[i] is not after[i] for i in again)
    assert "INV-ACME-1-20261201" not in again


def test_an_invoice_id_clash_is_found_with_reused_customers_as_when_compiled_afresh(
    tmp_path: Path,
) -> None:
    # zeta invoices under its own id (consolidate: true); alpha's contract then takes that id.
    zeta = (
        ACME.replace("acme", "zeta")
        .replace("Acme", "Zeta")
        .replace("name: Zeta Corp}", "name: Zeta Corp, consolidate: true}")
    )
    alpha = ACME.replace("acme", "alpha").replace("Acme", "Alpha").replace("ACME-1", "ALPHA-1")
    no_payment = LEDGER[: LEDGER.index("\n2026-01-20")]
    ledger = write_books(tmp_path, {"alpha": alpha, "zeta": zeta}, no_payment)
    load(ledger)
    assert "INV-zeta-20260101" in generated_invoices(ledger)
    (tmp_path / "contracts" / "customers" / "alpha.yaml").write_text(
        alpha.replace("ALPHA-1", "zeta")
    )
    entries, errors, _ = loader.load_file(str(ledger))
    messages = [e.message for e in errors]
    assert messages == [
        'customer alpha: contract id "zeta" is the id of customer zeta, which has consolidate: '
        "true: both would issue the invoice ids <prefix>-zeta-<yyyymmdd>; give the contract "
        "another id"
    ]
    assert [e.source["filename"] for e in errors] == [
        str(tmp_path / "contracts/customers/alpha.yaml")
    ]
    # the customer whose contract took the id is left out, not the one that had it
    zeta_invoice = generated_invoices(ledger)["INV-zeta-20260101"]
    assert zeta_invoice.meta["customer"] == "zeta"
    assert fresh_text(ledger) == (text(entries), messages)


def test_documents_take_their_names_from_the_compile_the_load_just_made(tmp_path: Path) -> None:
    ledger = write_books(tmp_path, {"acme": ACME, "beta": BETA}, LEDGER)
    _, errors, options = loader.load_file(str(ledger))
    assert errors == []
    folder = str(tmp_path / "contracts")
    reused = contracts.last_contracts(folder)
    assert reused is not None and [c.id for c in reused.customers] == ["acme", "beta"]
    from_compile = cli.ledger_directory(str(ledger), options)
    contracts.recent.clear()
    assert contracts.last_contracts(folder) is None
    assert cli.ledger_directory(str(ledger), options) == from_compile  # read again: the same
    assert from_compile.customers["beta"].name == "Beta Corp"
    assert from_compile.accounts == {"Acme": "acme", "Beta": "beta"}
