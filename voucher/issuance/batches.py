"""Bulk issuance from an xlsx or csv list: every row checked, all-or-nothing, never twice.

Two phases, so that progress is visible from other requests while a long batch runs:

1. *Checking* (no write lock held): rows are streamed from the file, validated, matched against
   the register in chunks and checked by the eligibility rules. Progress rows are committed in
   short separate transactions. While no error has been found, only a compact tuple per row is
   kept (hash, ID number, shared facts): nothing is signed or encrypted yet.
2. *Writing* (one transaction): the quota is reserved with one conditional UPDATE, then people,
   memberships, vouchers and audit events are written with executemany INSERTs, chunk by chunk;
   each chunk's tokens are signed and ID numbers encrypted just before its INSERTs. Any error rolls
   the whole batch back; the batch row records why and which rows broke which rule.

The same file (SHA-256) uploaded twice for one quota never issues twice: the batch row is unique
per (quota, file hash), and a finished batch refuses the re-run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.roles import Role
from voucher.audit.models import AuditEvent
from voucher.core.clock import business_today, to_business_time
from voucher.core.idcard import IdNumberError, parse_id_number
from voucher.core.pii import mask_id_number
from voucher.core.spreadsheet import cell_text, read_xlsx_rows, write_xlsx
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, DomainError, ValidationFailed
from voucher.issuance import rules
from voucher.issuance.keys import active_signer
from voucher.issuance.models import (
    BatchError,
    BatchStatus,
    IssuanceBatch,
    Person,
    PersonGroup,
    Quota,
    Voucher,
    VoucherStatus,
)
from voucher.issuance.services import (
    ID_AAD,
    check_quota_open,
    quota_facts,
    reserve,
    sign_voucher,
    validity,
)
from voucher.keyring import pii_cipher

MAX_UPLOAD_BYTES = 64 * 2**20
CHUNK = 1000
WRITE_CHUNK = 5000
PROGRESS_EVERY = 2000
MAX_ERRORS_KEPT = 50_000

#: Header texts accepted for each column (the first row of the list).
HEADERS = {
    "身份证号码": "id_number",
    "身份证号": "id_number",
    "公民身份号码": "id_number",
    "姓名": "name",
    "手机号码": "phone",
    "手机号": "phone",
    "联系电话": "phone",
    "居住依据": "residence",
    "居住依据来源": "residence_source",
    "居住依据编号": "residence_reference",
    "居住依据日期": "residence_date",
    "重点群体": "group",
    "群体证明来源": "group_source",
    "群体证明编号": "group_reference",
    "群体证明日期": "group_date",
    "毕业年份": "graduation_year",
    "释放日期": "release_date",
}
TEMPLATE_HEADERS = [
    "身份证号码",
    "姓名",
    "手机号码",
    "居住依据",
    "居住依据来源",
    "居住依据编号",
    "居住依据日期",
    "重点群体",
    "群体证明来源",
    "群体证明编号",
    "群体证明日期",
    "毕业年份",
    "释放日期",
]
_RESIDENCE_WORDS = {
    "户籍": "hukou",
    "广州市户籍": "hukou",
    "社保": "social_insurance",
    "在穗社保": "social_insurance",
    "失业登记": "unemployment",
    "在穗失业登记": "unemployment",
    **{k: k for k in rules.RESIDENCE_BASES},
}
_GROUP_WORDS = {
    **{str(v): k for k, v in rules.GROUP_SHORT.items()},
    "脱贫人口及其子女": "poverty",
    "高校毕业生": "graduate",
    "毕业生": "graduate",
    "失业人员": "unemployed",
    "刑满释放人员": "released",
    "强制隔离戒毒人员": "rehab",
    **{k: k for k in rules.TARGET_GROUPS},
}

Progress = Callable[[IssuanceBatch], None]


# ---- reading ----------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        yield from (tuple(r) for r in csv.reader(io.StringIO(text, newline="")))
        return
    raise ValidationFailed(_l("CSV 文件编码无法识别（请用 UTF-8 或 GB18030）"), code="csv_encoding")


def list_rows(data: bytes, filename: str) -> Iterator[tuple[Any, ...]]:
    """The rows of an uploaded list (csv or xlsx), header first."""
    if filename.lower().endswith(".csv"):
        return _csv_rows(data)
    return read_xlsx_rows(io.BytesIO(data), filename=filename, max_bytes=MAX_UPLOAD_BYTES)


def count_rows(data: bytes, filename: str) -> int:
    """About how many data rows a list holds (for the progress bar; 0 when unknown).

    For xlsx the sheet's declared dimension is used; a file written without one (streaming
    writers such as openpyxl's write-only mode) has its ``<row`` tags counted straight from the
    compressed XML, block by block, without parsing cells or holding the sheet in memory.
    """
    if filename.lower().endswith(".csv"):
        return max(0, data.count(b"\n") - 1 + (0 if data.endswith(b"\n") else 1))
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True)
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.max_row
            path = getattr(sheet, "_worksheet_path", "xl/worksheets/sheet1.xml")
        finally:
            workbook.close()
        if rows is None:
            rows = _count_row_tags(data, path)
        return max(0, rows - 1)
    except Exception:  # only an estimate: the real read reports real errors
        return 0


def _count_row_tags(data: bytes, member: str) -> int:
    count = 0
    tail = b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(member) as sheet:
        while block := sheet.read(1 << 20):
            buffer = tail + block
            count += buffer.count(b"<row ") + buffer.count(b"<row>")
            tail = buffer[-4:]  # shorter than a tag: nothing counted twice
    return count


def _date(text: str) -> date | None:
    if not text:
        return None
    cleaned = text.strip().replace("/", "-").replace(".", "-").split(" ")[0]
    if len(cleaned) == 8 and cleaned.isdigit():
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    return date.fromisoformat(cleaned)


def _cell_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _date(cell_text(value))


# ---- the batch row ----------------------------------------------------------------------------


def file_hash(data: bytes) -> str:
    """SHA-256 of the uploaded bytes (hex)."""
    return hashlib.sha256(data).hexdigest()


def start_batch(actor: Actor, *, quota_id: int, filename: str, data: bytes) -> IssuanceBatch:
    """Record an upload for a quota; refuse a file already issued (same SHA-256)."""
    actor.require(Role.CITY)
    name = (filename or "").rsplit("/", 1)[-1][:200]
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ValidationFailed(_l("请上传 .xlsx 或 .csv 文件"), code="upload_type")
    if not data:
        raise ValidationFailed(_l("上传的文件是空的"), code="upload_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_l("文件过大，上限为 64 MB"), code="upload_too_large")
    digest = file_hash(data)
    with unit_of_work() as session:
        quota = get_visible(Quota, quota_id, actor)
        batch = session.execute(
            select(IssuanceBatch).where(
                IssuanceBatch.quota_id == quota.id, IssuanceBatch.file_hash == digest
            )
        ).scalar_one_or_none()
        if batch is not None and batch.status == BatchStatus.DONE:
            raise Conflict(
                _l("同一文件已为该指标发放过（批次 #%(n)d），不会重复发券", n=batch.id),
                code="batch_duplicate",
            )
        if batch is not None and batch.status in BatchStatus.RUNNING:
            raise Conflict(_l("同一文件正在处理（批次 #%(n)d）", n=batch.id), code="batch_running")
        if batch is None:
            batch = IssuanceBatch(quota_id=quota.id, file_hash=digest, created_by=actor.user_id)
            session.add(batch)
        else:  # a refused or failed run issued nothing: the same file may be run again
            session.execute(delete(BatchError).where(BatchError.batch_id == batch.id))
        batch.filename = name
        batch.status = BatchStatus.PENDING
        batch.total = count_rows(data, name)
        batch.checked = batch.issued = batch.registered = batch.error_count = 0
        batch.message = ""
        batch.finished_at = None
        session.flush()
        from voucher.audit.services import record

        record(actor, "batch.uploaded", "issuance_batch", batch.id, {"quota_id": quota.id})
    return batch


def _set(batch_id: int, **values: Any) -> None:
    """Commit progress in a short transaction of its own (visible to other requests)."""
    with Session(db.engine) as session, session.begin():
        session.execute(update(IssuanceBatch).where(IssuanceBatch.id == batch_id).values(**values))


# ---- checking ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One parsed row (compact; discarded after its chunk once the batch has an error)."""

    row: int
    id_hash: bytes
    number: str
    name: str
    phone: str
    birth: date
    sex: str
    facts: rules.PersonFacts | None
    groups: tuple[tuple[str, str, str, date | None, int | None, date | None], ...]
    residence: tuple[str | None, str, str, date | None]


class _Checker:
    """Phase 1 state: errors, duplicates, rows ready to write."""

    def __init__(self, batch: IssuanceBatch, quota: Quota, on_date: date) -> None:
        self.batch = batch
        self.quota = quota
        self.quota_rules = quota_facts(quota)
        self.on_date = on_date
        self.remaining = quota.planned - quota.issued
        self.errors: list[tuple[int, str, str]] = []
        self.error_total = 0
        self.seen: dict[bytes, int] = {}
        self.valid = 0
        self.cipher = pii_cipher()
        self.kid, self.private_key = active_signer()
        self.not_before, self.expires = validity(
            quota.valid_from, quota.valid_until, on_date, quota.voucher_days
        )
        # Kept for writing (only while no error has been found), compact: tokens are signed and
        # ID numbers encrypted chunk by chunk in the write phase, and repeated facts (names,
        # birth dates, residence and group evidence) are shared, not copied per row.
        self.existing: list[tuple[int, int, bytes]] = []  # row, person_id, id_hash
        self.new_people: list[tuple[Any, ...]] = []  # row, id_hash, number, name, phone, ...
        self.shared: dict[Any, Any] = {}
        self.columns: dict[str, int] = {}

    def error(self, row: int, code: str, message: str) -> None:
        self.error_total += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append((row, code, str(message)))
        # Nothing will be written: free what was kept.
        self.existing.clear()
        self.new_people.clear()
        self.shared.clear()

    def share(self, value: Any) -> Any:
        """One object for equal values (thousands of rows carry the same facts)."""
        return self.shared.setdefault(value, value)

    def sign(self, holder_hash: bytes) -> tuple[str, str, str]:
        """(uid, human code, token) of a fresh voucher for this batch's quota."""
        signed = sign_voucher(
            kid=self.kid,
            private_key=self.private_key,
            holder_hash=holder_hash,
            entry_id=self.quota.entry_id,
            unit_id=self.quota.unit_id,
            amount_fen=self.quota.amount_fen,
            not_before=self.not_before,
            expires_at=self.expires,
        )
        return signed.uid, signed.human_code, signed.token

    def header(self, cells: tuple[Any, ...]) -> None:
        for index, value in enumerate(cells):
            key = HEADERS.get(cell_text(value).replace(" ", ""))
            if key and key not in self.columns:
                self.columns[key] = index
        missing = [
            h
            for h, k in (("身份证号码", "id_number"), ("姓名", "name"), ("手机号码", "phone"))
            if k not in self.columns
        ]
        if missing:
            raise ValidationFailed(
                _l("第 1 行应为表头，缺少列：%(cols)s", cols="、".join(missing)),
                code="batch_header",
            )

    def cell(self, cells: tuple[Any, ...], key: str) -> Any:
        index = self.columns.get(key)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def parse(self, row: int, cells: tuple[Any, ...]) -> _Row | None:
        text = lambda key: cell_text(self.cell(cells, key))  # noqa: E731
        try:
            parsed = parse_id_number(text("id_number"), today=self.on_date)
        except IdNumberError as exc:
            self.error(row, exc.code, str(exc.message))
            return None
        name = rules.check_name(text("name"))
        phone = rules.check_phone(text("phone"))
        ok = True
        if name is None:
            self.error(row, "name_invalid", str(_l("姓名为空或含数字")))
            ok = False
        if phone is None:
            self.error(row, "phone_invalid", str(_l("手机号码应为以 1 开头的 11 位数字")))
            ok = False
        digest = self.cipher.lookup_hash(parsed.number)
        first = self.seen.get(digest)
        if first is not None:
            self.error(row, "duplicate_row", str(_l("与第 %(n)d 行的身份证号码重复", n=first)))
            return None
        self.seen[digest] = row
        try:
            residence_word = text("residence")
            basis = _RESIDENCE_WORDS.get(residence_word) if residence_word else None
            if residence_word and basis is None:
                raise ValueError(residence_word)
            residence = (
                basis,
                text("residence_source") or ("名单导入" if basis else ""),
                text("residence_reference"),
                _cell_date(self.cell(cells, "residence_date")),
            )
            groups = []
            for word in filter(None, _split(text("group"))):
                code = _GROUP_WORDS.get(word)
                if code is None:
                    raise ValueError(word)
                year = text("graduation_year")
                groups.append(
                    (
                        code,
                        text("group_source") or "名单导入",
                        text("group_reference"),
                        _cell_date(self.cell(cells, "group_date")),
                        int(year) if year else None,
                        _cell_date(self.cell(cells, "release_date")),
                    )
                )
        except ValueError as exc:
            self.error(row, "facts_invalid", str(_l("无法识别的取值或日期：%(v)s", v=str(exc))))
            return None
        if not ok:
            return None
        assert name is not None and phone is not None
        return _Row(
            row,
            digest,
            parsed.number,
            name,
            phone,
            parsed.birth_date,
            parsed.sex,
            None,
            tuple(groups),
            residence,
        )

    def resolve(self, session: Session, chunk: list[_Row]) -> None:
        """Match a chunk against the register, apply the rules, sign while error-free."""
        people = {
            r.id_hash: r
            for r in session.execute(
                select(
                    Person.id,
                    Person.id_hash,
                    Person.name,
                    Person.phone,
                    Person.birth_date,
                    Person.sex,
                    Person.residence_basis,
                    Person.residence_date,
                    Person.establishment_staff,
                    Person.full_time_student,
                    Person.pensioner,
                ).where(Person.id_hash.in_([r.id_hash for r in chunk]))
            )
        }
        ids = [p.id for p in people.values()]
        groups: dict[int, list[rules.GroupFact]] = {}
        held: dict[int, list[rules.HeldVoucher]] = {}
        if ids:
            for pid, group, evidence, year, release in session.execute(
                select(
                    PersonGroup.person_id,
                    PersonGroup.group,
                    PersonGroup.evidence_date,
                    PersonGroup.graduation_year,
                    PersonGroup.release_date,
                ).where(PersonGroup.person_id.in_(ids))
            ):
                groups.setdefault(pid, []).append(rules.GroupFact(group, evidence, year, release))
            for pid, entry_id, level, status, issued_at in session.execute(
                select(
                    Voucher.person_id,
                    Voucher.entry_id,
                    Voucher.level,
                    Voucher.status,
                    Voucher.issued_at,
                ).where(Voucher.person_id.in_(ids))
            ):
                held.setdefault(pid, []).append(
                    rules.HeldVoucher(entry_id, level, status, to_business_time(issued_at).date())
                )
        for r in chunk:
            known = people.get(r.id_hash)
            if known is not None:
                mismatch = False
                if known.name != r.name:
                    self.error(r.row, "name_mismatch", str(_l("姓名与登记信息不符")))
                    mismatch = True
                if known.phone != r.phone:
                    self.error(r.row, "phone_mismatch", str(_l("手机号码与登记信息不符")))
                    mismatch = True
                if mismatch:
                    continue
                facts = rules.PersonFacts(
                    birth_date=known.birth_date,
                    sex=known.sex,
                    residence_basis=known.residence_basis,
                    residence_date=known.residence_date,
                    groups=tuple(groups.get(known.id, ())),
                    establishment_staff=known.establishment_staff,
                    full_time_student=known.full_time_student,
                    pensioner=known.pensioner,
                    held=tuple(held.get(known.id, ())),
                )
            else:
                facts = rules.PersonFacts(
                    birth_date=r.birth,
                    sex=r.sex,
                    residence_basis=r.residence[0],
                    residence_date=r.residence[3],
                    groups=tuple(rules.GroupFact(g[0], g[3], g[4], g[5]) for g in r.groups),
                )
            decision = rules.check_eligibility(facts, self.on_date, self.quota_rules)
            for failure in decision.failures:
                self.error(r.row, failure.code, failure.message)
            if not decision.eligible:
                continue
            self.valid += 1
            if self.valid == self.remaining + 1:
                self.error(
                    r.row,
                    "quota_exhausted",
                    str(
                        _l(
                            "指标名额已用完：剩余 %(n)d 个，本行起超出，整批不予发放",
                            n=max(self.remaining, 0),
                        )
                    ),
                )
            if self.error_total:
                continue
            if known is not None:
                self.existing.append((r.row, known.id, r.id_hash))
            else:
                share = self.share
                self.new_people.append(
                    (
                        r.row,
                        r.id_hash,
                        r.number,
                        share(r.name),
                        r.phone,
                        share(r.birth),
                        share(r.sex),
                        share(r.residence),
                        share(r.groups),
                    )
                )


def _split(text: str) -> list[str]:
    for sep in ("，", ",", "；", ";", "/", "|"):
        text = text.replace(sep, "、")
    return [part.strip() for part in text.split("、")]


# ---- running ----------------------------------------------------------------------------------


def run_batch(
    actor: Actor,
    batch_id: int,
    data: bytes,
    *,
    on_date: date | None = None,
    progress: Progress | None = None,
    seal: bool = True,
) -> IssuanceBatch:
    """Check every row, then issue the whole batch in one transaction, or nothing.

    With ``seal`` (the default) the audit events are sealed into the chain right after the
    commit (a full pass: see ``_finish``); without, the caller seals.
    """
    actor.require(Role.CITY)
    day = on_date or business_today()
    session = db.session
    batch = session.get(IssuanceBatch, batch_id)
    if batch is None:
        raise ValidationFailed(_l("没有这个批次"), code="batch_unknown")
    quota = session.get(Quota, batch.quota_id)
    assert quota is not None
    session.rollback()
    started = utcnow()
    _set(batch_id, status=BatchStatus.CHECKING)
    try:
        check_quota_open(quota, day)
        checker = _Checker(batch, quota, day)
        rows = list_rows(data, batch.filename)
        header = next(rows, None)
        if header is None:
            raise ValidationFailed(_l("文件没有内容"), code="upload_empty")
        checker.header(header)
        chunk: list[_Row] = []
        row_no = 1
        for cells in rows:
            row_no += 1
            if not any(cell_text(c) for c in cells):
                continue
            parsed = checker.parse(row_no, cells)
            if parsed is not None:
                chunk.append(parsed)
            if len(chunk) >= CHUNK:
                checker.resolve(session, chunk)
                session.rollback()
                chunk = []
            if row_no % PROGRESS_EVERY == 0:
                _set(batch_id, checked=row_no - 1, error_count=checker.error_total)
                if progress:
                    progress(_snapshot(batch_id))
        if chunk:
            checker.resolve(session, chunk)
            session.rollback()
        total = row_no - 1
        if checker.valid == 0 and not checker.error_total:
            raise ValidationFailed(_l("文件中没有数据行"), code="upload_empty")
    except DomainError as exc:
        _set(
            batch_id,
            status=BatchStatus.REFUSED,
            message=str(exc.message),
            finished_at=utcnow(),
            error_count=1,
        )
        _write_errors(batch_id, [(1, exc.code, str(exc.message))])
        return _finish(batch_id, progress, seal)
    _set(batch_id, checked=total, total=total, error_count=checker.error_total)
    if checker.error_total:
        return _refuse(batch_id, checker, progress, seal)
    _set(batch_id, status=BatchStatus.WRITING)
    if progress:
        progress(_snapshot(batch_id))
    try:
        _write(actor, batch_id, quota, checker, started)
    except _Refused as refused:
        checker.error(refused.row, refused.code, refused.message)
        return _refuse(batch_id, checker, progress, seal)
    except IntegrityError:
        session.rollback()
        message = str(_l("处理期间登记名册或指标发生变化，本批未发放，请重新上传"))
        _set(batch_id, status=BatchStatus.FAILED, message=message, finished_at=utcnow())
    return _finish(batch_id, progress, seal)


class _Refused(Exception):
    def __init__(self, row: int, code: str, message: str) -> None:
        super().__init__(message)
        self.row, self.code, self.message = row, code, message


def _write(actor: Actor, batch_id: int, quota: Quota, checker: _Checker, started: datetime) -> None:
    n = len(checker.existing) + len(checker.new_people)
    with unit_of_work(run_hooks=False) as session:
        # Vouchers issued to these people since the check began (other officers, self-service).
        meanwhile = set(
            session.execute(
                select(Voucher.person_id).where(
                    Voucher.issued_at >= started, Voucher.status == VoucherStatus.ISSUED
                )
            ).scalars()
        )
        for row, person_id, *_rest in checker.existing:
            if person_id in meanwhile:
                raise _Refused(row, "voucher_already_held", str(_l("处理期间此人已获发培训券")))
        if not reserve(session, quota.id, n):
            raise _Refused(
                checker.existing[0][0] if checker.existing else checker.new_people[0][0],
                "quota_exhausted",
                str(_l("处理期间指标名额已被用完，整批不予发放")),
            )
        now = utcnow()
        common = {
            "kid": checker.kid,
            "entry_id": quota.entry_id,
            "unit_id": quota.unit_id,
            "amount_fen": quota.amount_fen,
            "not_before": checker.not_before,
            "expires_at": checker.expires,
            "status": VoucherStatus.ISSUED,
            "issued_at": now,
            "issued_by": actor.user_id,
            "quota_id": quota.id,
            "batch_id": batch_id,
            "level": quota.level,
        }
        data = {
            "entry_id": quota.entry_id,
            "unit_id": quota.unit_id,
            "amount_fen": quota.amount_fen,
            "quota_id": quota.id,
            "batch_id": batch_id,
            "channel": "batch",
        }

        voucher_insert = _RowInsert(
            session,
            Voucher.__table__,
            common,
            ("id", "person_id", "uid", "human_code", "token"),
        )
        audit_insert = _audit_insert(
            session, actor, now, "voucher.issued", "voucher", ("object_id",), data=data
        )

        def vouchers(rows: list[tuple[int, bytes]]) -> None:
            """Sign and insert one chunk of vouchers: (person_id, id_hash) each."""
            ids = allocate_ids(session, "voucher", len(rows))
            sign = checker.sign
            voucher_insert(
                [(vid, pid, *sign(holder)) for vid, (pid, holder) in zip(ids, rows, strict=True)]
            )
            audit_insert([(str(v),) for v in ids])

        person_insert = _RowInsert(
            session,
            Person.__table__,
            {
                "created_at": now,
                "establishment_staff": False,
                "full_time_student": False,
                "pensioner": False,
            },
            (
                "id",
                "id_hash",
                "id_cipher",
                "id_masked",
                "name",
                "phone",
                "birth_date",
                "sex",
                "residence_basis",
                "residence_source",
                "residence_reference",
                "residence_date",
            ),
        )
        group_insert = _RowInsert(
            session,
            PersonGroup.__table__,
            {},
            (
                "person_id",
                "group",
                "source",
                "reference",
                "evidence_date",
                "graduation_year",
                "release_date",
            ),
        )
        registered_insert = _audit_insert(
            session, actor, now, "person.registered", "person", ("object_id", "data")
        )

        # Written in chunks, each chunk's parameters built and dropped in turn: memory stays
        # flat however long the list is.
        cipher = checker.cipher
        for start in range(0, len(checker.new_people), WRITE_CHUNK):
            chunk = checker.new_people[start : start + WRITE_CHUNK]
            person_ids = allocate_ids(session, "person", len(chunk))
            masked = [mask_id_number(p[2]) for p in chunk]
            person_insert(
                [
                    (
                        pid,
                        p[1],
                        cipher.encrypt(p[2], aad=ID_AAD),
                        m,
                        p[3],
                        p[4],
                        p[5],
                        p[6],
                        p[7][0],
                        p[7][1],
                        p[7][2],
                        p[7][3],
                    )
                    for pid, p, m in zip(person_ids, chunk, masked, strict=True)
                ]
            )
            group_insert(
                [
                    (
                        pid,
                        g[0],
                        g[1],
                        g[2],
                        g[3],
                        g[4] if g[0] == "graduate" else None,
                        g[5] if g[0] == "released" else None,
                    )
                    for pid, p in zip(person_ids, chunk, strict=True)
                    for g in p[8]
                ]
            )
            registered_insert(
                [
                    (str(pid), {"id": m, "batch_id": batch_id})
                    for pid, m in zip(person_ids, masked, strict=True)
                ]
            )
            del masked
            vouchers([(pid, p[1]) for pid, p in zip(person_ids, chunk, strict=True)])
        for start in range(0, len(checker.existing), WRITE_CHUNK):
            vouchers([(e[1], e[2]) for e in checker.existing[start : start + WRITE_CHUNK]])
        session.execute(
            update(IssuanceBatch)
            .where(IssuanceBatch.id == batch_id)
            .values(
                status=BatchStatus.DONE,
                issued=n,
                registered=len(checker.new_people),
                finished_at=utcnow(),
                message=str(_l("已发放 %(n)d 张培训券", n=n)),
            )
        )
        from voucher.audit.services import record

        record(actor, "batch.issued", "issuance_batch", batch_id, {"issued": n})


class _RowInsert:
    """An executemany INSERT of plain row tuples, for the bulk write's hot loops.

    Equivalent to ``session.execute(insert(table), [dict, ...])`` with the same bind processing
    (the columns' types, e.g. UTC timestamps and JSON), but the values every row shares are
    processed once, and each row is a tuple of its varying values, not a dict of every column.
    """

    def __init__(
        self,
        session: Session,
        table: Any,
        constants: dict[str, Any],
        columns: tuple[str, ...],
    ) -> None:
        connection = session.connection()
        dialect = connection.dialect
        self.connection = connection

        def processor(name: str) -> Callable[[Any], Any] | None:
            return table.c[name].type._cached_bind_processor(dialect)

        self.constants = tuple(
            (p(v) if (p := processor(k)) is not None else v) for k, v in constants.items()
        )
        self.processors = [(i, p) for i, k in enumerate(columns) if (p := processor(k)) is not None]
        names = [*columns, *constants]
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        quote = dialect.identifier_preparer.quote
        self.sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
            f"VALUES ({', '.join([mark] * len(names))})"
        )

    def __call__(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        constants = self.constants
        if self.processors:
            processed = []
            for row in rows:
                values = list(row)
                for i, p in self.processors:
                    values[i] = p(values[i])
                processed.append((*values, *constants))
        else:
            processed = [(*row, *constants) for row in rows]
        self.connection.exec_driver_sql(self.sql, processed)


def _audit_insert(
    session: Session,
    actor: Actor,
    at: datetime,
    action: str,
    object_type: str,
    columns: tuple[str, ...],
    **constants: Any,
) -> _RowInsert:
    """A bulk insert of one action's audit events by ``actor`` (rows carry ``columns``)."""
    return _RowInsert(
        session,
        AuditEvent.__table__,
        {
            "at": at,
            "actor_id": actor.user_id,
            "actor": actor.label,
            "action": action,
            "object_type": object_type,
            **constants,
        },
        columns,
    )


def allocate_ids(session: Session, table: str, n: int) -> list[int]:
    """Reserve n primary keys for a bulk INSERT without RETURNING (fast executemany).

    PostgreSQL draws them from the table's sequence; SQLite, whose write transaction holds the
    database lock (BEGIN IMMEDIATE), continues after the highest id.
    """
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.execute(
                text(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608
                    "FROM generate_series(1, :n)"
                ),
                {"n": n},
            ).scalars()
        )
    start = session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()  # noqa: S608
    return list(range(start + 1, start + 1 + n))


def _write_errors(batch_id: int, errors: list[tuple[int, str, str]]) -> None:
    with Session(db.engine) as session, session.begin():
        session.execute(delete(BatchError).where(BatchError.batch_id == batch_id))
        if errors:
            session.execute(
                insert(BatchError),
                [
                    {"batch_id": batch_id, "row": r, "code": c, "message": m[:300]}
                    for r, c, m in errors
                ],
            )


def _refuse(
    batch_id: int, checker: _Checker, progress: Progress | None, seal: bool
) -> IssuanceBatch:
    rows = len({r for r, _c, _m in checker.errors})
    _write_errors(batch_id, checker.errors)
    _set(
        batch_id,
        status=BatchStatus.REFUSED,
        error_count=checker.error_total,
        finished_at=utcnow(),
        message=str(
            _l(
                "有 %(rows)d 行不符合条件（共 %(n)d 处），整批未发放；请下载错误报告修改后重新上传",
                rows=rows,
                n=checker.error_total,
            )
        ),
    )
    return _finish(batch_id, progress, seal)


def _snapshot(batch_id: int) -> IssuanceBatch:
    with Session(db.engine, expire_on_commit=False) as session:
        batch = session.get(IssuanceBatch, batch_id)
        assert batch is not None
        session.expunge(batch)
        return batch


def _finish(batch_id: int, progress: Progress | None, seal: bool) -> IssuanceBatch:
    from voucher.audit.services import seal_pending

    if seal:
        # a full pass: the batch's first events drew their ids long before it committed, and
        # other events may have been sealed above them meanwhile
        seal_pending(full=True)
    batch = _snapshot(batch_id)
    if progress:
        progress(batch)
    return batch


# ---- background runs --------------------------------------------------------------------------

_THREADS: dict[int, threading.Thread] = {}


def launch(actor: Actor, batch_id: int, data: bytes) -> None:
    """Run a batch in a background thread with its own app context and session."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def main() -> None:
        with app.app_context():
            try:
                run_batch(actor, batch_id, data)
            except Exception:  # pragma: no cover - logged and shown as failed
                app.logger.exception("issuance batch %s failed", batch_id)
                db.session.rollback()
                _set(
                    batch_id,
                    status=BatchStatus.FAILED,
                    message=str(_l("处理失败，本批未发放；请重试或联系管理员")),
                    finished_at=utcnow(),
                )
            finally:
                db.session.remove()

    thread = threading.Thread(target=main, name=f"issuance-batch-{batch_id}", daemon=True)
    _THREADS[batch_id] = thread
    thread.start()


def wait(batch_id: int, timeout: float = 120) -> None:
    """Wait for a background batch to end (tests, CLI)."""
    thread = _THREADS.get(batch_id)
    if thread is not None:
        thread.join(timeout)


def get_batch(actor: Actor, batch_id: int) -> IssuanceBatch:
    """One batch (city officers)."""
    actor.require(Role.CITY)
    db.session.rollback()  # a fresh snapshot: progress is committed by the worker
    db.session.expire_all()
    return get_visible(IssuanceBatch, batch_id, actor)


def list_batches(actor: Actor, quota_id: int | None = None) -> list[IssuanceBatch]:
    """Batches, newest first."""
    actor.require(Role.CITY)
    stmt = select(IssuanceBatch).order_by(IssuanceBatch.id.desc()).limit(200)
    if quota_id:
        stmt = stmt.where(IssuanceBatch.quota_id == quota_id)
    return list(db.session.execute(stmt).scalars())


def batch_errors(actor: Actor, batch_id: int, limit: int | None = None) -> list[BatchError]:
    """A batch's refused rows, in row order."""
    get_batch(actor, batch_id)
    stmt = (
        select(BatchError)
        .where(BatchError.batch_id == batch_id)
        .order_by(BatchError.row, BatchError.id)
    )
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.execute(stmt).scalars())


def error_report(actor: Actor, batch_id: int) -> bytes:
    """The downloadable xlsx naming each refused row and the rule it broke."""
    errors = batch_errors(actor, batch_id)
    return write_xlsx(
        ["行号", "规则代码", "原因"],
        ((e.row, e.code, e.message) for e in errors),
        title="错误报告",
        preamble=[[f"批次 #{batch_id} 错误报告（整批未发放）"]],
    )


def template_xlsx() -> bytes:
    """An empty list with the expected header row and one example line."""
    return write_xlsx(
        TEMPLATE_HEADERS,
        [
            [
                "（18 位身份证号码）",
                "陈小明",
                "13800000001",
                "失业登记",
                "广州市失业登记系统",
                "SY2026-0001",
                "2026-01-05",
                "登记失业",
                "广州市失业登记系统",
                "SY2026-0001",
                "2026-01-05",
                "",
                "",
            ]
        ],
        title="发券名单",
    )
