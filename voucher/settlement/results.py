"""Assessment results and certificates of redeemed trainees: by form and by xlsx import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from voucher.accounts.access import Actor, get_visible, visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.catalog.models import CatalogueEntry
from voucher.core.clock import business_today, to_business_time
from voucher.core.idcard import parse_id_number
from voucher.core.spreadsheet import cell_text, read_xlsx_rows
from voucher.db import db, unit_of_work
from voucher.errors import Conflict, DomainError, ValidationFailed
from voucher.issuance.models import Person, Voucher
from voucher.keyring import pii_cipher
from voucher.redemption.models import Redemption
from voucher.settlement import rules
from voucher.settlement.models import AssessmentResult, ClaimLine

IMPORT_HEADERS = (
    "身份证号码",
    "姓名",
    "证书职业（工种）",
    "考核结果",
    "证书类型",
    "等级",
    "证书编号",
    "发证日期",
    "评价机构",
)
MAX_IMPORT_BYTES = 5 * 2**20
PASSED_WORDS = {"合格", "通过", "是", "passed", "1"}
FAILED_WORDS = {"不合格", "未通过", "否", "failed", "0"}


@dataclass(frozen=True)
class ResultInput:
    """What the unit records for one redeemed trainee."""

    passed: bool
    occupation: str = ""
    certificate_type: str = ""
    level: str = ""
    certificate_no: str = ""
    issued_on: date | None = None
    assessment_body: str = ""


def _checked(redemption: Redemption, entry: CatalogueEntry, data: ResultInput) -> dict[str, Any]:
    """Validate an input against the voucher's occupation → the result's column values."""
    if getattr(redemption, "status", "active") != "active":
        raise Conflict(_l("该培训券的核销已撤销，不能登记考核结果"), code="redemption_voided")
    if not data.passed:
        return {
            "passed": False,
            "certificate_type": "",
            "level": "",
            "certificate_no": None,
            "issued_on": None,
            "cert_year": None,
            "assessment_body": data.assessment_body.strip()[: rules.MAX_BODY],
        }
    kind = rules.certificate_type_of(data.certificate_type)
    level = rules.level_of(kind, data.level)
    rules.check_occupation_matches(
        certificate_type=kind,
        stated_occupation=data.occupation,
        entry_code=entry.code,
        entry_name=entry.name,
        entry_certificate_type=entry.certificate_type,
    )
    number = data.certificate_no.strip()
    rules.check_certificate_fields(
        certificate_no=number,
        issued_on=data.issued_on,
        body=data.assessment_body.strip(),
        today=business_today(),
        redeemed_on=to_business_time(redemption.redeemed_at).date(),
    )
    assert data.issued_on is not None  # checked above
    return {
        "passed": True,
        "certificate_type": kind,
        "level": level,
        "certificate_no": number,
        "issued_on": data.issued_on,
        "cert_year": data.issued_on.year,
        "assessment_body": data.assessment_body.strip(),
    }


def _store(actor: Actor, redemption: Redemption, values: dict[str, Any]) -> AssessmentResult:
    session = db.session
    if session.execute(
        select(ClaimLine.id).where(ClaimLine.redemption_id == redemption.id)
    ).first():
        raise Conflict(_l("该学员已在补贴申领中，考核结果不能再修改"), code="result_claimed")
    number = values["certificate_no"]
    if number is not None:
        other = session.execute(
            select(AssessmentResult.redemption_id).where(AssessmentResult.certificate_no == number)
        ).scalar()
        if other is not None and other != redemption.id:
            raise Conflict(
                _l("证书编号 %(n)s 已被使用，每个证书编号只能登记一次", n=number),
                code="certificate_no_used",
                errors={"certificate_no": _l("证书编号已被使用")},
            )
    result = session.execute(
        select(AssessmentResult).where(AssessmentResult.redemption_id == redemption.id)
    ).scalar_one_or_none()
    action = "result.corrected" if result is not None else "result.recorded"
    if result is None:
        result = AssessmentResult(
            redemption_id=redemption.id,
            unit_id=redemption.unit_id,
            entry_id=redemption.voucher.entry_id,
        )
        session.add(result)
    for key, value in values.items():
        setattr(result, key, value)
    result.recorded_by = actor.user_id
    session.flush()
    record(
        actor,
        action,
        "redemption",
        redemption.id,
        {
            "passed": values["passed"],
            "certificate_type": values["certificate_type"],
            "level": values["level"],
            "certificate_no": number,
            "issued_on": values["issued_on"].isoformat() if values["issued_on"] else None,
        },
    )
    return result


def record_result(actor: Actor, redemption_id: int, data: ResultInput) -> AssessmentResult:
    """Record (or correct, until claimed) one redeemed trainee's result and certificate."""
    actor.require(Role.UNIT)
    with unit_of_work():
        redemption = get_visible(Redemption, redemption_id, actor)
        values = _checked(redemption, redemption.voucher.entry, data)
        return _store(actor, redemption, values)


def _date_cell(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(
            _l("发证日期“%(v)s”格式不正确（应为 2027-05-20）", v=text), code="date_invalid"
        ) from exc


def import_results(actor: Actor, stream: IO[bytes], filename: str = "") -> int:
    """Import the assessment body's results: all rows or none; every bad row named."""
    actor.require(Role.UNIT)
    rows = read_xlsx_rows(stream, filename=filename, max_bytes=MAX_IMPORT_BYTES)
    header = next(rows, None)
    names = [cell_text(c) for c in header or ()]
    missing = [h for h in IMPORT_HEADERS if h not in names and h != "姓名"]
    if header is None or missing:
        raise ValidationFailed(
            _l("表头缺少：%(h)s", h="、".join(missing or IMPORT_HEADERS)), code="headers_missing"
        )
    col = {h: names.index(h) for h in IMPORT_HEADERS if h in names}
    cipher = pii_cipher()
    errors: dict[str, str] = {}
    count = 0
    seen_numbers: dict[str, int] = {}
    with unit_of_work():
        for number, row in enumerate(rows, start=2):
            cells = list(row) + [None] * (len(names) - len(row))
            if all(cell_text(c) == "" for c in cells):
                continue
            try:
                id_number = parse_id_number(cell_text(cells[col["身份证号码"]])).number
                outcome = cell_text(cells[col["考核结果"]])
                if outcome not in PASSED_WORDS | FAILED_WORDS:
                    raise ValidationFailed(
                        _l("考核结果应为“合格”或“不合格”"), code="outcome_invalid"
                    )
                redemption = _redemption_of(
                    actor, cipher.lookup_hash(id_number), cell_text(cells[col["证书职业（工种）"]])
                )
                if redemption is None:
                    raise ValidationFailed(
                        _l("本机构没有该学员的培训券核销记录"), code="redemption_unknown"
                    )
                data = ResultInput(
                    passed=outcome in PASSED_WORDS,
                    occupation=cell_text(cells[col["证书职业（工种）"]]),
                    certificate_type=cell_text(cells[col["证书类型"]]),
                    level=cell_text(cells[col["等级"]]),
                    certificate_no=cell_text(cells[col["证书编号"]]),
                    issued_on=_date_cell(cells[col["发证日期"]]),
                    assessment_body=cell_text(cells[col["评价机构"]]),
                )
                values = _checked(redemption, redemption.voucher.entry, data)
                cert = values["certificate_no"]
                if cert is not None and cert in seen_numbers:
                    raise Conflict(
                        _l("证书编号与第 %(n)s 行重复", n=seen_numbers[cert]),
                        code="certificate_no_used",
                    )
                if cert is not None:
                    seen_numbers[cert] = number
                with db.session.begin_nested():
                    _store(actor, redemption, values)
                count += 1
            except DomainError as exc:
                errors[f"第 {number} 行"] = str(exc.message)
        if errors:
            raise ValidationFailed(
                _l("导入失败，共 %(n)s 行有误，没有导入任何数据", n=len(errors)),
                code="import_rows_invalid",
                errors=errors,
            )
        if count == 0:
            raise ValidationFailed(_l("文件中没有数据行"), code="import_empty")
    return count


def _redemption_of(actor: Actor, id_hash: bytes, occupation: str) -> Redemption | None:
    """The trainee's latest redemption at the unit, preferring one of the stated occupation
    (a trainee may hold vouchers of several occupations)."""
    base = (
        select(Redemption)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .join(Person, Person.id == Voucher.person_id)
        .join(CatalogueEntry, CatalogueEntry.id == Voucher.entry_id)
        .where(Person.id_hash == id_hash)
        .order_by(Redemption.id.desc())
        .limit(1)
    )
    same = base.where(or_(CatalogueEntry.name == occupation, CatalogueEntry.code == occupation))
    for stmt in (same, base):
        found = db.session.execute(visible(stmt, Redemption, actor)).scalar_one_or_none()
        if found is not None:
            return found
    return None


def get_redemption(actor: Actor, redemption_id: int) -> Redemption:
    """One redemption the actor may see."""
    return get_visible(Redemption, redemption_id, actor)


@dataclass(frozen=True)
class TraineeRow:
    """One redeemed trainee of a unit with their result (for the results page)."""

    redemption: Redemption
    person_name: str
    id_masked: str
    occupation: str
    result: AssessmentResult | None
    claimed: bool


def trainees(actor: Actor, *, limit: int = 500) -> list[TraineeRow]:
    """The unit's redeemed trainees, newest first, with their results."""
    actor.require(Role.UNIT, Role.DISTRICT, Role.CITY, Role.FINANCE)
    from voucher.core.pii import mask_name

    stmt = visible(
        select(Redemption, Person, CatalogueEntry, AssessmentResult, ClaimLine.id)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .join(Person, Person.id == Voucher.person_id)
        .join(CatalogueEntry, CatalogueEntry.id == Voucher.entry_id)
        .outerjoin(AssessmentResult, AssessmentResult.redemption_id == Redemption.id)
        .outerjoin(ClaimLine, ClaimLine.redemption_id == Redemption.id)
        .order_by(Redemption.id.desc())
        .limit(limit),
        Redemption,
        actor,
    )
    return [
        TraineeRow(r, mask_name(p.name), p.id_masked, e.name, res, line_id is not None)
        for r, p, e, res, line_id in db.session.execute(stmt).all()
    ]
