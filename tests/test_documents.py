"""Documents (invoices, credit and debit memos) read from books loaded by Beancount, rendered
with the repository's templates to HTML and PDF, and filed where Beancount's `documents`
option finds them."""

from __future__ import annotations

import datetime
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data

from beanbill import cli
from beanbill.books import read_settlement
from beanbill.documents import (
    Document,
    DocumentLine,
    PricingPiece,
    documents,
    pricing_pieces,
    proration_words,
)
from beanbill.money import ZERO
from beanbill.render import Renderer, ids
from beanbill.statements import ActivityRow, Statement, statements
from tests.test_adjustments import ACME, GLOBEX, write_books
from tests.test_contracts_plugin import write_metered_books
from tests.test_settlement import LEDGER, payment

D = Decimal
day = datetime.date.fromisoformat
AR = "Assets:AccountsReceivable:Customers:Acme"
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = str(ROOT / "templates")
DISCOUNTED = ACME.replace(
    "        taxes: [ca]\n",
    "        taxes: [ca]\n"
    '        discounts: [{percent: "10%", products: [platform], name: Launch}]\n',
).replace("name: Acme Corp}", 'name: "Acme <b>&</b> Co", address: "1 Main St"}')
MEMOS = (
    "  - {type: credit_memo, id: CM-1, date: 2026-01-10, invoice: INV-ACME-1-20260101,\n"
    '     amount: "20.00", reason: Outage}\n'
    "  - {type: debit_memo, id: DM-1, date: 2026-01-11, invoice: INV-ACME-1-20260101,\n"
    '     lines: [{product: platform, amount: "31.00"}], reason: Missed seats}\n'
)


def books(tmp_path: Path, customer: str = DISCOUNTED + MEMOS) -> Path:
    return write_books(tmp_path, {"acme": customer}, LEDGER)


def loaded_documents(path: Path) -> dict[str, Document]:
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    return {d.id: d for d in documents(entries, cli.ledger_directory(str(path), options))}


def test_an_invoice_document_says_what_its_entry_says(tmp_path: Path) -> None:
    found = loaded_documents(books(tmp_path))
    assert list(found)[:3] == ["INV-ACME-1-20260101", "CM-1", "DM-1"]
    invoice = found["INV-ACME-1-20260101"]
    assert invoice.kind == "invoice"
    assert (invoice.date, invoice.due_date, invoice.currency) == (
        day("2026-01-01"),
        day("2026-01-31"),
        "USD",
    )
    assert invoice.seller == "Test Co"
    assert invoice.customer.name == "Acme <b>&</b> Co"
    assert invoice.customer.address == "1 Main St"
    assert invoice.receivable == "Assets:AccountsReceivable:Customers:Acme"
    assert invoice.lines == (
        DocumentLine(
            "Platform", (), day("2026-01-01"), day("2026-01-31"), D("1"), D("300.00"), D("300.00")
        ),
        DocumentLine(
            "Onboarding", (), day("2026-01-01"), day("2026-03-31"), D("1"), D("100.00"), D("100.00")
        ),
        DocumentLine(
            "Launch (10%): Platform",
            (),
            day("2026-01-01"),
            day("2026-01-31"),
            None,
            None,
            D("-30.00"),
        ),
    )
    assert invoice.taxes == (("CA sales tax", D("37.00")),)
    assert (invoice.subtotal, invoice.total) == (D("370.00"), D("407.00"))


def test_memo_documents_total_what_they_move_on_the_receivable(tmp_path: Path) -> None:
    found = loaded_documents(books(tmp_path))
    credit, debit = found["CM-1"], found["DM-1"]
    assert (credit.kind, credit.invoice_id, credit.reason) == (
        "credit_memo",
        "INV-ACME-1-20260101",
        "Outage",
    )
    # 20.00 spread over the invoice's net lines (270.00 platform, 100.00 onboarding), taxed 10%.
    assert [(line.description, line.amount) for line in credit.lines] == [
        ("Platform", D("14.59")),
        ("Onboarding", D("5.41")),
    ]
    assert credit.taxes == (("CA sales tax", D("2.00")),)
    assert (credit.subtotal, credit.total) == (D("20.00"), D("22.00"))
    assert [(line.description, line.amount) for line in debit.lines] == [("Platform", D("31.00"))]
    assert (debit.kind, debit.taxes, debit.total) == (
        "debit_memo",
        (("CA sales tax", D("3.10")),),
        D("34.10"),
    )


def test_html_shows_the_amounts_formatted_and_escapes_what_the_contracts_say(
    tmp_path: Path,
) -> None:
    found = loaded_documents(books(tmp_path))
    html = Renderer(TEMPLATES).html(found["INV-ACME-1-20260101"])
    assert "Acme &lt;b&gt;&amp;&lt;/b&gt; Co" in html and "<b>&</b>" not in html
    for text in ("$300.00", "-$30.00", "$37.00", "$407.00", "Launch (10%): Platform", "2026-01-31"):
        assert text in html
    assert "2026-01-01 to 2026-01-31" in html
    memo = Renderer(TEMPLATES).html(found["CM-1"])
    assert "Credit memo" in memo and "INV-ACME-1-20260101" in memo and "Reason: Outage" in memo


def test_an_invoice_asks_only_for_what_the_customers_credit_did_not_pay(tmp_path: Path) -> None:
    # 500.00 of promotional credit on 15 January pays February's 330.00 in full and 170.00 of
    # March's 330.00, each on its invoice date; January's invoice came before it
    credit = '  - {type: credit, id: CR-1, date: 2026-01-15, amount: "500.00", reason: Promo}\n'
    found = loaded_documents(books(tmp_path, ACME + credit))
    due = {
        doc.id: (doc.total, doc.wallet_applied, doc.amount_due)
        for doc in found.values()
        if doc.kind == "invoice"
    }
    assert due == {
        "INV-ACME-1-20260101": (D("440.00"), D("0"), D("440.00")),
        "INV-ACME-1-20260201": (D("330.00"), D("330.00"), D("0.00")),
        "INV-ACME-1-20260301": (D("330.00"), D("170.00"), D("160.00")),
    }
    renderer = Renderer(TEMPLATES)
    march = renderer.html(found["INV-ACME-1-20260301"])
    assert "Paid from your credit balance" in march and "-$170.00" in march
    assert "Please pay $160.00 by 2026-03-31" in march
    february = renderer.html(found["INV-ACME-1-20260201"])
    assert "Paid in full from your credit balance: nothing to pay." in february
    assert "Please pay" not in february
    january = renderer.html(found["INV-ACME-1-20260101"])
    assert "credit balance" not in january and "Please pay $440.00" in january


TIERED = "tier 1 (0-10000): 10000 = 100.000; tier 2 (10000-100000): 14073 = 112.584"


@pytest.mark.parametrize(
    ("text", "amount", "currency", "pieces"),
    [
        # exact amounts rounded with the remainder carried: they add up to the line
        (
            TIERED,
            D("212.58"),
            "USD",
            [
                ("tier 1 (0-10000)", D("10000"), D("100.00")),
                ("tier 2 (10000-100000)", D("14073"), D("112.58")),
            ],
        ),
        (
            "a: 1 = 0.005; b: 1 = 0.005; c: 1 = 0.005",
            D("0.02"),
            "USD",
            [("a", D(1), D("0.01")), ("b", D(1), D("0.00")), ("c", D(1), D("0.01"))],
        ),
        (
            "2.9% of amount: 53503.16 = 1551.59164; fixed fee per event: 19 = 5.70",
            D("1557.29"),
            "USD",
            [
                ("2.9% of amount", D("53503.16"), D("1551.59")),
                ("fixed fee per event", D("19"), D("5.70")),
            ],
        ),
        (
            "tier 1 (0-100): 150 = 1234.5",
            D("1235"),
            "JPY",
            [("tier 1 (0-100)", D("150"), D("1235"))],
        ),
        # priced, then prorated (15 of 30 days): the pieces are the full period's, each rounded
        ("step 1 (0-25): 20 = 99.005", D("49.50"), "USD", [("step 1 (0-25)", D("20"), D("99.01"))]),
        # a text written by hand in the books: shown as it is
        (
            "volume discount agreed by phone",
            D("10.00"),
            "USD",
            [("volume discount agreed by phone", None, None)],
        ),
        ("", D("10.00"), "USD", []),
    ],
)
def test_a_lines_pricing_shows_amounts_in_the_minor_unit_adding_up_to_the_line(
    text: str,
    amount: Decimal,
    currency: str,
    pieces: list[tuple[str, Decimal | None, Decimal | None]],
) -> None:
    assert pricing_pieces(text, amount, currency) == tuple(PricingPiece(*p) for p in pieces)


def test_an_invoice_shows_how_a_usage_line_was_priced(tmp_path: Path) -> None:
    ledger = tmp_path / "books.beancount"
    ledger.write_text(
        "2026-01-01 open Assets:AccountsReceivable:Customers:Acme\n"
        "2026-01-01 open Assets:UnbilledRevenue\n"
        '2026-02-01 * "Acme Corp" "Invoice INV-ACME-1-20260201 — Acme Corp"\n'
        '  invoice-id: "INV-ACME-1-20260201"\n'
        '  customer: "acme"\n'
        "  due-date: 2026-03-03\n"
        "  Assets:AccountsReceivable:Customers:Acme   212.58 USD\n"
        "  Assets:UnbilledRevenue                    -212.58 USD\n"
        '    product: "api-calls"\n'
        "    quantity: 24073\n"
        "    service-start: 2026-01-01\n"
        "    service-end: 2026-01-31\n"
        f'    pricing: "{TIERED}"\n',
        encoding="utf-8",
    )
    invoice = loaded_documents(ledger)["INV-ACME-1-20260201"]
    html = Renderer(TEMPLATES).html(invoice)
    detail = "tier 1 (0-10,000): 10,000 = $100.00; tier 2 (10,000-100,000): 14,073 = $112.58"
    assert f'<div class="detail">{detail}</div>' in html
    assert "112.584" not in html


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "text"),
    [
        (D("16500"), "JPY", "en_US", "¥16,500"),
        (D("1082.05"), "EUR", "en_US", "€1,082.05"),
        (D("1082.05"), "EUR", "de_DE", "1.082,05\xa0€"),
        (D("-100.00"), "USD", "en_US", "-$100.00"),
    ],
)
def test_money_is_written_in_the_currency_and_locale(
    amount: Decimal, currency: str, locale: str, text: str
) -> None:
    assert Renderer(TEMPLATES, locale).money(amount, currency) == text


def test_a_unit_price_keeps_all_its_digits() -> None:
    assert Renderer(TEMPLATES).price(D("0.0125"), "USD") == "$0.0125"


def test_render_files_pdfs_where_beancount_attaches_them_to_the_customer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path)
    out = tmp_path / "documents"
    args = ["render", str(path), "--templates", TEMPLATES]
    assert cli.main(args) == 0
    assert "beanbill render: 5 documents in" in capsys.readouterr().out
    folder = out / "Assets" / "AccountsReceivable" / "Customers" / "Acme"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "2026-01-01.INV-ACME-1-20260101.pdf",
        "2026-01-10.CM-1.pdf",
        "2026-01-11.DM-1.pdf",
        "2026-02-01.INV-ACME-1-20260201.pdf",
        "2026-03-01.INV-ACME-1-20260301.pdf",
    ]
    first = (folder / names[0]).read_bytes()
    assert first.startswith(b"%PDF-")
    # The same books render the same bytes: nothing is rewritten.
    assert cli.main(args) == 0
    assert "(0 new, 0 updated, 5 unchanged)" in capsys.readouterr().out
    # The documents plugin files each under the customer's receivable (an account Beancount's
    # own `documents` option does not see: the contracts plugin opens it), on its date, linked
    # to its invoice or memo.
    path.write_text(LEDGER + 'plugin "beanbill.plugins.documents" "documents"\n')
    (folder / "notes.txt").write_text("not a document")
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["documents"] == [str(out)]  # Fava watches it
    filed = [(e.date, e.account, e.links) for e in entries if isinstance(e, data.Document)]
    assert filed == [
        (day("2026-01-01"), AR, {"INV-ACME-1-20260101"}),
        (day("2026-01-10"), AR, {"CM-1"}),
        (day("2026-01-11"), AR, {"DM-1"}),
        (day("2026-02-01"), AR, {"INV-ACME-1-20260201"}),
        (day("2026-03-01"), AR, {"INV-ACME-1-20260301"}),
    ]
    paths = [e.filename for e in entries if isinstance(e, data.Document)]
    assert paths[0] == str(folder / names[0])
    # `beanbill compile` leaves them out: their paths are this machine's.
    assert "document" not in "".join(cli.format_compiled(cli.generated(entries), str(path)))


def test_a_document_dated_before_its_account_opens_is_an_error_naming_the_file(
    tmp_path: Path,
) -> None:
    # Acme's receivable opens on 2026-01-01, with its first invoice. A document of 2025 (its
    # invoice gone from the books) is not filed, and the error names the file, not the
    # synthetic location Beancount's own "inactive account" error would have.
    path = write_books(tmp_path, {"acme": ACME}, LEDGER + 'plugin "beanbill.plugins.documents"\n')
    folder = tmp_path / "documents" / "Assets" / "AccountsReceivable" / "Customers" / "Acme"
    folder.mkdir(parents=True)
    (folder / "2025-12-01.INV-ACME-1-20251201.pdf").write_bytes(b"%PDF-")
    (folder / "2026-01-01.INV-ACME-1-20260101.pdf").write_bytes(b"%PDF-")
    entries, errors, _ = loader.load_file(str(path))
    stale = folder / "2025-12-01.INV-ACME-1-20251201.pdf"
    assert [(e.source["filename"], e.message) for e in errors] == [
        (
            str(stale),
            "document 2025-12-01.INV-ACME-1-20251201.pdf is dated 2025-12-01, outside the span "
            f"of {AR}, which the ledger opens on 2026-01-01: it is not filed. Is its invoice "
            "or memo missing from these books (a customer file with a problem, or a contract "
            "changed since it was rendered)?",
        )
    ]
    filed = [(e.date, e.links) for e in entries if isinstance(e, data.Document)]
    assert filed == [(day("2026-01-01"), {"INV-ACME-1-20260101"})]


def test_documents_of_invoices_the_books_no_longer_have_are_said(tmp_path: Path) -> None:
    # Acme's contract renamed after its invoices were rendered (and maybe sent): the PDFs name
    # invoices that are not in the books; a payment naming one does not make it one. A file
    # of the customer's own (a signed order form) is filed as before.
    renamed = ACME.replace("ACME-1", "ACME-2")
    ledger = LEDGER + 'plugin "beanbill.plugins.documents"\n'
    payment = '2026-01-20 * "Acme" "Payment"\n  invoice-id: "INV-ACME-1-20260101"\n'
    payment += f"  Assets:Cash:Bank  1.00 USD\n  {AR}  -1.00 USD\n"
    path = write_books(tmp_path, {"acme": renamed}, ledger + payment)
    folder = tmp_path / "documents" / "Assets" / "AccountsReceivable" / "Customers" / "Acme"
    folder.mkdir(parents=True)
    for name in ("INV-ACME-1-20260101", "INV-ACME-1-20260201", "order-form"):
        (folder / f"2026-0{'2' if '0201' in name else '1'}-01.{name}.pdf").write_bytes(b"%PDF-")
    entries, errors, _ = loader.load_file(str(path))
    messages = [(e.source["filename"], e.message) for e in errors if "documents" in e.message]
    assert messages == [
        (
            str(folder / "2026-01-01.INV-ACME-1-20260101.pdf"),
            "2 documents of invoices that are not in these books (the first "
            "2026-01-01.INV-ACME-1-20260101.pdf): if they were sent, the customer holds "
            "invoices the books no longer have (a contract renamed or changed since it was "
            "rendered, or a customer file with a problem). Correct the books, or remove the "
            "files that were never sent",
        )
    ]
    filed = sorted(os.path.basename(e.filename) for e in entries if isinstance(e, data.Document))
    assert filed == [
        "2026-01-01.INV-ACME-1-20260101.pdf",
        "2026-01-01.order-form.pdf",
        "2026-02-01.INV-ACME-1-20260201.pdf",
    ]


def test_a_missing_documents_folder_is_an_error() -> None:
    _, errors, _ = loader.load_string('plugin "beanbill.plugins.documents" "nowhere"\n')
    assert len(errors) == 1
    assert errors[0].message.startswith("documents folder ")
    assert errors[0].message.endswith("nowhere does not exist (render into it: beanbill render)")


def test_a_document_whose_books_changed_is_rendered_again_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path)
    args = ["render", str(path), "--templates", TEMPLATES, "--invoice", "INV-ACME-1-20260301"]
    assert cli.main(args) == 0
    capsys.readouterr()
    customer = tmp_path / "contracts" / "customers" / "acme.yaml"
    customer.write_text(customer.read_text().replace('price: "300.00"', 'price: "310.00"'))
    assert cli.main([*args, "--format", "html"]) == 0
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "updated (the books or the templates changed since it was rendered): " in out
    assert out.endswith("(0 new, 1 updated, 0 unchanged)\n")
    html = tmp_path / "documents/Assets/AccountsReceivable/Customers/Acme"
    assert (
        "Please pay $306.90 by 2026-03-31"
        in (html / "2026-03-01.INV-ACME-1-20260301.html").read_text()
    )


def test_render_by_id_lists_each_document_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path)
    args = ["render", str(path), "--templates", TEMPLATES, "--format", "html"]
    folder = tmp_path / "documents/Assets/AccountsReceivable/Customers/Acme"
    named = ["--id", "CM-1", "--id", "INV-ACME-1-20260101"]
    assert cli.main([*args, *named]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"new: {folder}/2026-01-01.INV-ACME-1-20260101.html",
        f"new: {folder}/2026-01-10.CM-1.html",
        f"beanbill render: 2 documents in {tmp_path}/documents (2 new, 0 updated, 0 unchanged)",
    ]
    assert cli.main([*args, "--id", "CM-1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"unchanged: {folder}/2026-01-10.CM-1.html"


def test_render_a_month_lists_each_of_its_documents_to_send(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path)
    args = ["render", str(path), "--templates", TEMPLATES, "--format", "html"]
    folder = tmp_path / "documents/Assets/AccountsReceivable/Customers/Acme"
    assert cli.main([*args, "--month", "2026-01"]) == 0
    january = [
        f"{folder}/2026-01-01.INV-ACME-1-20260101.html",
        f"{folder}/2026-01-10.CM-1.html",
        f"{folder}/2026-01-11.DM-1.html",
    ]
    assert capsys.readouterr().out.splitlines() == [
        *[f"new: {p}" for p in january],
        f"beanbill render: 3 documents dated 2026-01 in {tmp_path}/documents "
        "(3 new, 0 updated, 0 unchanged)",
    ]
    assert sorted(str(p) for p in folder.iterdir()) == january  # February's are not rendered
    customer = tmp_path / "contracts" / "customers" / "acme.yaml"
    customer.write_text(customer.read_text().replace('price: "300.00"', 'price: "310.00"'))
    assert cli.main([*args, "--month", "2026-01"]) == 0
    out = capsys.readouterr().out.splitlines()
    # the invoice, at the new price
    assert (
        out[0]
        == f"updated (the books or the templates changed since it was rendered): {january[0]}"
    )
    assert out[2] == f"unchanged: {january[2]}"  # the debit memo's fixed line
    assert cli.main([*args, "--month", "2026-01", "--id", "CM-1"]) == 1
    assert "--month renders a month's invoices and memos: not with --id or --statements" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--id", "INV-NOPE"], "no invoice or memo INV-NOPE in the books; nothing written"),
        (
            ["--id", "INV-ACME-1-2026030"],  # a digit short
            'no invoice or memo INV-ACME-1-2026030 (did you mean "INV-ACME-1-20260301"?) in the '
            "books",
        ),
        (["--templates", "/nonexistent"], "no invoice.html.j2 in /nonexistent"),
        (["--statements", "2026-03-15", "--id", "CM-1"], "--id names invoices and memos"),
        (["--customer", "acme"], "--customer goes with --statements; nothing written"),
        (["--out", __file__], f"{__file__} is a file, not a folder: name a folder with --out"),
    ],
)
def test_render_refuses_what_it_cannot_do_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    path = books(tmp_path)
    assert cli.main(["render", str(path), "--templates", TEMPLATES, *extra]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "documents").exists()


def test_an_unknown_locale_is_a_usage_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["render", str(path), "--templates", TEMPLATES, "--locale", "xx_YY"])
    assert stopped.value.code == 2
    assert (
        "argument --locale: 'xx_YY' is not a locale Babel knows (e.g. en_US, de_DE, fr_CH, ja)"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "documents").exists()


def test_a_broken_template_is_a_message_at_its_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    invoice = templates / "invoice.html.j2"
    original = invoice.read_text(encoding="utf-8")
    invoice.write_text("{% if %}broken\n", encoding="utf-8")
    args = ["render", str(path), "--templates", str(templates), "--format", "html"]
    assert cli.main(args) == 1
    assert capsys.readouterr().err == (
        f"beanbill render: {invoice}:1: template error: Expected an expression, got 'end of "
        "statement block'; nothing written\n"
    )
    assert not (tmp_path / "documents").exists()
    # A name the documents do not have is met while rendering: its template line, the file.
    block = original.index("%}", original.index("{% block")) + 2
    invoice.write_text(original[:block] + "{{ doc.colour.x }}" + original[block:], "utf-8")
    assert cli.main(args) == 1
    line = original[:block].count("\n") + 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"beanbill render: {invoice}:{line}: template error: 'beanbill.documents.Document "
        "object' has no attribute 'colour' (rendering "
    )
    assert err.endswith("2026-01-01.INV-ACME-1-20260101.html); 0 documents written before it\n")


def test_books_with_problems_render_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path, DISCOUNTED.replace('price: "300.00"', "price: 300.00"))
    assert cli.main(["render", str(path), "--templates", TEMPLATES]) == 1
    assert "beanbill render: the books have 1 problem(s); nothing written" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "documents").exists()


def test_a_statement_lists_what_the_customer_owes_by_age(tmp_path: Path) -> None:
    path = books(tmp_path)
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    directory = cli.ledger_directory(str(path), options)
    (statement,) = statements(entries, read_settlement(entries), day("2026-03-15"), directory)
    assert (statement.customer_id, statement.receivable, statement.date) == (
        "acme",
        AR,
        day("2026-03-15"),
    )
    (section,) = statement.sections
    owed = section.owed
    assert owed is not None and section.activity is None and section.credit is None
    # January: 407.00 - 22.00 credited + 34.10 debited; February and March: 297.00 each.
    assert [(r.invoice, r.open, r.days_overdue) for r in owed.invoices] == [
        ("INV-ACME-1-20260101", D("419.10"), 43),
        ("INV-ACME-1-20260201", D("297.00"), 12),
        ("INV-ACME-1-20260301", D("297.00"), 0),
    ]
    assert owed.buckets == {
        "current": D("297.00"),
        "1-30": D("297.00"),
        "31-60": D("419.10"),
        "61-90": D("0.00"),
        "90+": D("0.00"),
    }
    assert owed.total == D("1013.10")
    html = Renderer(TEMPLATES).html(statement)
    assert "<td>Customer account</td><td>acme</td>" in html  # the name is the addressee's
    assert "Acme &lt;b&gt;&amp;&lt;/b&gt; Co" in html
    # Nothing owed before the first invoice: no statement.
    assert statements(entries, read_settlement(entries), day("2025-12-31"), directory) == []


def test_render_statements_files_one_per_customer_on_its_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = books(tmp_path)
    args = ["render", str(path), "--templates", TEMPLATES, "--format", "html"]
    assert cli.main([*args, "--statements", "2026-03-15"]) == 0
    assert "1 document in" in capsys.readouterr().out
    html = (tmp_path / "documents" / AR.replace(":", "/") / "2026-03-15.statement.html").read_text()
    for text in ("Statement", "INV-ACME-1-20260101", "$419.10", "31-60 days past due", "$1,013.10"):
        assert text in html
    assert cli.main([*args, "--statements", "2026-03-15", "--customer", "nobody"]) == 1
    assert (
        "customer nobody has no open invoice, credit or activity to state on 2026-03-15; "
        "nothing written"
    ) in capsys.readouterr().err


CREDIT = '  - {type: credit, id: CR-1, date: 2026-02-01, amount: "400.00", reason: Promotion}\n'
OVERPAYMENT = """
2026-02-05 * "Acme Corp" "Payment" ^INV-ACME-1-20260101
  Assets:Cash:Bank   469.10 USD
  Assets:AccountsReceivable:Customers:Acme  -469.10 USD
"""


def test_a_statement_with_a_period_shows_the_activity_and_the_credit_held(
    tmp_path: Path,
) -> None:
    path = write_books(tmp_path, {"acme": DISCOUNTED + MEMOS + CREDIT}, LEDGER + OVERPAYMENT)
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    directory = cli.ledger_directory(str(path), options)
    settlement = read_settlement(entries)
    (statement,) = statements(
        entries, settlement, day("2026-02-15"), directory, since=day("2026-02-01")
    )
    (section,) = statement.sections
    activity = section.activity
    assert activity is not None
    # January: 407.00 invoiced, 22.00 credited, 34.10 debited.
    assert (statement.since, activity.opening) == (day("2026-02-01"), D("419.10"))
    # The promotional credit is a credit; the wallet applied to February's invoice and the
    # overpayment set aside as unapplied cash change nothing the customer owes or is owed.
    assert [(r.date, r.description, r.charge, r.credit) for r in activity.rows] == [
        (day("2026-02-01"), "Invoice INV-ACME-1-20260201 — Acme <b>&</b> Co", D("297.00"), None),
        (day("2026-02-01"), "Wallet credit CR-1 — Promotion", None, D("400.00")),
        (day("2026-02-05"), "Payment (INV-ACME-1-20260101)", None, D("469.10")),
    ]
    assert [r.balance for r in activity.rows] == [D("716.10"), D("316.10"), D("-153.00")]
    assert activity.closing == D("-153.00")
    # Everything is paid; 400.00 of credit less the 297.00 applied, and the 50.00 overpaid.
    assert section.owed is None
    assert section.credit == (D("103.00"), D("50.00"))
    # Without a period: no activity, and a customer owing nothing still gets its credit stated.
    (statement,) = statements(entries, settlement, day("2026-02-15"), directory)
    assert [(s.activity, s.owed, s.credit) for s in statement.sections] == [
        (None, None, (D("103.00"), D("50.00")))
    ]


def test_render_an_activity_statement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_books(tmp_path, {"acme": DISCOUNTED + MEMOS + CREDIT}, LEDGER + OVERPAYMENT)
    args = ["render", str(path), "--templates", TEMPLATES, "--format", "html"]
    assert cli.main([*args, "--statements", "2026-03-15", "--from", "2026-02-01"]) == 0
    capsys.readouterr()
    html = (tmp_path / "documents" / AR.replace(":", "/") / "2026-03-15.statement.html").read_text()
    for text in (
        "Period</td><td>2026-02-01 to 2026-03-15",
        "Account activity in USD",
        "Opening balance",
        'Payment (<span class="id">INV-ACME-1-20260101</span>)',  # kept whole on its line
        "Closing balance",
        "Open invoices in USD",  # March: 297.00, of which the wallet's last 103.00 paid
        "$194.00",
        "Payments received beyond what was due, held for you",
        "$50.00",
    ):
        assert text in html
    assert "Prepaid and promotional credit" not in html  # used up in March
    assert "Please pay the open invoices by their due dates" in html
    assert cli.main([*args, "--statements", "2026-02-15"]) == 0
    html = (tmp_path / "documents" / AR.replace(":", "/") / "2026-02-15.statement.html").read_text()
    assert "Nothing due in USD" in html and "Nothing is due on your account. Thank you." in html
    assert "Prepaid and promotional credit, applied to your next invoices" in html
    assert cli.main([*args, "--from", "2026-02-01"]) == 1
    assert "--from goes with --statements; nothing written" in capsys.readouterr().err
    assert cli.main([*args, "--statements", "2026-01-31", "--from", "2026-02-01"]) == 1
    assert "--from 2026-02-01 is after the statements' date 2026-01-31" in capsys.readouterr().err


def activity_statement(
    tmp_path: Path, customer: str, bank: str, as_of: str, since: str
) -> tuple[Statement, list[ActivityRow]]:
    """The statement of the one customer of books written with `customer` and `bank`, and
    its activity's rows (date, description, charge, credit, balance)."""
    path = write_books(tmp_path, {"acme": customer}, LEDGER + bank)
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    directory = cli.ledger_directory(str(path), options)
    (statement,) = statements(
        entries, read_settlement(entries), day(as_of), directory, since=day(since)
    )
    (section,) = statement.sections
    assert section.activity is not None
    return statement, list(section.activity.rows)


def agrees_with_the_books(statement: Statement) -> None:
    """Each section's closing balance is its open invoices less its credit on account."""
    for section in statement.sections:
        owed = section.owed.total if section.owed else ZERO
        credit = section.credit.wallet + section.credit.unapplied if section.credit else ZERO
        assert section.activity is not None and section.activity.closing == owed - credit


# January 440.00, February and March 330.00 each (ACME: 300.00 + 100.00 onboarding, 10% tax).
OVERPAID = payment("2026-01-20", "500.00", "INV-ACME-1-20260101")
OVERPAID_REFUND = (
    '  - {type: refund, id: RF-1, date: 2026-02-10, from: overpayment, amount: "20.00",\n'
    "     reason: Part of the overpayment returned}\n"
)


def test_an_overpayment_stays_a_credit_and_its_refund_is_paid_out_on_the_statement(
    tmp_path: Path,
) -> None:
    statement, rows = activity_statement(
        tmp_path, ACME + OVERPAID_REFUND, OVERPAID, "2026-03-15", "2026-01-01"
    )
    # The 60.00 paid beyond the invoice is owed to the customer from the payment on: the
    # settlement's move of it to unapplied cash is no charge (before, a "charge" of 60.00 back
    # to zero, "to Acme's unapplied cash"), and the 20.00 refunded of it is paid out to it
    # (before, not shown at all).
    assert rows == [
        (
            day("2026-01-01"),
            "Invoice INV-ACME-1-20260101 — Acme Corp",
            D("440.00"),
            None,
            D("440.00"),
        ),
        (day("2026-01-20"), "Payment (INV-ACME-1-20260101)", None, D("500.00"), D("-60.00")),
        (
            day("2026-02-01"),
            "Invoice INV-ACME-1-20260201 — Acme Corp",
            D("330.00"),
            None,
            D("270.00"),
        ),
        (
            day("2026-02-10"),
            "Refund RF-1 of an overpayment — Part of the overpayment returned",
            D("20.00"),
            None,
            D("290.00"),
        ),
        (
            day("2026-03-01"),
            "Invoice INV-ACME-1-20260301 — Acme Corp",
            D("330.00"),
            None,
            D("620.00"),
        ),
    ]
    # February and March are open (660.00), and 40.00 of the overpayment is held.
    (section,) = statement.sections
    assert section.owed is not None and section.owed.total == D("660.00")
    assert section.credit == (ZERO, D("40.00"))
    agrees_with_the_books(statement)
    html = Renderer(TEMPLATES).html(statement)
    assert "unapplied cash" not in html and "Acme&#39;s" not in html
    assert '<th class="num">Charges and refunds</th>' in html  # a refund is paid out
    # The customer is shown how the closing balance and the total due agree.
    credit = html.split("Credit on account in USD")[1]
    assert "Closing balance: the total due less this credit</td>" in credit
    assert '<td class="num">$620.00</td>' in credit


# A 400.00 prepaid top-up on the first invoice (to the wallet, no tax), a promotional credit
# of 50.00 after the March invoice, 30.00 of it refunded.
PREPAID = ACME.replace(
    "          - product: onboarding\n",
    "          - product: prepaid\n            credits: true\n"
    "            billing: {cadence: one_time}\n"
    '            pricing: {model: flat_fee, price: "400.00"}\n'
    "          - product: onboarding\n",
) + (
    '  - {type: credit, id: CR-1, date: 2026-03-05, amount: "50.00", reason: Referral}\n'
    '  - {type: refund, id: RF-1, date: 2026-03-10, from: wallet, amount: "30.00"}\n'
)


def test_credit_added_to_the_wallet_and_refunded_from_it_shows_on_the_statement(
    tmp_path: Path,
) -> None:
    statement, rows = activity_statement(
        tmp_path, PREPAID, payment("2026-01-15", "840.00"), "2026-03-31", "2026-01-01"
    )
    # The balance is what the customer owes less the credit it holds: the top-up is billed
    # with the invoice and held from its date, the promotional credit is a credit, the refund
    # paid out of the wallet a charge. Applying the wallet to an invoice moves the customer's
    # own credit onto it, and is no row (before, every application was a "payment", and the
    # credits and the refund were not shown).
    assert rows == [
        (
            day("2026-01-01"),
            "Invoice INV-ACME-1-20260101 — Acme Corp",
            D("840.00"),
            None,
            D("840.00"),
        ),
        (
            day("2026-01-01"),
            "Prepaid credit of INV-ACME-1-20260101, added to your credit balance",
            None,
            D("400.00"),
            D("440.00"),
        ),
        (day("2026-01-15"), "Payment (INV-ACME-1-20260101)", None, D("840.00"), D("-400.00")),
        (
            day("2026-02-01"),
            "Invoice INV-ACME-1-20260201 — Acme Corp",
            D("330.00"),
            None,
            D("-70.00"),
        ),
        (
            day("2026-03-01"),
            "Invoice INV-ACME-1-20260301 — Acme Corp",
            D("330.00"),
            None,
            D("260.00"),
        ),
        (day("2026-03-05"), "Wallet credit CR-1 — Referral", None, D("50.00"), D("210.00")),
        (day("2026-03-10"), "Refund RF-1 from the wallet", D("30.00"), None, D("240.00")),
    ]
    # The wallet paid February (330.00) and 70.00 of March; of the 50.00 credited after it,
    # 30.00 went back.
    (section,) = statement.sections
    assert section.owed is not None and [(r.invoice, r.open) for r in section.owed.invoices] == [
        ("INV-ACME-1-20260301", D("260.00"))
    ]
    assert section.credit == (D("20.00"), ZERO)
    agrees_with_the_books(statement)


WRITE_OFF_JAN = (
    "  - {type: write_off, date: 2026-02-15, invoice: INV-ACME-1-20260101,\n"
    '     reason: "Dispute, uncollectible"}\n'
)


def test_a_write_off_and_its_recovery_are_said_in_the_customers_words(tmp_path: Path) -> None:
    # January (440.00) written off, then paid after all in two payments naming it.
    paid = payment("2026-03-05", "200.00", "INV-ACME-1-20260101")
    paid += payment("2026-03-10", "240.00", "INV-ACME-1-20260101")
    statement, rows = activity_statement(
        tmp_path, ACME + WRITE_OFF_JAN, paid, "2026-03-15", "2026-01-01"
    )
    # The customer is no longer asked for January: a credit, without the write-off's own id
    # and reason, the seller's (before, "Write-off WO-INV-… — Dispute, uncollectible"). Each
    # payment of it undoes the write-off by what it pays, then pays it (before, "Bad debt
    # recovered: …, written off, paid after all").
    jan = "INV-ACME-1-20260101"
    assert rows == [
        (day("2026-01-01"), f"Invoice {jan} — Acme Corp", D("440.00"), None, D("440.00")),
        (
            day("2026-02-01"),
            "Invoice INV-ACME-1-20260201 — Acme Corp",
            D("330.00"),
            None,
            D("770.00"),
        ),
        (day("2026-02-15"), f"Balance of {jan} written off", None, D("440.00"), D("330.00")),
        (
            day("2026-03-01"),
            "Invoice INV-ACME-1-20260301 — Acme Corp",
            D("330.00"),
            None,
            D("660.00"),
        ),
        (
            day("2026-03-05"),
            f"Write-off of {jan} reversed by your payment",
            D("200.00"),
            None,
            D("860.00"),
        ),
        (day("2026-03-05"), f"Payment ({jan})", None, D("200.00"), D("660.00")),
        (
            day("2026-03-10"),
            f"Write-off of {jan} reversed by your payment",
            D("240.00"),
            None,
            D("900.00"),
        ),
        (day("2026-03-10"), f"Payment ({jan})", None, D("240.00"), D("660.00")),
    ]
    (section,) = statement.sections
    assert section.owed is not None and [r.invoice for r in section.owed.invoices] == [
        "INV-ACME-1-20260201",
        "INV-ACME-1-20260301",
    ]
    agrees_with_the_books(statement)
    html = Renderer(TEMPLATES).html(statement)
    for internal in ("WO-", "uncollectible", "Bad debt"):
        assert internal not in html


# As the demo's Globex: an SLA credit memo on the quarter's invoice, part of it paid.
GLOBEX_MEMO = GLOBEX + (
    "  - {type: credit_memo, id: CM-GLOBEX-1, date: 2026-04-20, invoice: INV-GLOBEX-1-20260401,\n"
    '     amount: "79.83", reason: "SLA breach of 2026-04-14 (10% of one month\'s platform fee)"}\n'
)
GLOBEX_PAYMENT = """
2026-05-10 * "Globex GmbH" "Payment INV-GLOBEX-1-20260401 (partial payment)" ^INV-GLOBEX-1-20260401
  Assets:Cash:Bank   2000.00 EUR
  Assets:AccountsReceivable:Customers:Globex  -2000.00 EUR
"""


def laid_out_lines(html: str) -> list[str]:
    """The lines of text WeasyPrint lays `html` out in, as `Renderer.pdf` prints them."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    def lines(box: object) -> list[str]:
        if isinstance(box, boxes.LineBox):
            return ["".join(b.text for b in box.descendants() if isinstance(b, boxes.TextBox))]
        children = box.children if isinstance(box, boxes.ParentBox) else []
        return [line for child in children for line in lines(child)]

    document = weasyprint.HTML(string=html, base_url=TEMPLATES).render()
    return [line for page in document.pages for line in lines(page._page_box)]


def test_a_statement_never_breaks_an_id_across_lines(tmp_path: Path) -> None:
    path = write_books(tmp_path, {"globex": GLOBEX_MEMO}, LEDGER + GLOBEX_PAYMENT)
    args = ["render", str(path), "--templates", TEMPLATES, "--format", "html"]
    assert cli.main([*args, "--statements", "2026-05-31", "--from", "2026-04-01"]) == 0
    folder = tmp_path / "documents" / "Assets" / "AccountsReceivable" / "Customers" / "Globex"
    lines = laid_out_lines((folder / "2026-05-31.statement.html").read_text())
    # The memo's description is wider than its column, and wraps: at a space, never inside an
    # id at its hyphens ("Credit memo CM-GLOBEX-1 on INV-" / "GLOBEX-1-20260401 — SLA ...").
    start = next(i for i, line in enumerate(lines) if line.startswith("Credit memo"))
    assert lines[start].rstrip().endswith(" on") and lines[start + 1].startswith("INV-"), lines
    assert not [line for line in lines if line.rstrip().endswith("-")], lines
    # Each id whole on a line, wherever the statement names it: the invoice, the memo, the
    # payment and the open invoice.
    assert sum(line.count("INV-GLOBEX-1-20260401") for line in lines) == 4, lines
    assert sum(line.count("CM-GLOBEX-1") for line in lines) == 1, lines


def rows_by_page(html: str) -> list[set[int]]:
    """For each table row of `html` as WeasyPrint lays it out (not a table's header or footer),
    the pages it is printed on."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    pages: dict[int, set[int]] = {}

    def walk(box: object, page: int) -> None:
        if isinstance(box, boxes.TableRowGroupBox) and (box.is_header or box.is_footer):
            return  # repeated on every page the table runs over
        if isinstance(box, boxes.TableRowBox):
            pages.setdefault(id(box.element), set()).add(page)
        for child in box.children if isinstance(box, boxes.ParentBox) else []:
            walk(child, page)

    document = weasyprint.HTML(string=html, base_url=TEMPLATES).render()
    for number, page in enumerate(document.pages):
        walk(page._page_box, number)
    return list(pages.values())


def test_a_statement_row_is_never_split_across_two_pages(tmp_path: Path) -> None:
    # The demo's year of activity runs over two pages for most customers; before, a row could
    # have its date and amounts on one page and the rest of its description on the next.
    ledger = str(ROOT / "ledgers" / "main.beancount")
    args = ["render", ledger, "--templates", TEMPLATES, "--format", "html", "--out"]
    assert (
        cli.main([*args, str(tmp_path), "--statements", "2026-12-31", "--from", "2026-01-01"]) == 0
    )
    statements = sorted(tmp_path.rglob("2026-12-31.statement.html"))
    assert len(statements) == 8
    spread = []
    for path in statements:
        rows = rows_by_page(path.read_text())
        spread += [(path.parent.name, sorted(pages)) for pages in rows if len(pages) > 1]
    assert spread == []
    assert max(max(p) for p in rows_by_page(statements[0].read_text())) == 1  # two pages


def test_ids_in_free_text_are_kept_whole_and_the_rest_escaped() -> None:
    text = "Credit memo CM-GLOBEX-1 on INV-GLOBEX-1-20260401 — <b>Acme & Co</b>'s (2026-04-14)."
    assert ids(text) == (
        'Credit memo <span class="id">CM-GLOBEX-1</span> on '
        '<span class="id">INV-GLOBEX-1-20260401</span> — &lt;b&gt;Acme &amp; Co&lt;/b&gt;&#39;s '
        '(<span class="id">2026-04-14</span>).'
    )
    # Words without a hyphen, and text that is no id (not of an id's characters), as they are.
    assert ids("Opening balance") == "Opening balance"
    assert ids("Zürich-Nord, Straße-1") == "Zürich-Nord, Straße-1"


SHORTFALL = """\
customer: {id: acme, account: Acme, name: Acme Corp}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-03-31
    billing: {cadence: monthly, timing: arrears}
    phases:
      - start: 2026-01-01
        products:
          - product: calls
            pricing: {model: per_unit, unit_price: "0.10"}
        minimum_commitment: {amount: "50.00", per: billing_period, products: [calls]}
adjustments:
  - {type: credit_memo, id: CM-1, date: 2026-02-10, invoice: INV-ACME-1-20260201,
     amount: "20.00", reason: Outage}
"""


def test_a_memo_on_a_shortfall_names_the_shortfall_not_the_product(tmp_path: Path) -> None:
    # No usage in January: the 1 February invoice bills the minimum commitment's shortfall
    # alone, under the product it covers. A memo on it is about that shortfall.
    path = books(tmp_path, SHORTFALL)
    catalog = tmp_path / "contracts" / "catalog.yaml"
    catalog.write_text(
        catalog.read_text()
        + "  calls: {name: API calls, metric: calls, aggregation: sum,"
        + " revenue_rule: subscription}\n"
    )
    found = loaded_documents(path)
    invoice = found["INV-ACME-1-20260201"]
    assert [(line.description, line.amount) for line in invoice.lines] == [
        ("Minimum commitment shortfall", D("50.00"))
    ]
    assert [(line.description, line.amount) for line in found["CM-1"].lines] == [
        ("Minimum commitment shortfall", D("20.00"))
    ]
    entries, _, _ = loader.load_file(str(path))
    memo = next(e for e in entries if e.meta.get("memo-id") == "CM-1")
    assert {p.meta.get("description") for p in memo.postings if (p.meta or {}).get("product")} == {
        "Minimum commitment shortfall"
    }


def posting_meta(path: Path, invoice_id: str, product: str) -> dict[str, object]:
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    (invoice,) = [
        e
        for e in entries
        if isinstance(e, data.Transaction)
        and e.meta.get("invoice-id") == invoice_id
        and "adjustment" not in e.meta
        and e.narration.startswith("Invoice")
    ]
    (meta,) = [p.meta for p in invoice.postings if (p.meta or {}).get("product") == product]
    return dict(meta)


# Starts mid-month on calendar months: the first invoice bills 17 of January's 31 days.
MID_MONTH = (
    ACME.replace("start: 2026-01-01\n    end", "start: 2026-01-15\n    end")
    .replace(
        "billing: {cadence: monthly, timing: advance}",
        "billing: {cadence: monthly, timing: advance, anchor: calendar}",
    )
    .replace("      - start: 2026-01-01", "      - start: 2026-01-15")
)


def test_a_prorated_line_says_how_much_of_the_period_it_bills(tmp_path: Path) -> None:
    path = books(tmp_path, MID_MONTH)
    assert posting_meta(path, "INV-ACME-1-20260115", "platform")["proration"] == "17/31"
    # a whole month bills quantity x unit price: nothing to explain
    assert "proration" not in posting_meta(path, "INV-ACME-1-20260201", "platform")
    found = loaded_documents(path)
    first = found["INV-ACME-1-20260115"]
    platform = first.lines[0]
    # 1 x 300.00 x 17 / 31
    assert (platform.quantity, platform.unit_price, platform.amount) == (
        D("1"),
        D("300.00"),
        D("164.52"),
    )
    assert platform.proration == "prorated: 17 of 31 days"
    html = Renderer(TEMPLATES).html(first)
    assert '<div class="detail">prorated: 17 of 31 days</div>' in html
    assert "prorated" not in Renderer(TEMPLATES).html(found["INV-ACME-1-20260201"])


def test_a_monthly_price_billed_for_a_quarter_says_its_months(tmp_path: Path) -> None:
    # 100.00 a month, billed quarterly on calendar quarters from 15 February: 14 of February's
    # 28 days and March; then three months.
    quarterly = (
        ACME.replace(
            "start: 2026-01-01\n    end: 2026-03-31", "start: 2026-02-15\n    end: 2026-06-30"
        )
        .replace(
            "billing: {cadence: monthly, timing: advance}",
            "billing: {cadence: quarterly, timing: advance, anchor: calendar}",
        )
        .replace("      - start: 2026-01-01", "      - start: 2026-02-15")
        .replace(
            '{model: flat_fee, price: "300.00"}', '{model: flat_fee, price: "100.00", per: month}'
        )
    )
    path = books(tmp_path, quarterly)
    assert posting_meta(path, "INV-ACME-1-20260215", "platform")["proration"] == "14/28 + 1"
    assert posting_meta(path, "INV-ACME-1-20260401", "platform")["proration"] == "3"
    found = loaded_documents(path)
    first, second = found["INV-ACME-1-20260215"].lines[0], found["INV-ACME-1-20260401"].lines[0]
    assert (first.amount, first.proration) == (D("150.00"), "prorated: 14 of 28 days + 1 month")
    assert (second.amount, second.proration) == (D("300.00"), "3 months at the monthly price")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("22/31", "prorated: 22 of 31 days"),
        ("17/31 + 2", "prorated: 17 of 31 days + 2 months"),
        ("1", "1 month at the monthly price"),
        ("half the month, as agreed", "half the month, as agreed"),  # written by hand
    ],
)
def test_proration_metadata_in_words(text: str, words: str) -> None:
    assert proration_words(text) == words


METERED = """\
customer: {id: acme, account: Acme, name: Acme Corp}
contracts:
  - id: ACME-1
    start: 2026-01-01
    end: 2026-02-28
    billing: {cadence: monthly, timing: arrears}
    phases:
      - start: 2026-01-01
        products:
          - product: api-calls
            free_units: 1000
            pricing:
              model: tiered
              tiers:
                - {up_to: 50000, unit_price: "0.012"}
                - {unit_price: "0.010"}
"""
CALLS = """\
timestamp,customer,metric,quantity
2026-01-10,acme,api_calls,78596
2026-02-03,acme,api_calls,400
"""


def metered_books(tmp_path: Path) -> Path:
    api_calls = "api-calls: {name: API calls, metric: api_calls, revenue_rule: subscription}"
    return write_metered_books(tmp_path, METERED, api_calls, CALLS)


def test_a_usage_line_says_what_was_used_and_what_was_free(tmp_path: Path) -> None:
    path = metered_books(tmp_path)
    meta = posting_meta(path, "INV-ACME-1-20260201", "api-calls")
    assert (meta["quantity"], meta["usage"], meta["free-units"]) == (
        D("77596"),
        D("78596"),
        D("1000"),
    )
    found = loaded_documents(path)
    (line,) = found["INV-ACME-1-20260201"].lines
    assert (line.quantity, line.usage, line.free_units) == (D("77596"), D("78596"), D("1000"))
    html = Renderer(TEMPLATES).html(found["INV-ACME-1-20260201"])
    assert "78,596 used, 1,000 free: 77,596 billed" in html
    # February's 400 calls are within the free units: no invoice
    assert "INV-ACME-1-20260301" not in found


def test_tier_bounds_are_written_as_the_quantities_beside_them(tmp_path: Path) -> None:
    invoice = loaded_documents(metered_books(tmp_path))["INV-ACME-1-20260201"]
    html = Renderer(TEMPLATES).html(invoice)
    assert "tier 1 (0-50,000): 50,000 = $600.00" in html
    assert "tier 2 (over 50,000): 27,596 = $275.96" in html
    german = Renderer(TEMPLATES, "de_DE").html(invoice)
    assert "tier 1 (0-50.000): 50.000 = 600,00" in german


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("tier 2 (10000-100000.5)", "tier 2 (10,000-100,000.5)"),
        ("step 3 (over 25000)", "step 3 (over 25,000)"),
        ("package of 1000", "package of 1,000"),
        ("region 2024, tier 1 (0-10000)", "region 2024, tier 1 (0-10,000)"),
        ("flat fee tier 12", "flat fee tier 12"),
        ("2.9% of amount", "2.9% of amount"),
    ],
)
def test_a_pricing_label_formats_its_bounds_only(label: str, shown: str) -> None:
    assert Renderer(TEMPLATES).pricing_label(label) == shown


def test_a_tax_line_prints_its_rate_unless_its_name_says_it(tmp_path: Path) -> None:
    found = loaded_documents(books(tmp_path))
    invoice, memo = found["INV-ACME-1-20260101"], found["CM-1"]
    assert invoice.tax_rates == {"CA sales tax": D("0.1")}
    renderer = Renderer(TEMPLATES)
    assert "<td>CA sales tax 10%</td>" in renderer.html(invoice)
    assert "<td>CA sales tax 10%</td>" in renderer.html(memo)
    # the demo's taxes: California's rate is printed; VAT's name already says it
    entries, errors, options = loader.load_file(str(ROOT / "ledgers" / "main.beancount"))
    assert errors == []
    demo = {
        d.id: d
        for d in documents(
            entries, cli.ledger_directory(str(ROOT / "ledgers" / "main.beancount"), options)
        )
    }
    assert "<td>California sales tax 7.25%</td>" in renderer.html(demo["INV-ACME-1-20260301"])
    globex = renderer.html(demo["INV-GLOBEX-1-20260401"])
    assert "<td>VAT 19% (Germany)</td>" in globex and "19% (Germany) 19%" not in globex


SELLER = """\
company:
  name: Test Co
  currency: USD
  address: |
    1 Market St <Suite 5>
    San Francisco, CA 94105
  tax_id: EIN 12-3456789
  payment_instructions: |
    Bank transfer to Test Co & Sons
    ACH routing 000000000
"""
SELLER_ADDRESS = "1 Market St &lt;Suite 5&gt;\nSan Francisco, CA 94105"
PAY_BY = "Bank transfer to Test Co &amp; Sons\nACH routing 000000000"


def with_seller_details(root: Path) -> None:
    """The books' catalog with the seller's address, tax id and payment instructions."""
    catalog = root / "contracts" / "catalog.yaml"
    company = catalog.read_text().splitlines(keepends=True)[0]
    assert company.startswith("company: {name: Test Co,")
    catalog.write_text(catalog.read_text().replace(company, SELLER))


def rendered(path: Path, *extra: str) -> dict[str, str]:
    """`beanbill render --format html` of the books at `path`: each file's text by its name."""
    args = ["render", str(path), "--templates", TEMPLATES, "--format", "html", *extra]
    assert cli.main(args) == 0
    folder = path.parent / "documents" / AR.replace(":", "/")
    return {file.name: file.read_text() for file in sorted(folder.iterdir())}


def test_documents_show_the_sellers_address_tax_id_and_how_to_pay(tmp_path: Path) -> None:
    path = books(tmp_path)
    with_seller_details(tmp_path)
    rendered(path, "--statements", "2026-03-15")
    html = rendered(path)
    for name in ("2026-01-01.INV-ACME-1-20260101.html", "2026-01-10.CM-1.html"):
        # under the company name, in the header, its lines kept and escaped
        header = html[name].split("<header>")[1].split("</header>")[0]
        assert '<div class="seller">Test Co</div>' in header
        assert f'<div class="seller-details">{SELLER_ADDRESS}</div>' in header
        assert '<div class="seller-details">EIN 12-3456789</div>' in header
        assert "<Suite 5>" not in html[name]
    invoice = html["2026-01-01.INV-ACME-1-20260101.html"]
    notes = invoice.split('<div class="notes">')[1]
    assert notes.index("Please pay $407.00 by 2026-01-31") < notes.index(PAY_BY)
    assert '<div class="label">How to pay</div>' in notes
    # a credit memo asks for nothing: no payment instructions
    memo = html["2026-01-10.CM-1.html"]
    assert "Credit memo" in memo and "How to pay" not in memo and "ACH routing" not in memo
    statement = html["2026-03-15.statement.html"]
    assert f'<div class="seller-details">{SELLER_ADDRESS}</div>' in statement
    assert "EIN 12-3456789" in statement
    notes = statement.split('<div class="notes">')[1]
    assert notes.index("Please pay the open invoices") < notes.index(PAY_BY)


def test_an_invoice_with_nothing_to_pay_gives_no_payment_instructions(tmp_path: Path) -> None:
    credit = '  - {type: credit, id: CR-1, date: 2026-01-15, amount: "500.00", reason: Promo}\n'
    path = books(tmp_path, ACME + credit)
    with_seller_details(tmp_path)
    html = rendered(path)
    february = html["2026-02-01.INV-ACME-1-20260201.html"]  # paid in full by the credit
    assert "nothing to pay" in february and "How to pay" not in february
    assert "EIN 12-3456789" in february
    assert PAY_BY in html["2026-03-01.INV-ACME-1-20260301.html"]  # 160.00 left to pay


def test_documents_of_a_catalog_without_the_sellers_details_render_as_before(
    tmp_path: Path,
) -> None:
    path = books(tmp_path)
    rendered(path, "--statements", "2026-03-15")
    html = rendered(path)
    for name in (
        "2026-01-01.INV-ACME-1-20260101.html",
        "2026-01-10.CM-1.html",
        "2026-01-11.DM-1.html",
        "2026-03-15.statement.html",
    ):
        text = html[name]
        # the markup of the documents before the seller's details existed, to the byte
        assert "  h2 { font-size: 11pt; color: #1f4e79; margin: 8mm 0 2mm 0; }\n</style>" in text
        assert '<header>\n  <div class="seller">Test Co</div>\n  <div>\n    <h1>' in text
        assert "seller-details" not in text and "How to pay" not in text
        assert ".payment" not in text and 'class="payment"' not in text
    assert (
        '<div class="notes">Please pay $407.00 by 2026-01-31, quoting INV-ACME-1-20260101.</div>'
        in html["2026-01-01.INV-ACME-1-20260101.html"]
    )
    assert (
        '<div class="notes">Please pay the open invoices by their due dates, quoting each '
        "invoice's number.</div>" in html["2026-03-15.statement.html"]
    )


def test_a_line_whose_price_includes_vat_says_so(tmp_path: Path) -> None:
    # 2,850.00 a quarter, VAT 19% included: the line bills 2,394.96 net, and VAT 455.04.
    path = write_books(tmp_path, {"globex": GLOBEX}, LEDGER)
    found = loaded_documents(path)
    (line,) = found["INV-GLOBEX-1-20260401"].lines
    assert (line.unit_price, line.amount, line.price_includes) == (
        D("2850.00"),
        D("2394.96"),
        "VAT",
    )
    html = Renderer(TEMPLATES).html(found["INV-GLOBEX-1-20260401"])
    assert "the price includes VAT: the amount is net of it" in html
    # An exclusive tax says nothing of the kind.
    acme = loaded_documents(books(tmp_path / "acme"))["INV-ACME-1-20260101"]
    assert {line.price_includes for line in acme.lines} == {""}


def test_a_tiered_line_under_an_inclusive_vat_says_its_tier_prices_include_it() -> None:
    # The demo's Globex: storage priced by volume tiers (no unit price), VAT 19% included.
    entries, _, _ = loader.load_file(str(ROOT / "ledgers" / "main.beancount"))
    invoice = next(
        e
        for e in entries
        if isinstance(e, data.Transaction) and e.meta.get("invoice-id") == "INV-GLOBEX-1-20260401"
    )
    storage = next(p for p in invoice.postings if (p.meta or {}).get("product") == "storage")
    assert "unit-price" not in storage.meta
    assert storage.meta["price-includes"] == "Liabilities:SalesTax:DE"


def test_a_renewal_line_says_how_its_price_was_raised_from_the_signed_one() -> None:
    # The demo's Wayne: 9,000.00 a half-year as signed, renewed from July at +5%.
    ledger = ROOT / "ledgers" / "main.beancount"
    found = loaded_documents(ledger)
    platform, discount = [
        line
        for line in found["INV-WAYNE-1-20260701"].lines
        if line.service_start == datetime.date(2026, 7, 1)
    ]
    assert (platform.unit_price, platform.amount, platform.renewal) == (
        D("9450.00"),
        D("9450.00"),
        "renewal term 1: prices x 1.05 (uplift 5% a term)",
    )
    assert (discount.amount, discount.renewal) == (D("-472.50"), "")
    assert {line.renewal for line in found["INV-WAYNE-1-20260101"].lines} == {""}
    html = Renderer(TEMPLATES).html(found["INV-WAYNE-1-20260701"])
    assert (
        'Platform subscription<div class="detail">renewal term 1: prices x 1.05 '
        "(uplift 5% a term)</div>" in html
    )
    entries, _, _ = loader.load_file(str(ledger))
    invoice = next(
        e
        for e in entries
        if isinstance(e, data.Transaction) and e.meta.get("invoice-id") == "INV-WAYNE-1-20260701"
    )
    renewed = [p.meta.get("renewal") for p in invoice.postings if (p.meta or {}).get("product")]
    assert renewed.count("term 1: prices x 1.05 (uplift 5% a term)") == 1


def test_a_debit_memo_asks_to_be_paid_and_a_credit_memo_does_not(tmp_path: Path) -> None:
    found = loaded_documents(books(tmp_path))
    debit = Renderer(TEMPLATES).html(found["DM-1"])
    assert "Please pay $34.10, quoting DM-1 and invoice INV-ACME-1-20260101." in debit
    assert "Please pay" not in Renderer(TEMPLATES).html(found["CM-1"])
    # With the seller's payment instructions, it says how.
    told = found["DM-1"]._replace(
        seller_details=found["DM-1"].seller_details._replace(payment_instructions="IBAN X")
    )
    html = Renderer(TEMPLATES).html(told)
    assert '<div class="label">How to pay</div><div class="instructions">IBAN X</div>' in html


def test_a_consolidated_invoice_and_its_memo_name_each_lines_contract() -> None:
    # The demo's Umbrella: two contracts on one invoice; two could sell the same product.
    found = loaded_documents(ROOT / "ledgers" / "main.beancount")
    april = found["INV-umbrella-20260401"]
    assert [(line.description, line.contract) for line in april.lines][:3] == [
        ("Platform subscription", "UMB-PLATFORM"),
        ("User seats", "UMB-PLATFORM"),
        ("Payments processing", "UMB-PAYMENTS"),
    ]
    assert 'Platform subscription<div class="detail">contract UMB-PLATFORM</div>' in (
        Renderer(TEMPLATES).html(april)
    )
    assert [(line.description, line.contract) for line in found["CM-UMB-1"].lines] == [
        ("Payments processing", "UMB-PAYMENTS")
    ]
    # One contract's invoice names none.
    assert {line.contract for line in found["INV-ACME-1-20260201"].lines} == {""}


def test_a_tax_on_some_lines_of_an_invoice_says_what_it_is_on(tmp_path: Path) -> None:
    # A consolidated invoice of a taxed contract (300.00 a month at 10%) and an untaxed one
    # (300.00 a quarter): its 30.00 of tax is on 300.00, not on the 600.00 subtotal.
    from tests.test_adjustments import TWO_CONTRACTS

    head, _, tail = TWO_CONTRACTS.rpartition("        taxes: [ca]\n")  # ACME-2's taxes
    untaxed = head + tail
    assert untaxed.count("taxes: [ca]") == 1
    path = write_books(tmp_path, {"acme": untaxed}, LEDGER)
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    invoice = next(
        e
        for e in entries
        if isinstance(e, data.Transaction) and e.meta.get("invoice-id") == "INV-acme-20260101"
    )
    (tax,) = [p for p in invoice.postings if p.account.startswith("Liabilities:SalesTax")]
    assert (tax.units.number, tax.meta) == (D("-30.00"), {"taxable": D("300.00")})
    document = loaded_documents(path)["INV-acme-20260101"]
    assert (document.subtotal, document.taxes) == (D("600.00"), (("CA sales tax", D("30.00")),))
    assert document.tax_bases == {"CA sales tax": D("300.00")}
    assert ">CA sales tax 10% on $300.00</td>" in Renderer(TEMPLATES).html(document)
    # An invoice whose every line the tax covers says nothing more.
    february = loaded_documents(path)["INV-acme-20260201"]
    assert february.tax_bases == {}
