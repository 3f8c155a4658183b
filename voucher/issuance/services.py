"""Issuance use cases: people and their facts, quotas, issuing (officer, self-service), revoking,
expiring, and resolving a scanned token.

Every way of issuing (one person by an officer, a trainee on the phone, a batch) goes through
the same core: :func:`person_facts` + :func:`voucher.issuance.rules.check_eligibility`, the
conditional quota reservation :func:`reserve`, and the signer :func:`sign_voucher`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from voucher.accounts.access import Actor, get_visible, visible
from voucher.accounts.roles import Role
from voucher.audit.models import AuditEvent
from voucher.audit.services import record
from voucher.catalog.models import SubsidyStandard
from voucher.catalog.services import get_entry
from voucher.core.clock import business_today, start_of_business_day, to_business_time
from voucher.core.humancode import human_code
from voucher.core.idcard import parse_id_number
from voucher.core.pii import mask_id_number, mask_name
from voucher.core.token import VoucherClaims, encode_text, qr_payload, sign_token, verify_token
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from voucher.issuance import rules
from voucher.issuance.keys import active_signer, resolve_public_key
from voucher.issuance.models import (
    Person,
    PersonGroup,
    Quota,
    Voucher,
    VoucherStatus,
)
from voucher.keyring import pii_cipher
from voucher.policy import POLICY
from voucher.units.models import AcceptedOccupation, TrainingUnit

ID_AAD = b"person.id_number"

# ---- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupInput:
    """A target-group membership as entered (form, API, spreadsheet)."""

    group: str
    source: str = ""
    reference: str = ""
    evidence_date: date | None = None
    graduation_year: int | None = None
    release_date: date | None = None


@dataclass(frozen=True)
class PersonFactsInput:
    """Residence basis, memberships and exclusions as entered."""

    residence_basis: str | None = None
    residence_source: str = ""
    residence_reference: str = ""
    residence_date: date | None = None
    groups: tuple[GroupInput, ...] = ()
    establishment_staff: bool = False
    full_time_student: bool = False
    pensioner: bool = False


def check_facts(facts: PersonFactsInput, *, on_date: date | None = None) -> dict[str, str]:
    """Field errors of the facts (all of them), in Chinese; empty when they are well-formed."""
    today = on_date or business_today()
    errors: dict[str, str] = {}
    if facts.residence_basis and facts.residence_basis not in rules.RESIDENCE_BASES:
        errors["residence_basis"] = str(_l("居住依据应为户籍、社保或失业登记之一"))
    if facts.residence_basis and not facts.residence_source.strip():
        errors["residence_source"] = str(_l("请填写居住依据的证明来源（如：公安户籍系统）"))
    if facts.residence_date and facts.residence_date > today:
        errors["residence_date"] = str(_l("证明日期不能晚于今天"))
    seen: set[str] = set()
    for index, group in enumerate(facts.groups):
        key = f"groups.{index}"
        if group.group not in rules.TARGET_GROUPS:
            errors[key] = str(_l("未知的重点群体“%(g)s”", g=group.group))
            continue
        if group.group in seen:
            errors[key] = str(_l("重点群体“%(g)s”重复", g=rules.GROUP_SHORT[group.group]))
        seen.add(group.group)
        if not group.source.strip():
            errors[key] = str(_l("请填写“%(g)s”的证明来源", g=rules.GROUP_SHORT[group.group]))
        if group.group == "graduate" and not (
            group.graduation_year and 1950 <= group.graduation_year <= today.year + 6
        ):
            errors[key] = str(_l("毕业年度毕业生须填写有效的毕业年份"))
        if group.group == "released" and (group.release_date is None or group.release_date > today):
            errors[key] = str(_l("刑满释放人员须填写释放日期（不晚于今天）"))
        if group.evidence_date and group.evidence_date > today:
            errors[key] = str(_l("证明日期不能晚于今天"))
    return errors


def _clean_name_phone(name: str, phone: str) -> tuple[str, str]:
    errors: dict[str, str] = {}
    clean_name = rules.check_name(name)
    if clean_name is None:
        errors["name"] = str(_l("姓名不能为空、不含数字且不超过 64 个字符"))
    clean_phone = rules.check_phone(phone)
    if clean_phone is None:
        errors["phone"] = str(_l("手机号码应为以 1 开头的 11 位数字"))
    if errors:
        first = next(iter(errors.values()))
        code = "name_invalid" if "name" in errors else "phone_invalid"
        raise ValidationFailed(first, code=code, errors=errors)
    assert clean_name is not None and clean_phone is not None
    return clean_name, clean_phone


def find_person(id_number: str) -> Person | None:
    """The person with this ID number (by keyed hash), or None."""
    digest = pii_cipher().lookup_hash(id_number)
    return db.session.execute(select(Person).where(Person.id_hash == digest)).scalar_one_or_none()


def _apply_facts(person: Person, facts: PersonFactsInput) -> None:
    person.residence_basis = facts.residence_basis or None
    person.residence_source = facts.residence_source.strip()
    person.residence_reference = facts.residence_reference.strip()
    person.residence_date = facts.residence_date
    person.establishment_staff = facts.establishment_staff
    person.full_time_student = facts.full_time_student
    person.pensioner = facts.pensioner
    person.groups = [
        PersonGroup(
            group=g.group,
            source=g.source.strip(),
            reference=g.reference.strip(),
            evidence_date=g.evidence_date,
            graduation_year=g.graduation_year if g.group == "graduate" else None,
            release_date=g.release_date if g.group == "released" else None,
        )
        for g in facts.groups
    ]


def _facts_audit(facts: PersonFactsInput) -> dict[str, Any]:
    return {
        "residence": facts.residence_basis,
        "groups": [g.group for g in facts.groups],
        "excluded": [
            k
            for k, v in (
                ("establishment", facts.establishment_staff),
                ("student", facts.full_time_student),
                ("pensioner", facts.pensioner),
            )
            if v
        ],
    }


def register_person(
    actor: Actor,
    *,
    id_number: str,
    name: str,
    phone: str,
    facts: PersonFactsInput | None = None,
) -> Person:
    """Register a trainee; the ID number is validated, encrypted and indexed by keyed hash."""
    actor.require(Role.CITY)
    parsed = parse_id_number(id_number)
    name, phone = _clean_name_phone(name, phone)
    given = facts is not None
    facts = facts or PersonFactsInput()
    errors = check_facts(facts)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), code="facts_invalid", errors=errors)
    cipher = pii_cipher()
    with unit_of_work() as session:
        if find_person(parsed.number) is not None:
            raise Conflict(_l("该身份证号码已登记"), code="person_exists")
        person = Person(
            id_hash=cipher.lookup_hash(parsed.number),
            id_cipher=cipher.encrypt(parsed.number, aad=ID_AAD),
            id_masked=mask_id_number(parsed.number),
            name=name,
            phone=phone,
            birth_date=parsed.birth_date,
            sex=parsed.sex,
        )
        _apply_facts(person, facts)
        session.add(person)
        session.flush()
        record(
            actor,
            "person.registered",
            "person",
            person.id,
            {"id": person.id_masked, **(_facts_audit(facts) if given else {})},
        )
    return person


def update_person(
    actor: Actor, person_id: int, *, name: str, phone: str, facts: PersonFactsInput
) -> Person:
    """Change a person's name, phone and facts (the ID number never changes)."""
    actor.require(Role.CITY)
    name, phone = _clean_name_phone(name, phone)
    errors = check_facts(facts)
    if errors:
        raise ValidationFailed(next(iter(errors.values())), code="facts_invalid", errors=errors)
    with unit_of_work():
        person = get_visible(Person, person_id, actor)
        changed = []
        if person.name != name:
            changed.append("name")
        if person.phone != phone:
            changed.append("phone")
        person.name = name
        person.phone = phone
        _apply_facts(person, facts)
        person.updated_at = utcnow()
        record(
            actor,
            "person.updated",
            "person",
            person.id,
            {"changed": changed, **_facts_audit(facts)},
        )
    return person


def get_person(actor: Actor, person_id: int) -> Person:
    """One person in the actor's scope (city officers)."""
    actor.require(Role.CITY)
    stmt = visible(
        select(Person).options(selectinload(Person.groups)).where(Person.id == person_id),
        Person,
        actor,
    )
    person = db.session.execute(stmt).scalar_one_or_none()
    if person is None:
        raise NotFound(_l("未找到该人员"))
    return person


def list_people(actor: Actor, query: str = "", *, limit: int = 200) -> list[Person]:
    """People by ID number (exact) or name (contains), newest first."""
    actor.require(Role.CITY)
    stmt = visible(select(Person).order_by(Person.id.desc()).limit(limit), Person, actor)
    query = query.strip()
    if query:
        if any(ch.isdigit() for ch in query):
            stmt = stmt.where(Person.id_hash == pii_cipher().lookup_hash(query))
        else:
            stmt = stmt.where(Person.name.contains(query))
    return list(db.session.execute(stmt).scalars())


def held_vouchers(
    session: Session, person_ids: Iterable[int]
) -> dict[int, list[rules.HeldVoucher]]:
    """Every voucher each person holds or held, for the per-person rules."""
    held: dict[int, list[rules.HeldVoucher]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for pid, entry_id, level, status, issued_at in session.execute(
            select(
                Voucher.person_id,
                Voucher.entry_id,
                Voucher.level,
                Voucher.status,
                Voucher.issued_at,
            ).where(Voucher.person_id.in_(chunk))
        ):
            held.setdefault(pid, []).append(
                rules.HeldVoucher(entry_id, level, status, to_business_time(issued_at).date())
            )
    return held


def person_facts(person: Person, held: Sequence[rules.HeldVoucher] = ()) -> rules.PersonFacts:
    """The rules' view of a registered person."""
    return rules.PersonFacts(
        birth_date=person.birth_date,
        sex=person.sex,
        residence_basis=person.residence_basis,
        residence_date=person.residence_date,
        groups=tuple(
            rules.GroupFact(g.group, g.evidence_date, g.graduation_year, g.release_date)
            for g in person.groups
        ),
        establishment_staff=person.establishment_staff,
        full_time_student=person.full_time_student,
        pensioner=person.pensioner,
        held=tuple(held),
    )


def quota_facts(quota: Quota) -> rules.QuotaFacts:
    """The rules' view of a quota."""
    return rules.QuotaFacts(quota.entry_id, frozenset(quota.groups or ()), quota.level)


def eligibility(actor: Actor, person_id: int, quota_id: int, on_date: date) -> rules.Decision:
    """Which rules a voucher from this quota to this person on this date breaks."""
    person = get_person(actor, person_id)
    quota = get_quota(actor, quota_id)
    held = held_vouchers(db.session, [person.id]).get(person.id, [])
    return rules.check_eligibility(person_facts(person, held), on_date, quota_facts(quota))


# ---- quotas -----------------------------------------------------------------------------------


def catalogue_level_fen(entry_id: int, level: str | None) -> int | None:
    """The catalogue standard for a certificate level of an entry, if the city set one."""
    if not level:
        return None
    return db.session.execute(
        select(SubsidyStandard.amount_fen).where(
            SubsidyStandard.entry_id == entry_id, SubsidyStandard.level == level
        )
    ).scalar_one_or_none()


def _accepted(entry_id: int, unit_id: int | None) -> list[AcceptedOccupation]:
    stmt = (
        select(AcceptedOccupation)
        .join(TrainingUnit, TrainingUnit.id == AcceptedOccupation.unit_id)
        .where(AcceptedOccupation.entry_id == entry_id)
    )
    if unit_id is not None:
        stmt = stmt.where(AcceptedOccupation.unit_id == unit_id)
    return [o for o in db.session.execute(stmt).scalars() if o.unit.can_redeem]


def _planned(entry_id: int, unit_id: int | None) -> int:
    stmt = select(Quota.planned).where(Quota.entry_id == entry_id)
    if unit_id is not None:
        stmt = stmt.where(Quota.unit_id == unit_id)
    return sum(db.session.execute(stmt).scalars())


def create_quota(
    actor: Actor,
    *,
    entry_id: int,
    unit_id: int | None,
    groups: Sequence[str],
    planned: int,
    valid_from: date,
    valid_until: date,
    amount_fen: int | None = None,
    level: str | None = None,
    name: str = "",
    voucher_days: int = POLICY.voucher_validity_days,
) -> Quota:
    """Create a quota from accepted occupations; plans never exceed the accepted headcounts."""
    actor.require(Role.CITY)
    errors: dict[str, str] = {}
    bad = [g for g in groups if g not in rules.TARGET_GROUPS]
    if not groups or bad:
        errors["groups"] = str(_l("请至少选择一个重点群体"))
    if valid_until < valid_from:
        errors["valid_until"] = str(_l("截止日期不能早于开始日期"))
    if voucher_days <= 0:
        errors["voucher_days"] = str(_l("培训券有效天数必须大于 0"))
    if errors:
        raise ValidationFailed(next(iter(errors.values())), code="quota_invalid", errors=errors)
    with unit_of_work() as session:
        entry = get_entry(entry_id)
        occupations = _accepted(entry.id, unit_id)
        if not occupations:
            raise RuleViolation(
                _l("该职业（工种）没有揭榜单位核定的计划人数，不能设置指标")
                if unit_id is None
                else _l("该单位没有揭榜核定此职业（工种），或已被移出揭榜名单"),
                code="occupation_not_accepted",
                errors={"entry_id": str(_l("未揭榜核定"))},
            )
        headcount = sum(o.headcount for o in occupations)
        failure = rules.check_quota_plan(planned, _planned(entry.id, unit_id), headcount)
        if failure is None and unit_id is not None:
            # 定向 and 通用 quotas share the occupation's city-wide headcount.
            total = sum(o.headcount for o in _accepted(entry.id, None))
            failure = rules.check_quota_plan(planned, _planned(entry.id, None), total)
        if failure is not None:
            raise RuleViolation(
                failure.message, code=failure.code, errors={"planned": failure.message}
            )
        standard = min(o.standard_fen for o in occupations)
        amount = amount_fen if amount_fen is not None else standard
        ceiling = rules.quota_face_ceiling(catalogue_level_fen(entry.id, level))
        if amount <= 0 or amount > ceiling:
            message = str(_l("券面金额应大于 0 且不超过 %(y)s 元", y=ceiling // 100))
            raise RuleViolation(message, code="amount_over_cap", errors={"amount_fen": message})
        quota = Quota(
            name=name.strip() or f"{entry.name}（{'定向' if unit_id else '通用'}）",
            entry_id=entry.id,
            unit_id=unit_id,
            groups=sorted(set(groups)),
            level=level or None,
            amount_fen=amount,
            valid_from=valid_from,
            valid_until=valid_until,
            voucher_days=voucher_days,
            planned=planned,
            issued=0,
            created_by=actor.user_id,
        )
        session.add(quota)
        session.flush()
        record(
            actor,
            "quota.created",
            "quota",
            quota.id,
            {
                "entry_id": entry.id,
                "unit_id": unit_id,
                "planned": planned,
                "amount_fen": amount,
                "groups": quota.groups,
            },
        )
    return quota


def close_quota(actor: Actor, quota_id: int) -> Quota:
    """Stop issuing from a quota."""
    actor.require(Role.CITY)
    with unit_of_work():
        quota = get_visible(Quota, quota_id, actor)
        if not quota.open:
            raise Conflict(_l("该指标已关闭"), code="quota_closed")
        quota.open = False
        record(actor, "quota.closed", "quota", quota.id, {"issued": quota.issued})
    return quota


def get_quota(actor: Actor, quota_id: int) -> Quota:
    """One quota (city officers)."""
    actor.require(Role.CITY)
    return get_visible(Quota, quota_id, actor)


def list_quotas(actor: Actor) -> list[Quota]:
    """Every quota, newest first (city officers)."""
    actor.require(Role.CITY)
    stmt = visible(select(Quota).order_by(Quota.id.desc()), Quota, actor)
    return list(db.session.execute(stmt).scalars())


def open_quotas(on_date: date | None = None) -> list[Quota]:
    """Quotas a trainee may apply to today (public page): open, in window, not exhausted."""
    day = on_date or business_today()
    stmt = (
        select(Quota)
        .where(
            Quota.open.is_(True),
            Quota.valid_from <= day,
            Quota.valid_until >= day,
            Quota.issued < Quota.planned,
        )
        .order_by(Quota.id)
    )
    return list(db.session.execute(stmt).scalars())


def check_quota_open(quota: Quota, on_date: date) -> None:
    """Refuse issuing from a closed quota or outside its window."""
    if not quota.open:
        raise RuleViolation(_l("该指标已关闭，不能再发券"), code="quota_closed")
    if not quota.valid_from <= on_date <= quota.valid_until:
        raise RuleViolation(
            _l(
                "不在该指标的发券期内（%(a)s 至 %(b)s）",
                a=quota.valid_from.isoformat(),
                b=quota.valid_until.isoformat(),
            ),
            code="quota_out_of_window",
        )


def reserve(session: Session, quota_id: int, n: int) -> bool:
    """Take ``n`` places of a quota in one conditional UPDATE; False when fewer remain."""
    result = session.execute(
        update(Quota)
        .where(Quota.id == quota_id, Quota.issued + n <= Quota.planned)
        .values(issued=Quota.issued + n)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def quota_exhausted() -> RuleViolation:
    """The refusal when a quota has no place left."""
    return RuleViolation(_l("该指标已发完，没有剩余名额"), code="quota_exhausted")


# ---- the signer and the voucher row -----------------------------------------------------------


@dataclass
class SignedVoucher:
    """A signed voucher ready to insert (a plain row: the batch keeps many of these)."""

    uid: str
    human_code: str
    token: str
    not_before: datetime
    expires_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def validity(
    quota_from: date, quota_until: date | None, on_date: date, days: int
) -> tuple[datetime, datetime]:
    """A voucher's window: from the later of issue day and quota start, for ``days`` days,
    never past the quota's last day."""
    start = max(on_date, quota_from)
    end = start + timedelta(days=days)
    if quota_until is not None:
        end = min(end, quota_until + timedelta(days=1))
    return start_of_business_day(start), start_of_business_day(end)


def sign_voucher(
    *,
    kid: str,
    private_key: Any,
    holder_hash: bytes,
    entry_id: int,
    unit_id: int | None,
    amount_fen: int,
    not_before: datetime,
    expires_at: datetime,
) -> SignedVoucher:
    """Sign one voucher token (Ed25519) with a fresh random voucher id."""
    voucher_id = secrets.token_bytes(16)
    claims = VoucherClaims(
        key_id=bytes.fromhex(kid),
        voucher_id=voucher_id,
        holder_ref=holder_hash[:16],
        amount_fen=amount_fen,
        programme=entry_id,
        unit=unit_id or 0,
        not_before=int(not_before.timestamp()),
        expires=int(expires_at.timestamp()),
    )
    return SignedVoucher(
        uid=voucher_id.hex(),
        human_code=human_code(voucher_id),
        token=encode_text(sign_token(claims, private_key)),
        not_before=not_before,
        expires_at=expires_at,
    )


def record_many(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    items: Sequence[tuple[Any, dict[str, Any]]],
) -> None:
    """The bulk variant of ``audit.record``: one executemany INSERT of many events."""
    if not items:
        return
    at = utcnow()
    session.execute(
        insert(AuditEvent.__table__),
        [
            {
                "at": at,
                "actor_id": actor.user_id,
                "actor": actor.label,
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "data": data,
            }
            for object_id, data in items
        ],
    )


def _issue_one(
    session: Session,
    actor: Actor,
    person: Person,
    *,
    entry_id: int,
    unit_id: int | None,
    amount_fen: int,
    not_before: datetime,
    expires_at: datetime,
    quota_id: int | None = None,
    level: str | None = None,
    channel: str,
) -> Voucher:
    kid, private_key = active_signer()
    signed = sign_voucher(
        kid=kid,
        private_key=private_key,
        holder_hash=person.id_hash,
        entry_id=entry_id,
        unit_id=unit_id,
        amount_fen=amount_fen,
        not_before=not_before,
        expires_at=expires_at,
    )
    voucher = Voucher(
        uid=signed.uid,
        human_code=signed.human_code,
        person_id=person.id,
        kid=kid,
        entry_id=entry_id,
        unit_id=unit_id,
        amount_fen=amount_fen,
        not_before=not_before,
        expires_at=expires_at,
        token=signed.token,
        issued_by=actor.user_id,
        quota_id=quota_id,
        level=level,
    )
    session.add(voucher)
    session.flush()
    record(
        actor,
        "voucher.issued",
        "voucher",
        voucher.id,
        {
            "entry_id": entry_id,
            "unit_id": unit_id,
            "amount_fen": amount_fen,
            "quota_id": quota_id,
            "channel": channel,
        },
    )
    return voucher


# ---- issuing ----------------------------------------------------------------------------------


def issue_voucher(
    actor: Actor,
    *,
    person_id: int,
    entry_id: int,
    amount_fen: int,
    unit_id: int | None = None,
    valid_from: date,
    valid_days: int = POLICY.voucher_validity_days,
) -> Voucher:
    """Issue one voucher outside any quota (tests, demo, manual correction by the city).

    Only the one-active-voucher-per-occupation rule applies here; quota issuance
    (:func:`issue_from_quota`) applies every eligibility rule.
    """
    actor.require(Role.CITY)
    if amount_fen <= 0:
        raise ValidationFailed(_l("券面金额必须大于 0"), code="amount_invalid")
    with unit_of_work() as session:
        person = get_visible(Person, person_id, actor)
        entry = get_entry(entry_id)
        if unit_id is not None:
            get_visible(TrainingUnit, unit_id, actor)
        active = session.execute(
            select(Voucher.id).where(
                Voucher.person_id == person.id,
                Voucher.entry_id == entry.id,
                Voucher.status == VoucherStatus.ISSUED,
            )
        ).first()
        if active:
            raise RuleViolation(
                _l("此人已持有该职业（工种）的有效培训券"), code="voucher_already_held"
            )
        not_before, expires = validity(valid_from, None, valid_from, valid_days)
        return _issue_one(
            session,
            actor,
            person,
            entry_id=entry.id,
            unit_id=unit_id,
            amount_fen=amount_fen,
            not_before=not_before,
            expires_at=expires,
            channel="direct",
        )


def refusal(decision: rules.Decision) -> RuleViolation:
    """A refusal listing every failed rule (errors: code → message)."""
    return RuleViolation(
        _l("不符合发券条件：%(reasons)s", reasons=decision.summary()),
        code="not_eligible",
        errors={f.code: f.message for f in decision.failures},
    )


def _issue_from_quota(
    session: Session, actor: Actor, quota: Quota, person: Person, on_date: date, channel: str
) -> Voucher:
    check_quota_open(quota, on_date)
    held = held_vouchers(session, [person.id]).get(person.id, [])
    decision = rules.check_eligibility(person_facts(person, held), on_date, quota_facts(quota))
    if not decision.eligible:
        raise refusal(decision)
    if not reserve(session, quota.id, 1):
        raise quota_exhausted()
    not_before, expires = validity(quota.valid_from, quota.valid_until, on_date, quota.voucher_days)
    return _issue_one(
        session,
        actor,
        person,
        entry_id=quota.entry_id,
        unit_id=quota.unit_id,
        amount_fen=quota.amount_fen,
        not_before=not_before,
        expires_at=expires,
        quota_id=quota.id,
        level=quota.level,
        channel=channel,
    )


def issue_from_quota(
    actor: Actor, *, quota_id: int, person_id: int, on_date: date | None = None
) -> Voucher:
    """An officer issues one voucher from a quota to a registered, eligible person."""
    actor.require(Role.CITY)
    day = on_date or business_today()
    with unit_of_work() as session:
        quota = get_visible(Quota, quota_id, actor)
        person = get_visible(Person, person_id, actor)
        return _issue_from_quota(session, actor, quota, person, day, "officer")


SELF_SERVICE = Actor.system("self-service")


def self_apply(*, id_number: str, name: str, phone: str, quota_id: int) -> Voucher:
    """A trainee applies on the phone: registered, name and phone match, eligible, quota left."""
    parsed = parse_id_number(id_number)
    clean_name = rules.check_name(name) or ""
    clean_phone = rules.check_phone(phone) or ""
    day = business_today()
    with unit_of_work() as session:
        quota = session.get(Quota, quota_id)
        if quota is None:
            raise NotFound(_l("没有这个发券指标"), code="quota_unknown")
        person = find_person(parsed.number)
        if person is None:
            raise RuleViolation(
                _l("登记名册中没有此身份证号码，请先到人社部门登记"),
                code="person_not_registered",
                errors={"id_number": str(_l("未登记"))},
            )
        mismatch: dict[str, str] = {}
        if clean_name != person.name:
            mismatch["name"] = str(_l("姓名与登记信息不符"))
        if clean_phone != person.phone:
            mismatch["phone"] = str(_l("手机号码与登记信息不符"))
        if mismatch:
            code = "name_mismatch" if "name" in mismatch else "phone_mismatch"
            raise RuleViolation("；".join(mismatch.values()), code=code, errors=mismatch)
        return _issue_from_quota(session, SELF_SERVICE, quota, person, day, "self")


# ---- vouchers ---------------------------------------------------------------------------------


def get_voucher(actor: Actor, voucher_id: int) -> Voucher:
    """One voucher in the actor's scope (404 outside it)."""
    return get_visible(Voucher, voucher_id, actor)


def list_vouchers(
    actor: Actor,
    *,
    status: str | None = None,
    quota_id: int | None = None,
    person_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Voucher]:
    """Vouchers in the actor's scope, newest first."""
    stmt = visible(
        select(Voucher)
        .options(selectinload(Voucher.person), selectinload(Voucher.entry))
        .order_by(Voucher.id.desc())
        .limit(limit)
        .offset(offset),
        Voucher,
        actor,
    )
    if status:
        stmt = stmt.where(Voucher.status == status)
    if quota_id:
        stmt = stmt.where(Voucher.quota_id == quota_id)
    if person_id:
        stmt = stmt.where(Voucher.person_id == person_id)
    return list(db.session.execute(stmt).scalars())


def revoke_voucher(actor: Actor, voucher_id: int, reason: str) -> Voucher:
    """Revoke an unused voucher with a reason (audited)."""
    actor.require(Role.CITY)
    reason = (reason or "").strip()
    if len(reason) < 2 or len(reason) > 200:
        raise ValidationFailed(
            _l("请填写撤销原因（2 至 200 个字）"),
            code="reason_required",
            errors={"reason": str(_l("请填写撤销原因"))},
        )
    with unit_of_work() as session:
        voucher = get_visible(Voucher, voucher_id, actor)
        changed = session.execute(
            update(Voucher)
            .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.ISSUED)
            .values(status=VoucherStatus.REVOKED, status_reason=reason, status_changed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if changed != 1:
            session.refresh(voucher)
            raise Conflict(
                _l("只有未使用的培训券可以撤销（当前状态：%(s)s）", s=status_label(voucher.status)),
                code="voucher_not_revocable",
            )
        record(actor, "voucher.revoked", "voucher", voucher.id, {"reason": reason})
    session.refresh(voucher)
    return voucher


def expire_due(actor: Actor, *, now: datetime | None = None) -> int:
    """Mark every issued voucher whose validity has ended as expired; return how many."""
    actor.require(Role.CITY)
    moment = now or utcnow()
    with unit_of_work() as session:
        ids = list(
            session.execute(
                select(Voucher.id).where(
                    Voucher.status == VoucherStatus.ISSUED, Voucher.expires_at <= moment
                )
            ).scalars()
        )
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            session.execute(
                update(Voucher)
                .where(Voucher.id.in_(chunk), Voucher.status == VoucherStatus.ISSUED)
                .values(status=VoucherStatus.EXPIRED, status_changed_at=moment)
                .execution_options(synchronize_session=False)
            )
        record_many(session, actor, "voucher.expired", "voucher", [(i, {}) for i in ids])
    return len(ids)


STATUS_LABELS = {
    VoucherStatus.ISSUED: _l("未使用"),
    VoucherStatus.REDEEMED: _l("已核销"),
    VoucherStatus.EXPIRED: _l("已过期"),
    VoucherStatus.REVOKED: _l("已撤销"),
}


def status_label(status: str) -> str:
    """A voucher status in Chinese."""
    return str(STATUS_LABELS.get(status, status))


def voucher_payload(voucher: Voucher) -> str:
    """What the QR holds: an upper-case URL opening the scan page, with the Base32 token."""
    from voucher.core.token import decode_text

    return qr_payload(decode_text(voucher.token), current_app.config["PUBLIC_HOST"])


def resolve_voucher(text: str, *, now: int | None = None) -> tuple[VoucherClaims, Voucher]:
    """Verify a scanned token (signature, key state, validity window) and load its voucher."""
    claims = verify_token(text, resolve_public_key, now=now, check_time=True)
    voucher = db.session.execute(
        select(Voucher)
        .where(Voucher.uid == claims.voucher_id.hex())
        .execution_options(populate_existing=True)  # the stored status, never a stale copy
    ).scalar_one_or_none()
    if voucher is None:
        raise NotFound(_l("系统中没有这张培训券"), code="voucher_unknown")
    return claims, voucher


UNUSABLE = {
    VoucherStatus.REDEEMED: ("voucher_redeemed", _l("这张培训券已经核销过")),
    VoucherStatus.EXPIRED: ("voucher_expired", _l("这张培训券已过期")),
    VoucherStatus.REVOKED: ("voucher_revoked", _l("这张培训券已被撤销")),
}


def check_voucher(text: str, *, now: int | None = None) -> Voucher:
    """A usable voucher for a scanned token, or the refusal naming the rule it breaks."""
    _claims, voucher = resolve_voucher(text, now=now)
    if voucher.status in UNUSABLE:
        code, message = UNUSABLE[voucher.status]
        raise RuleViolation(message, code=code)
    return voucher


def holder_view(voucher: Voucher) -> dict[str, str]:
    """The holder as shown next to a voucher: masked name and ID only."""
    return {"name": mask_name(voucher.person.name), "id": voucher.person.id_masked}
