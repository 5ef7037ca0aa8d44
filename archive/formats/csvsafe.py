"""CSV for spreadsheets: cells that a spreadsheet would run as a formula are defused.

Used by every CSV download (statistics tables, search results). A cell starting with one of
FORMULA_START is prefixed with an apostrophe, which spreadsheets show as text and do not run
(OWASP "CSV injection"). Files start with a byte order mark so Excel reads Hangul as UTF-8.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# Spreadsheets run cells that start with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def defuse(text: str) -> str:
    """The cell as text a spreadsheet will not evaluate.

    Text that already starts with apostrophes before a formula character gets one more, so that
    `restore` can tell every value apart.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def restore(text: str) -> str:
    """Undo `defuse` (for reading an export back)."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START) else text


def write_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV document: BOM, CRLF line ends, every cell defused (None is blank)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([defuse(str(cell)) for cell in header])
    for row in rows:
        writer.writerow([defuse("" if cell is None else str(cell)) for cell in row])
    return buffer.getvalue()
