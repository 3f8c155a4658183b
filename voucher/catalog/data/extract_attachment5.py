"""One-off provenance tool: rebuild ``catalogue.csv`` from the PDF-extracted policy text.

Attachment 5 of the policy document (广东省职业技能培训补贴（指导）标准目录（2023年度）)
lists 498 occupations and special abilities. The PDF-to-text extraction breaks the table:
rows are split across lines and pages, the page header ``序号 编码 名称 类型 证书类型`` repeats,
the ``（2022年版）`` mark sits on its own line (sometimes with the name), and names and
categories wrap mid-word, occasionally continuing after the certificate type on the next page.

This script is kept only to show how the committed CSV was produced; it is not imported by the
application. It is deterministic: the same seed text always yields the same bytes.

Usage::

    python extract_attachment5.py SEED_TEXT OUTPUT_CSV
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ATTACHMENT_MARK = "附件 5"
PAGE_HEADER = "序号 编码 名称 类型 证书类型"
END_MARK = "公开方式"
EDITION_2022_MARK = "（2022年版）"
CERTIFICATE_TYPES = frozenset({"技能等级证书", "专项能力证书"})
NO_CODE = "/"

# Every category the attachment uses, exactly as written. Wrapped category cells are resolved
# by finding the unique way to read the cell fragments as one of these.
CATEGORIES = frozenset(
    {
        "粤菜师傅",
        "新业态",
        "新业态/乡村工匠",
        "新业态/农村电商",
        "新业态/农村电商/乡村工匠",
        "乡村工匠",
        "南粤家政",
        "其他",
    }
)

SERIAL_RE = re.compile(r"^\d+$")
# A standard occupation code, "/" for a special ability, or a bare number (one row carries "48").
CODE_RE = re.compile(r"^(?:\d-\d{2}-\d{2}-\d{2}|/|\d+)$")

CSV_HEADER = ("seq", "serial", "code", "name", "category", "certificate_type", "edition_2022")


class ExtractionError(ValueError):
    """The seed text does not have the shape this tool expects."""


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    seq: int
    serial: str
    code: str
    name: str
    category: str
    certificate_type: str
    edition_2022: bool

    def as_csv_record(self) -> tuple[str, ...]:
        return (
            str(self.seq),
            self.serial,
            self.code,
            self.name,
            self.category,
            self.certificate_type,
            "1" if self.edition_2022 else "0",
        )


@dataclass(slots=True)
class _RawRow:
    serial: str
    code: str
    edition_2022: bool = False
    certificate_type: str | None = None
    # fragments between the code and the certificate type
    cells: list[str] = field(default_factory=list)
    # fragments after the certificate type, carried over a page break
    trailing: list[str] = field(default_factory=list)


def catalogue_lines(text: str) -> list[str]:
    """Return the lines of attachment 5's table body, page headers removed."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == ATTACHMENT_MARK)
        first_header = next(i for i in range(start, len(lines)) if lines[i].strip() == PAGE_HEADER)
    except StopIteration as exc:
        raise ExtractionError("attachment 5 or its table header not found") from exc
    body: list[str] = []
    for line in lines[first_header + 1 :]:
        stripped = line.strip()
        if stripped.startswith(END_MARK):
            break
        if stripped and stripped != PAGE_HEADER:
            body.append(stripped)
    return body


def _tokens(lines: Sequence[str]) -> Iterator[str]:
    for line in lines:
        yield from line.split()


def _raw_rows(tokens: Iterator[str]) -> list[_RawRow]:
    rows: list[_RawRow] = []
    current: _RawRow | None = None
    for token in tokens:
        if SERIAL_RE.match(token):
            if current is not None and current.certificate_type is None:
                raise ExtractionError(f"row {current.serial} has no certificate type")
            code = next(tokens, None)
            if code is None or not CODE_RE.match(code):
                raise ExtractionError(f"serial {token} is not followed by a code: {code!r}")
            current = _RawRow(serial=token, code=code)
            rows.append(current)
        elif current is None:
            raise ExtractionError(f"text before the first row: {token!r}")
        elif token == EDITION_2022_MARK:
            if current.edition_2022 or current.cells or current.certificate_type:
                raise ExtractionError(f"misplaced 2022 mark in row {current.serial}")
            current.edition_2022 = True
        elif token in CERTIFICATE_TYPES:
            if current.certificate_type is not None:
                raise ExtractionError(f"two certificate types in row {current.serial}")
            current.certificate_type = token
        elif current.certificate_type is None:
            current.cells.append(token)
        else:
            current.trailing.append(token)
    if current is not None and current.certificate_type is None:
        raise ExtractionError(f"row {current.serial} has no certificate type")
    return rows


def _split_name_category(raw: _RawRow) -> tuple[str, str]:
    """Split a row's cell fragments into (name, category).

    The name fragments come first, then the category fragments; fragments that spilled past
    the certificate type (a page break) continue either the name or the category. Exactly one
    reading must give a known category, otherwise the row is reported as ambiguous.
    """
    cells = raw.cells
    trailing = "".join(raw.trailing)
    readings: set[tuple[str, str]] = set()
    for split in range(1, len(cells)):
        name = "".join(cells[:split])
        category = "".join(cells[split:])
        if trailing and category + trailing in CATEGORIES:
            readings.add((name, category + trailing))
        if category in CATEGORIES:
            readings.add((name + trailing, category))
    if len(readings) != 1:
        raise ExtractionError(
            f"row {raw.serial} {raw.code}: cannot split {cells} + {raw.trailing}: {readings}"
        )
    return readings.pop()


def extract(text: str) -> list[CatalogueRow]:
    """Parse attachment 5 out of the seed text into catalogue rows in document order."""
    rows: list[CatalogueRow] = []
    for seq, raw in enumerate(_raw_rows(_tokens(catalogue_lines(text))), start=1):
        name, category = _split_name_category(raw)
        assert raw.certificate_type is not None
        rows.append(
            CatalogueRow(
                seq=seq,
                serial=raw.serial,
                code="" if raw.code == NO_CODE else raw.code,
                name=name,
                category=category,
                certificate_type=raw.certificate_type,
                edition_2022=raw.edition_2022,
            )
        )
    return rows


def write_csv(rows: Sequence[CatalogueRow], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(row.as_csv_record() for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: extract_attachment5.py SEED_TEXT OUTPUT_CSV", file=sys.stderr)
        return 2
    seed, output = Path(args[0]), Path(args[1])
    rows = extract(seed.read_text(encoding="utf-8"))
    write_csv(rows, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
