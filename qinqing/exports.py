"""Downloads of list pages: CSV that opens correctly in Excel (UTF-8 with a byte-order
mark) and real Excel workbooks.

Both take the same contract: a header of column names and rows of plain values — str, int,
Decimal (money, two places), date, datetime, or None for an empty cell — so a page builds
its rows once and `export_response` picks the format.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def local_wall_time(value: datetime) -> datetime:
    """An aware time as the portal's users read it (Asia/Shanghai), without its offset: a
    download shows 2026-12-05 20:30:00, never 12:30 UTC."""
    if timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_wall_time(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel reads UTF-8 Chinese text correctly with a BOM
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([_csv_value(value) for value in row] for row in rows)
    return response


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A one-sheet workbook, streamed row by row (write-only mode keeps 50,000 rows cheap).
    Money stays a number with two decimals and dates stay dates, so Excel can sum and sort
    them; text is always text, never a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """Plain values go in as they are; only those needing a format or a type get a cell."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.00"
        return cell
    if isinstance(value, datetime):
        # Excel has no time zones: local (Asia/Shanghai) wall-clock time.
        cell = WriteOnlyCell(sheet, value=local_wall_time(value))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # a name such as "=HYPERLINK(...)" stays text
    return cell


def export_response(
    export_format: str, basename: str, header: Sequence[str], rows: Iterable[Sequence]
) -> HttpResponse:
    """The download in the requested format ("csv" or "xlsx")."""
    if export_format == "xlsx":
        return xlsx_response(f"{basename}.xlsx", header, rows)
    return csv_response(f"{basename}.csv", header, rows)
