"""Catalogue use cases: load attachment 5, search it, set and import subsidy standards."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.catalog.models import CatalogueEntry, SubsidyStandard
from voucher.catalog.rules import LEVEL_LABELS, check_standard, normalise_level
from voucher.core.money import format_yuan, parse_yuan
from voucher.core.spreadsheet import cell_text, read_xlsx_rows, write_xlsx
from voucher.db import db, unit_of_work
from voucher.errors import DomainError, NotFound, ValidationFailed

FIELDS = ("seq", "serial", "code", "name", "category", "certificate_type", "edition_2022")
STANDARD_HEADERS = ("编码", "名称", "类型", "证书类型", "等级", "补贴标准（元）")


def catalogue_rows() -> list[dict[str, Any]]:
    """The packaged attachment-5 data file, parsed."""
    text = (resources.files("voucher.catalog") / "data" / "catalogue.csv").read_text("utf-8")
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        rows.append(
            {
                "seq": int(raw["seq"]),
                "serial": raw["serial"],
                "code": raw["code"],
                "name": raw["name"],
                "category": raw["category"],
                "certificate_type": raw["certificate_type"],
                "edition_2022": raw["edition_2022"] == "1",
            }
        )
    return rows


def load_catalogue(actor: Actor) -> tuple[int, int]:
    """Insert or update every entry of the data file, keyed by its position; (added, changed)."""
    actor.require(Role.CITY)
    added = changed = 0
    with unit_of_work() as session:
        existing = {e.seq: e for e in session.execute(select(CatalogueEntry)).scalars()}
        for row in catalogue_rows():
            entry = existing.get(row["seq"])
            if entry is None:
                session.add(CatalogueEntry(**row))
                added += 1
                continue
            if any(getattr(entry, key) != row[key] for key in FIELDS):
                for key in FIELDS:
                    setattr(entry, key, row[key])
                changed += 1
        if added or changed:
            record(
                actor,
                "catalogue.loaded",
                "catalogue",
                "attachment5",
                {"added": added, "changed": changed},
            )
    return added, changed


@dataclass(frozen=True)
class Page:
    """One page of search results."""

    items: list[CatalogueEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    query: str = "",
    *,
    category: str = "",
    certificate_type: str = "",
    page: int = 1,
    per_page: int = 30,
) -> Page:
    """Entries whose name or code contains ``query``, by category and certificate type."""
    page = max(1, page)
    per_page = min(max(1, per_page), 200)
    stmt = select(CatalogueEntry)
    text = query.strip()
    if text:
        like = f"%{text}%"
        stmt = stmt.where(or_(CatalogueEntry.name.like(like), CatalogueEntry.code.like(like)))
    if category:
        stmt = stmt.where(CatalogueEntry.category.like(f"%{category.strip()}%"))
    if certificate_type:
        stmt = stmt.where(CatalogueEntry.certificate_type == certificate_type)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    items = list(
        db.session.execute(
            stmt.options(selectinload(CatalogueEntry.standards))
            .order_by(CatalogueEntry.seq)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).scalars()
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


def get_entry(entry_id: int) -> CatalogueEntry:
    """One entry, or NotFound."""
    entry = db.session.get(CatalogueEntry, entry_id)
    if entry is None:
        raise NotFound(_l("目录中没有该职业（工种）"), code="catalogue_unknown")
    return entry


def entry_by_code(code: str) -> CatalogueEntry:
    """The entry with this catalogue code (codes are unique where present)."""
    code = code.strip()
    entry = (
        db.session.execute(select(CatalogueEntry).where(CatalogueEntry.code == code))
        .scalars()
        .first()
        if code
        else None
    )
    if entry is None:
        raise NotFound(
            _l("目录中没有编码为 %(c)s 的职业（工种）", c=code), code="catalogue_unknown"
        )
    return entry


def _upsert_standard(actor: Actor, entry: CatalogueEntry, level: str, amount_fen: int) -> bool:
    row = db.session.execute(
        select(SubsidyStandard).where(
            SubsidyStandard.entry_id == entry.id, SubsidyStandard.level == level
        )
    ).scalar_one_or_none()
    before = None if row is None else row.amount_fen
    if before == amount_fen:
        return False
    if row is None:
        db.session.add(
            SubsidyStandard(
                entry_id=entry.id, level=level, amount_fen=amount_fen, updated_by=actor.user_id
            )
        )
    else:
        row.amount_fen = amount_fen
        row.updated_by = actor.user_id
    record(
        actor,
        "standard.set",
        "catalogue_entry",
        entry.id,
        {"level": level, "before_fen": before, "after_fen": amount_fen},
    )
    return True


def set_standard(actor: Actor, entry_id: int, level: str, amount: str | int) -> SubsidyStandard:
    """Set one entry's standard for one level (city officers)."""
    actor.require(Role.CITY)
    amount_fen = parse_yuan(amount) if isinstance(amount, str) else amount
    check_standard(amount_fen)
    with unit_of_work() as session:
        entry = get_entry(entry_id)
        level = normalise_level(level, entry.certificate_type)
        _upsert_standard(actor, entry, level, amount_fen)
        session.flush()
        return session.execute(
            select(SubsidyStandard).where(
                SubsidyStandard.entry_id == entry.id, SubsidyStandard.level == level
            )
        ).scalar_one()


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    rows: int
    changed: int


def import_standards(
    actor: Actor, stream: IO[bytes], *, filename: str = "", max_bytes: int | None = None
) -> ImportResult:
    """Import standards from xlsx (编码, 名称, …, 等级, 补贴标准（元）); all rows or none."""
    actor.require(Role.CITY)
    rows = read_xlsx_rows(stream, filename=filename, max_bytes=max_bytes)
    header = [cell_text(v) for v in next(rows, ())]
    try:
        col = {name: header.index(name) for name in ("编码", "名称", "等级", "补贴标准（元）")}
    except ValueError:
        raise ValidationFailed(
            _l("表头应包含：编码、名称、等级、补贴标准（元）"), code="import_header"
        ) from None
    by_name = {e.name: e for e in db.session.execute(select(CatalogueEntry)).scalars()}
    problems: dict[str, str] = {}
    parsed: list[tuple[CatalogueEntry, str, int]] = []
    for number, values in enumerate(rows, start=2):
        cells = [cell_text(v) for v in values]
        cells += [""] * (len(header) - len(cells))  # a row may stop before the last columns
        if not cells[col["补贴标准（元）"]]:
            continue  # no amount, nothing to set: the export lists every level, most blank
        code, name = cells[col["编码"]], cells[col["名称"]]
        try:
            entry = by_name.get(name)
            if entry is None or (code and code != entry.code):
                raise NotFound(
                    _l("目录中没有“%(c)s %(n)s”", c=code, n=name), code="catalogue_unknown"
                )
            level = normalise_level(cells[col["等级"]], entry.certificate_type)
            amount = parse_yuan(cells[col["补贴标准（元）"]])
            check_standard(amount)
            parsed.append((entry, level, amount))
        except DomainError as exc:
            problems[f"第{number}行"] = str(exc)
    if problems:
        raise ValidationFailed(
            _l("导入未执行：%(n)s 行有误，请修改后重新上传", n=len(problems)),
            code="import_rejected",
            errors=problems,
        )
    with unit_of_work():
        changed = sum(_upsert_standard(actor, *row) for row in parsed)
    return ImportResult(rows=len(parsed), changed=changed)


def export_catalogue() -> bytes:
    """The catalogue with its standards as xlsx, one row per entry and level (import format)."""
    entries = db.session.execute(
        select(CatalogueEntry)
        .options(selectinload(CatalogueEntry.standards))
        .order_by(CatalogueEntry.seq)
    ).scalars()

    def rows() -> Any:
        for entry in entries:
            amounts = {s.level: s.amount_fen for s in entry.standards}
            levels = (
                ("5", "4", "3", "2", "1")
                if entry.certificate_type == "技能等级证书"
                else ("special",)
            )
            for level in levels:
                amount = amounts.get(level)
                yield (
                    entry.code,
                    entry.name,
                    entry.category,
                    entry.certificate_type,
                    str(LEVEL_LABELS[level]),
                    "" if amount is None else format_yuan(amount),
                )

    return write_xlsx(STANDARD_HEADERS, rows(), title="补贴标准目录")
