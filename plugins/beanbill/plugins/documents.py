"""File the rendered documents (`beanbill render`) under their accounts, linked to their
invoice or memo.

Usage, in the top-level ledger file, after the contracts plugin (which opens the customers'
accounts):

    plugin "beanbill.plugins.documents" "documents"

Config: the documents folder, relative to the ledger file (default: "documents"). Files are
found as Beancount's `documents` option finds them: `<folder>/<account, one folder per
component>/<YYYY-MM-DD>.<name>`. Beancount's option only sees accounts opened in the ledger's
own text, not the customers' accounts the contracts plugin opens; this plugin files a
`Document` for every open account, and when the name is `<id>.<extension>` and `<id>` is an
invoice or memo of the books, links it (`^<id>`): Fava then shows the PDF beside its invoice
(click the link) and serves it. A file Beancount already filed is not filed twice. The folder
is added to the loaded options' `documents`, so Fava watches it and a newly rendered document
reloads the books.

Errors: a documents folder that does not exist; a document dated outside its account's
open..close span (not filed: Beancount would refuse it at a location the user cannot open);
documents named as `beanbill render` names an invoice (`<date>.<prefix>-…-<yyyymmdd>.pdf`)
whose invoice the books no longer have (filed all the same), one error per account: a sent
invoice the books lost.
"""

from __future__ import annotations

import datetime
import os
import re
from typing import Any, NamedTuple

from beancount.core import account, data

from beanbill.active import ActiveAccounts
from beanbill.books import id_prefixes, is_invoice
from beanbill.ledger import BeanbillError, internal_error
from beanbill.problems import shown

__plugins__ = ("file_documents",)

DATED = re.compile(r"(\d{4})-(\d{2})-(\d{2})\.(.+)")
INVOICE_ID = re.compile(r"[^-]+-.+-\d{8}")
FILENAME = "<beanbill:documents>"


class DocumentsError(NamedTuple):
    source: dict[str, Any]
    message: str
    entry: data.Directive | None


def file_documents(
    entries: list[data.Directive], options_map: dict[str, Any], config: str | None = None
) -> tuple[list[data.Directive], list[DocumentsError | BeanbillError]]:
    """The plugin: the entries, plus a Document per dated file in an open account's folder."""
    ledger = options_map.get("filename") or "<string>"
    folder = os.path.join(os.path.dirname(os.path.abspath(ledger)), (config or "documents").strip())
    if not os.path.isdir(folder):
        message = (
            f"documents folder {shown(folder)} does not exist (render into it: beanbill render)"
        )
        return entries, [DocumentsError(data.new_metadata(ledger, 0), message, None)]
    # Fava watches the documents folders (a newly rendered PDF reloads the books) and uploads
    # into the first; Beancount's own option only reads them when the ledger is parsed.
    if folder not in options_map["documents"]:
        options_map["documents"].append(folder)
    try:
        found, errors = found_documents(entries, folder)
        return entries + found, list(errors)
    except Exception as error:  # a bug: report it, keep the ledger loadable
        return entries, [internal_error("beanbill.plugins.documents", error)]


def found_documents(
    entries: list[data.Directive], folder: str
) -> tuple[list[data.Directive], list[DocumentsError]]:
    dated = []  # (account, path, date, stem) of each dated file; the folder is read first, so
    # books without documents (the large ones) are not walked three more times for nothing
    for root, name, _, files in account.walk(folder):
        for file in sorted(files):
            match = DATED.fullmatch(file)
            if match is None:
                continue
            try:
                date = datetime.date(*(int(match.group(i)) for i in (1, 2, 3)))
            except ValueError:
                continue  # not a date: not a document file
            stem = os.path.splitext(match.group(4))[0]
            dated.append((name, os.path.join(root, file), date, stem))
    if not dated:
        return [], []
    active = ActiveAccounts(entries)
    filed = {e.filename for e in entries if isinstance(e, data.Document)}
    ids = document_ids(entries)
    # the invoice ids' prefixes (`<prefix>-<contract>-<yyyymmdd>`; memo ids are free-form)
    prefixes = id_prefixes(i for i in ids if INVOICE_ID.fullmatch(i))
    found: list[data.Directive] = []
    errors: list[DocumentsError] = []
    gone: dict[str, list[str]] = {}  # account → the paths of invoices no longer in the books
    for name, path, date, stem in dated:
        if name not in active.opens or path in filed:
            continue
        if reason := active.inactive_on(date, [name]):
            # Beancount would refuse it at a synthetic location; say which file, and why.
            message = (
                f"document {os.path.basename(path)} is dated {date}, outside the span of "
                f"{reason}: it is not filed. Is its invoice or memo missing from these books "
                "(a customer file with a problem, or a contract changed since it was "
                "rendered)?"
            )
            errors.append(DocumentsError(data.new_metadata(path, 0), message, None))
            continue
        links = frozenset({stem}) if stem in ids else frozenset()
        if not links and stem.startswith(prefixes) and stem.endswith(f"-{date:%Y%m%d}"):
            gone.setdefault(name, []).append(path)  # named as `beanbill render` names one
        meta = data.new_metadata(FILENAME, 0)
        found.append(data.Document(meta, date, name, path, frozenset(), links))
    for paths in gone.values():
        first = os.path.basename(paths[0])
        if paths[1:]:
            what = (
                f"{len(paths)} documents of invoices that are not in these books (the first "
                f"{first}): if they were sent, the customer holds invoices"
            )
            remove = "the files that were never sent"
        else:
            what = (
                f"document {first} is of an invoice that is not in these books: if it was "
                "sent, the customer holds an invoice"
            )
            remove = "the file if it was never sent"
        errors.append(
            DocumentsError(
                data.new_metadata(paths[0], 0),
                f"{what} the books no longer have (a contract renamed or changed since it was "
                f"rendered, or a customer file with a problem). Correct the books, or remove "
                f"{remove}",
                None,
            )
        )
    return found, errors


def document_ids(entries: list[data.Directive]) -> set[str]:
    """The ids of the invoices and memos (their links); not the invoice ids that payments and
    other entries name, which may be of invoices the books no longer have."""
    ids = set()
    for entry in entries:
        if isinstance(entry, data.Transaction):
            if "memo-id" in entry.meta:
                ids.add(str(entry.meta["memo-id"]))
            elif "invoice-id" in entry.meta and is_invoice(entry):
                ids.add(str(entry.meta["invoice-id"]))
    return ids
