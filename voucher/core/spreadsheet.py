"""Excel in and out: streaming reads of uploaded xlsx, and write-only exports."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from voucher.errors import ValidationFailed

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_xlsx(head: bytes, stream: IO[bytes]) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    finally:
        stream.seek(0)
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def read_xlsx_rows(
    stream: IO[bytes], *, filename: str = "", max_bytes: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """Yield the first sheet's rows as value tuples; refuse files that are not real xlsx."""
    if filename and not filename.lower().endswith(".xlsx"):
        raise ValidationFailed(_l("请上传 .xlsx 格式的 Excel 文件"), code="upload_not_xlsx")
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise ValidationFailed(_l("上传的文件是空的"), code="upload_empty")
    if max_bytes is not None and size > max_bytes:
        raise ValidationFailed(
            _l(
                "文件过大（%(mb).1f MB），上限为 %(lim)s MB",
                mb=size / 2**20,
                lim=max_bytes // 2**20,
            ),
            code="upload_too_large",
        )
    head = stream.read(4)
    stream.seek(0)
    if not _is_xlsx(head, stream):
        raise ValidationFailed(
            _l("文件不是有效的 .xlsx 格式（可在 Excel 中“另存为 Excel 工作簿”）"),
            code="upload_not_xlsx",
        )
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ValidationFailed(_l("无法读取该 Excel 文件"), code="upload_unreadable") from exc
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """A cell's value as trimmed text ('' for empty; integral floats without '.0')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def write_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet1",
    preamble: Iterable[Sequence[Any]] = (),
) -> bytes:
    """A one-sheet xlsx written in streaming mode (memory flat in the number of rows).

    ``preamble`` rows (a form's title, who filled it in) come before the header row; a form
    laid out as label/value rows passes no headers.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in preamble:
        sheet.append(list(row))
    if headers:
        sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
