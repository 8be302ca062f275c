"""Tables of figures that show on a page, download as CSV and together as an XLSX workbook.

One :class:`Table` feeds all three, so the page, the CSV and the workbook never disagree.
Numbers stay numbers in both files (a rate is a fraction, formatted as a percentage in
the workbook); text that a spreadsheet would read as a formula is neutralised, as in the
registrants' export.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from webinars.exports import neutralise_formula

Value = str | int | float | date | None


@dataclass(frozen=True)
class Column:
    label: str
    # "text", "count" (an integer), "rate" (a fraction shown as a percentage) or "date".
    kind: str = "count"

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("count", "rate")


@dataclass
class Table:
    slug: str  # its file name: <slug>.csv, and its sheet in the workbook
    title: str
    columns: Sequence[Column]
    rows: list[list[Value]]
    # Links for the first column's cells on the page (same order as rows; "" for none).
    links: list[str] = field(default_factory=list)
    note: str = ""

    def cells(self) -> list[list[tuple[Column, Value, str]]]:
        """Rows as (column, value, link) for the page's template."""
        links = self.links or [""] * len(self.rows)
        return [
            [
                (column, value, links[index] if position == 0 else "")
                for position, (column, value) in enumerate(zip(self.columns, row, strict=True))
            ]
            for index, row in enumerate(self.rows)
        ]


def _text(value: Value) -> str:
    # Control characters (a vertical tab pasted into a title) are invalid in a workbook's
    # XML, and openpyxl refuses them; they carry nothing a reader needs in a CSV either.
    return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def table_csv(table: Table) -> str:
    """The table as CSV text, with a byte order mark so Excel reads Japanese names right.
    A rate is written as a percentage number (62.5), its column named with "(%)"."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [
            f"{column.label} (%)" if column.kind == "rate" else column.label
            for column in table.columns
        ]
    )
    for row in table.rows:
        writer.writerow(
            [_csv_value(column, value) for column, value in zip(table.columns, row, strict=True)]
        )
    return buffer.getvalue()


def _csv_value(column: Column, value: Value) -> object:
    if value is None:
        return ""
    if column.kind == "rate":
        return round(float(value) * 100, 1)
    if column.kind == "date":
        return value.isoformat() if isinstance(value, date) else _text(value)
    if column.is_numeric:
        return value
    return _text(value)


def tables_xlsx(tables: Sequence[Table], *, title: str) -> bytes:
    """Every table as a sheet of one workbook: a bold header row, counts as integers,
    rates as fractions formatted 0.0%, dates as dates."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = _text(title)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(title=_sheet_title(_text(table.title), used))
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=_text(column.label))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append(
                [
                    _xlsx_cell(sheet, column, value)
                    for column, value in zip(table.columns, row, strict=True)
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: object, column: Column, value: Value) -> WriteOnlyCell:
    if value is None:
        return WriteOnlyCell(sheet, value=None)
    if column.kind == "rate":
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = "0.0%"
        return cell
    if column.kind == "date" and isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if column.is_numeric:
        return WriteOnlyCell(sheet, value=value)
    # Strings stay strings: openpyxl would store "=…" as a formula.
    return WriteOnlyCell(sheet, value=_text(value))


# Excel refuses these in sheet names, and names longer than 31 characters.
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_SHEET_FORBIDDEN).strip()[:31] or "Sheet"
    name, number = base, 2
    while name.lower() in used:
        suffix = f" {number}"
        name = base[: 31 - len(suffix)] + suffix
        number += 1
    used.add(name.lower())
    return name


def download_name(*parts: str) -> str:
    """A file name from words: ``insights-jlgc-seminars-2026-01-01-2026-12-31``."""
    return "-".join(slugify(part) for part in parts if part)
