"""Tables as CSV and XLSX: numbers as numbers, rates as fractions, formulas neutralised,
sheet names Excel accepts."""

import csv
import io
from datetime import date

from openpyxl import load_workbook

from webinars.reports import Column, Table, _sheet_title, table_csv, tables_xlsx


def table(title: str = "By audience type") -> Table:
    return Table(
        slug="t",
        title=title,
        columns=[
            Column("Name", kind="text"),
            Column("Day", kind="date"),
            Column("Count"),
            Column("Rate", kind="rate"),
        ],
        rows=[["=SUM(A1)", date(2026, 10, 23), 3, 0.625], ["Kansai", date(2026, 10, 26), 0, None]],
    )


def test_csv_keeps_numbers_and_neutralises_formulas():
    text = table_csv(table())

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [
        ["Name", "Day", "Count", "Rate (%)"],
        ["'=SUM(A1)", "2026-10-23", "3", "62.5"],
        ["Kansai", "2026-10-26", "0", ""],
    ]


def test_xlsx_has_a_sheet_per_table_with_typed_cells():
    workbook = load_workbook(io.BytesIO(tables_xlsx([table(), table()], title="Report")))

    assert workbook.sheetnames == ["By audience type", "By audience type 2"]
    sheet = workbook["By audience type"]
    assert [cell.value for cell in sheet[2]][:3] == ["'=SUM(A1)", sheet["B2"].value, 3]
    assert sheet["B2"].value.date() == date(2026, 10, 23)
    assert sheet["D2"].value == 0.625
    assert sheet["D2"].number_format == "0.0%"
    assert sheet["A1"].font.bold
    assert sheet["D3"].value is None


def test_sheet_titles_lose_what_excel_refuses():
    used: set[str] = set()

    assert _sheet_title("Sources: top [10] / all?", used) == "Sources  top  10    all"
    assert len(_sheet_title("x" * 40, used)) == 31
