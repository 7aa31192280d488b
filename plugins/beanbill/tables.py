"""Rendering report rows for people (aligned table) and tools (CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from decimal import Decimal

Cell = str | Decimal | int | None
FORMATS = ("table", "csv", "json")


def _text(cell: Cell) -> str:
    return "" if cell is None else str(cell)


def render(headers: Sequence[str], rows: Sequence[Sequence[Cell]], fmt: str) -> str:
    """`rows` under `headers` as an aligned table, CSV, or a JSON list of objects (numbers as
    strings, so no amount passes through a binary float)."""
    if fmt == "json":
        objects = [{h: _text(c) for h, c in zip(headers, row, strict=True)} for row in rows]
        return json.dumps(objects, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[_text(c) for c in row] for row in rows])
        return out.getvalue()
    texts = [[_text(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in texts]) for i, h in enumerate(headers)]
    numeric = numeric_columns(len(headers), rows)

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(headers)), rule, *(line(r) for r in texts)]) + "\n"


def numeric_columns(count: int, rows: Sequence[Sequence[Cell]]) -> list[bool]:
    """Which of the `count` columns hold numbers only (people's tables right-align them)."""
    return [
        all(isinstance(row[i], (Decimal, int)) or row[i] is None for row in rows)
        for i in range(count)
    ]
