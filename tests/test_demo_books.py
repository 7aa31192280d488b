"""The shipped demo books load cleanly and hang together."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import yaml
from beancount import loader
from beancount.core import data

from beanbill import cli
from beanbill.books import is_invoice
from beanbill.closing import invoice_digest
from beanbill.documents import documents

LEDGER = Path(__file__).resolve().parent.parent / "ledgers" / "main.beancount"


def load() -> tuple[list[data.Directive], list[object]]:
    entries, errors, _ = loader.load_file(str(LEDGER))
    return entries, errors


def test_demo_books_have_no_errors() -> None:
    entries, errors = load()
    assert errors == []
    invoices = [e for e in entries if isinstance(e, data.Transaction) and "invoice-id" in e.meta]
    assert len({i.meta["customer"] for i in invoices if i.narration.startswith("Invoice")}) >= 6


def test_every_payment_names_an_invoice_of_its_customer() -> None:
    entries, _ = load()
    transactions = [e for e in entries if isinstance(e, data.Transaction)]
    issued = {t.meta["invoice-id"]: t for t in transactions if t.narration.startswith("Invoice")}
    payments = [
        t
        for t in transactions
        if not t.narration.startswith("Invoice") and "adjustment" not in t.meta  # memos etc.
    ]
    paid = [t for t in payments if "invoice-id" in t.meta]
    assert len(paid) > 40
    for payment in paid:
        invoice = issued[payment.meta["invoice-id"]]
        assert payment.links == invoice.links
        receivable = invoice.postings[0].account
        assert any(p.account == receivable and p.units.number < 0 for p in payment.postings)


def test_receivables_equal_invoiced_less_paid() -> None:
    entries, _ = load()
    invoiced: dict[str, Decimal] = {}
    paid: dict[str, Decimal] = {}
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        target = invoiced if entry.narration.startswith("Invoice") else paid
        for posting in entry.postings:
            if posting.account.startswith("Assets:AccountsReceivable:Customers:"):
                key = posting.account
                target[key] = target.get(key, Decimal(0)) + posting.units.number
    # Pied Piper left its July to October invoices unpaid (July's is written off) and paid
    # INV-PIEDPIPER-1-20260301 (427.93) twice: settlement reclassified the second payment to
    # its contra-receivable, so the receivable holds exactly the three unpaid invoices.
    pied_piper = "Assets:AccountsReceivable:Customers:PiedPiper"
    unpaid = sum(Decimal(a) for a in ("588.80", "1071.43", "642.43"))
    assert invoiced[pied_piper] + paid[pied_piper] == unpaid


def test_demo_compiles_deterministically(tmp_path: Path) -> None:
    first, second = tmp_path / "a.beancount", tmp_path / "b.beancount"
    assert cli.main(["compile", str(LEDGER), "-o", str(first)]) == 0
    assert cli.main(["compile", str(LEDGER), "-o", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    assert text.count('" "Invoice INV-') == 76
    assert text.count('" "Revenue recognised 2026-') == 87


def test_fava_loads_the_demo_books_without_errors() -> None:
    from fava.core import FavaLedger

    ledger = FavaLedger(str(LEDGER))
    assert list(ledger.errors) == []
    assert ledger.options["title"] == "Demo SaaS Inc."


def test_the_demo_invoices_digests_are_those_closes_made_before_explanatory_metadata() -> None:
    # The digest `beanbill close` writes of each of the demo's 76 invoices, taken before
    # invoice lines said their proration (the thirteenth session): a month closed then still
    # holds. SHA-256 of "<invoice id> <digest>" lines, sorted.
    entries, _ = load()
    digests = sorted(
        f"{e.meta['invoice-id']} {invoice_digest(e)}"
        for e in entries
        if isinstance(e, data.Transaction) and is_invoice(e)
    )
    assert len(digests) == 76
    for explanatory in ("proration", "renewal"):  # what the digests leave out is there
        assert any(
            explanatory in (p.meta or {})
            for e in entries
            if isinstance(e, data.Transaction) and is_invoice(e)
            for p in e.postings
        )
    assert hashlib.sha256("\n".join(digests).encode()).hexdigest() == (
        "efa61cae5bb93541ac6e304c7ed0afe7b7bf89c7a9c60b4b06b2e63f154037b0"
    )


def test_the_demo_sla_credit_memo_credits_what_its_reason_says() -> None:
    # Globex's prices include VAT 19%, and a memo's amount is net of tax: "10% of one month's
    # platform fee" is 10% of the 950.00 the customer pays a month, VAT included. The memo's
    # document, and the receivable, credit that: 95.00, of which 15.17 is VAT.
    globex = yaml.safe_load((LEDGER.parent.parent / "contracts/customers/globex.yaml").read_text())
    (memo,) = [a for a in globex["adjustments"] if a["id"] == "CM-GLOBEX-1"]
    percent = re.search(r"\b(\d+)% of one month's platform fee\)$", memo["reason"])
    assert percent is not None, memo["reason"]
    (product,) = [
        p for p in globex["contracts"][0]["phases"][0]["products"] if p["product"] == "platform"
    ]
    assert (product["pricing"]["per"], globex["contracts"][0]["phases"][0]["taxes"]) == (
        "month",
        ["de-vat"],
    )
    credited = Decimal(product["pricing"]["price"]) * Decimal(percent[1]) / 100
    assert credited == Decimal("95.00")

    entries, errors, options = loader.load_file(str(LEDGER))
    assert errors == []
    (entry,) = [
        e
        for e in entries
        if isinstance(e, data.Transaction) and e.meta.get("memo-id") == "CM-GLOBEX-1"
    ]
    receivable = [p for p in entry.postings if p.account.startswith("Assets:AccountsReceivable:")]
    assert [p.units.number for p in receivable] == [-credited]
    (document,) = [
        d
        for d in documents(entries, cli.ledger_directory(str(LEDGER), options))
        if d.id == "CM-GLOBEX-1"
    ]
    assert (document.subtotal, document.taxes, document.total) == (
        Decimal("79.83"),
        (("VAT 19% (Germany)", Decimal("15.17")),),
        credited,
    )
