"""Documents as HTML (Jinja2 templates) and PDF (WeasyPrint), and where they are filed.

The templates are `invoice.html.j2`, `memo.html.j2` (credit and debit memos) and
`statement.html.j2` in a templates folder (the repository's `templates/`); they get the
`Document` (or `Statement`) as `doc` and the filters
`money` (Babel, the currency's minor unit), `price` (a unit price, all its digits),
`number`, `percent` (a tax rate, 0.0725 → "7.25%"), `pricing_label` (a pricing piece's
label with its tier or package bounds written as `number` writes quantities: "tier 1
(0-50,000)"), `period` and `ids` (free text, such as a statement row's description, with
each word joined by hyphens, an invoice, memo or contract id or a date, kept whole on its
line: in `<span class="id">`, which base.html.j2 does not let wrap). Files are named as
Beancount's `documents` option wants them:
`<folder>/<the customer's receivable account, one folder per component>/<date>.<id>.<ext>`,
so that Beancount attaches each to the customer's receivable account on the document's date
and Fava lists it there.
"""

from __future__ import annotations

import datetime
import os
import re
import traceback
from decimal import Decimal

import jinja2
from babel.numbers import format_currency, format_decimal, format_percent
from markupsafe import Markup, escape

from beanbill.documents import INVOICE, STATEMENT, Document
from beanbill.problems import shown
from beanbill.statements import Statement

# The bounds in the labels `pricing.py` gives tiers, steps and packages ("tier 2
# (10000-100000)", "tier 3 (over 100000)", "package of 1000"), not the tier's number.
BOUNDS = re.compile(
    r"(?<=\()[0-9]+(?:\.[0-9]+)?(?=-)|(?<=[(-])[0-9]+(?:\.[0-9]+)?(?=\))"
    r"|(?<=\(over )[0-9]+(?:\.[0-9]+)?(?=\))|(?<=package of )[0-9]+(?:\.[0-9]+)?"
)
# A word of the characters ids are made of (letters, digits, `_`, `.` and `-`: load.ID_RE),
# not ending in a full stop; `ids` keeps those with a hyphen whole, where a line could break.
ID_WORD = re.compile(r"(?<![\w.-])[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_-](?!\w)")
TEMPLATE_OF = {INVOICE: "invoice.html.j2", STATEMENT: "statement.html.j2"}
MEMO_TEMPLATE = "memo.html.j2"
FORMATS = ("pdf", "html")


class Renderer:
    """Renders documents with the templates of one folder, in one locale."""

    def __init__(self, templates: str, locale: str = "en_US") -> None:
        self.templates = os.path.abspath(templates)
        self.locale = locale
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.templates),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self.environment.filters.update(
            money=self.money,
            price=self.price,
            number=self.number,
            pricing_label=self.pricing_label,
            percent=self.percent,
            period=period,
            ids=ids,
        )

    def money(self, amount: Decimal, currency: str) -> str:
        return str(format_currency(amount, currency, locale=self.locale))

    def price(self, amount: Decimal, currency: str) -> str:
        return str(
            format_currency(amount, currency, locale=self.locale, decimal_quantization=False)
        )

    def number(self, value: Decimal) -> str:
        return str(format_decimal(value, locale=self.locale, decimal_quantization=False))

    def percent(self, rate: Decimal) -> str:
        """A rate (0.0725) as a percentage with all its digits: "7.25%"."""
        return str(format_percent(rate, "#,##0.####%", locale=self.locale))

    def pricing_label(self, label: str) -> str:
        """A pricing piece's label ("tier 2 (10000-100000)", "step 1 (over 25)", "package of
        1000") with its bounds written as `number` writes the quantities beside them."""
        return BOUNDS.sub(lambda match: self.number(Decimal(match[0])), label)

    def check_templates(self) -> None:
        """Compile every template of the folder: a syntax error raises before anything is
        rendered (jinja2.TemplateSyntaxError, with its file and line)."""
        for name in self.environment.list_templates(extensions=["j2"]):
            self.environment.get_template(name)

    def html(self, document: Document | Statement) -> str:
        template = self.environment.get_template(TEMPLATE_OF.get(document.kind, MEMO_TEMPLATE))
        return template.render(doc=document)

    def pdf(self, document: Document | Statement) -> bytes:
        import weasyprint  # imported here: it loads Pango, which no other command needs

        html = weasyprint.HTML(string=self.html(document), base_url=self.templates)
        pdf: bytes = html.write_pdf()
        return pdf


def ids(text: str) -> Markup:
    """`text`, escaped, with each id in it (a word joined by hyphens: "INV-GLOBEX-1-20260401",
    "CM-GLOBEX-1", a date) in `<span class="id">`, so that no line breaks at its hyphens."""
    pieces = []
    last = 0
    for match in ID_WORD.finditer(text):
        if "-" in match[0]:
            pieces += [
                escape(text[last : match.start()]),
                Markup('<span class="id">%s</span>') % match[0],
            ]
            last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def period(start: datetime.date | None, end: datetime.date | None) -> str:
    if start is None or end is None:
        return ""
    return str(start) if start == end else f"{start} to {end}"


def document_path(folder: str, document: Document | Statement, extension: str) -> str:
    """`<folder>/Assets/AccountsReceivable/Customers/<C>/<date>.<id>.<extension>`."""
    return os.path.join(
        folder, *document.receivable.split(":"), f"{document.date}.{document.id}.{extension}"
    )


def template_problem(error: jinja2.TemplateError, templates: str) -> str:
    """`file:line: message` for a template's error: a syntax error knows its place; an error
    while rendering (an undefined name) is placed at the template line the traceback ends in."""
    where = ""
    if isinstance(error, jinja2.TemplateSyntaxError):
        name = error.filename or os.path.join(templates, str(error.name))
        where = f"{shown(name)}:{error.lineno}: "
    else:
        frames = [
            f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")
        ]
        if frames:
            where = f"{shown(frames[-1].filename)}:{frames[-1].lineno}: "
    return f"{where}template error: {error.message or error}"
