"""The one CSV writer of every export (audit log, warnings, disclosure, and the statistics to come).

Exports are opened in Excel or WPS by people who trust them, and some of their text comes from
outside: a user agent or a username sent to the login endpoint lands in the audit log as sent. A
spreadsheet treats a cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return before
one) as a formula: `=HYPERLINK("http://…", "点此")` becomes a link, `@SUM(…)` is evaluated, and
DDE payloads can run programs (CSV injection, OWASP). Every text cell that begins with one of those
characters is therefore written with a leading apostrophe, which spreadsheets show as text and
never evaluate.

Numbers are not text: an int, a float or a Decimal is written as it is, so a legitimately negative
count or amount (a correction, a recovery) stays a number the spreadsheet can sum. A text cell that
is nothing but a plain decimal number ("-12.50", money formatted as yuan) stays as it is too: it
cannot hold a call, and a spreadsheet reads it as that number with or without a formula prefix.
Everything else that starts with a trigger — "-1+cmd|' /C calc'!A0", "+86 138…" — is neutralised.
Full-width look-alikes (`＝`, `＋`, `－`, `＠`) are treated like their ASCII forms, since some
spreadsheet front ends convert them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits only: a plain signed decimal is a number, not an expression.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)
# Excel reads the Chinese text of a CSV as UTF-8 only with a byte order mark.
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """The value as it can go into a CSV cell without being evaluated as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):  # bool too (an int): written True/False
        return value  # numbers are written as numbers: csv renders them without a formula prefix
    text = str(value)
    if not text:
        return text
    first = unicodedata.normalize("NFKC", text[0])[:1]  # "＝" → "="
    if first in TRIGGERS and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """csv.writer with every cell passed through safe_cell."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> str:
    """A whole CSV document (header first), ready to send."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM if bom else "") + buffer.getvalue()
