"""Redemption use cases: check a scanned voucher, redeem it exactly once, void, list, export.

The hot path (``redeem_fast``) reads everything it decides on in ONE query (voucher, holder,
class, unit, identity-check counter, the holder's other active classes) and writes in ONE
statement on PostgreSQL: a CTE that updates the voucher only while it is still ``issued`` and,
from the row it returns, inserts the redemption and its audit event (and, with an
Idempotency-Key, the first answer). Signing keys and the working-day calendar are cached.
Exactly once is decided by the conditional update plus the partial unique index on active
redemptions; the token never decides it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, exists, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from voucher.accounts.access import Actor, get_visible, visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.catalog.models import CatalogueEntry
from voucher.core.clock import business_today, to_business_time
from voucher.core.humancode import HumanCodeError, looks_like_human_code, normalize_human_code
from voucher.core.pii import mask_name
from voucher.core.token import TokenError, verify_token
from voucher.db import DriverStatement, db, driver_autocommit, unit_of_work, utcnow
from voucher.errors import Conflict, DomainError, Forbidden, NotFound, RuleViolation
from voucher.issuance.keys import resolve_public_key
from voucher.issuance.models import Person, Voucher, VoucherStatus
from voucher.keyring import pii_cipher
from voucher.policy import POLICY
from voucher.redemption.models import (
    IdCheckCounter,
    IdempotencyRecord,
    Redemption,
    RedemptionStatus,
    TrainingClass,
)
from voucher.redemption.rules import (
    check_class_open,
    check_filed_in_time,
    check_id_tail_format,
    check_not_locked,
    check_scope,
    clean_reason,
    id_tail_matches,
    masked_id_for_check,
    offset_for,
    unit_may_void,
)
from voucher.units.models import AcceptedOccupation, TrainingUnit, UnitStatus
from voucher.workcal.services import work_calendar

STATUS_MESSAGES = {
    VoucherStatus.REDEEMED: _l("这张培训券已经核销过"),
    VoucherStatus.EXPIRED: _l("这张培训券已过期"),
    VoucherStatus.REVOKED: _l("这张培训券已被撤销"),
}
ID_AAD = b"person.id_number"


def _status_error(status: str) -> Conflict:
    return Conflict(
        STATUS_MESSAGES.get(status, _l("这张培训券当前不能核销")), code=f"voucher_{status}"
    )


def token_for_input(text_in: str) -> str:
    """The token text for what the desk scanned or typed: a QR URL, a bare token, or the
    12-character human code (looked up, then verified through its stored token)."""
    text_in = text_in or ""
    if looks_like_human_code(text_in):
        code = normalize_human_code(text_in)
        token = db.session.execute(
            select(Voucher.token).where(Voucher.human_code == code)
        ).scalar_one_or_none()
        if token is None:
            raise NotFound(_l("系统中没有这个券码，请核对后重新输入"), code="voucher_unknown")
        return token
    return text_in


# ---------------------------------------------------------------------------------------------
# The check page: everything the operator needs to see at once.


@dataclass
class VoucherCheck:
    """What the desk sees after a scan: valid or not with the reason, holder, amount, scope."""

    valid: bool
    code: str = ""
    reason: str = ""
    token: str = ""
    voucher_id: int | None = None
    human_code: str = ""
    holder_name: str = ""
    holder_id: str = ""
    amount_fen: int = 0
    occupation: str = ""
    entry_id: int | None = None
    bound_unit: str = ""
    status: str = ""
    expires_at: datetime | None = None
    classes: list[TrainingClass] = field(default_factory=list)


def check_voucher(actor: Actor, text_in: str) -> VoucherCheck:
    """Verify a scanned or typed voucher for the operator's unit, without changing anything."""
    actor.require(Role.UNIT)
    try:
        token = token_for_input(text_in)
        claims = verify_token(token, resolve_public_key, check_time=False)
    except (TokenError, HumanCodeError, NotFound) as exc:
        return VoucherCheck(valid=False, code=exc.code, reason=str(exc.message))
    voucher = db.session.execute(
        select(Voucher).where(Voucher.uid == claims.voucher_id.hex())
    ).scalar_one_or_none()
    if voucher is None:
        return VoucherCheck(
            valid=False, code="voucher_unknown", reason=str(_l("系统中没有这张培训券"))
        )
    person = voucher.person
    entry = voucher.entry
    result = VoucherCheck(
        valid=True,
        token=voucher.token,
        voucher_id=voucher.id,
        human_code=voucher.human_code,
        holder_name=mask_name(person.name),
        holder_id=masked_id_for_check(person.id_masked),
        amount_fen=voucher.amount_fen,
        occupation=entry.name if entry is not None else "",
        entry_id=voucher.entry_id,
        bound_unit=voucher.unit.name if voucher.unit is not None else "",
        status=voucher.status,
        expires_at=voucher.expires_at,
    )
    try:
        verify_token(token, resolve_public_key, check_time=True)
        if voucher.status != VoucherStatus.ISSUED:
            raise _status_error(voucher.status)
        unit = db.session.get(TrainingUnit, actor.unit_id)
        accepted = db.session.execute(
            select(AcceptedOccupation.id).where(
                AcceptedOccupation.unit_id == actor.unit_id,
                AcceptedOccupation.entry_id == voucher.entry_id,
            )
        ).first()
        check_scope(
            voucher_unit_id=voucher.unit_id,
            unit_id=actor.unit_id or 0,
            unit_can_redeem=unit is not None and unit.can_redeem,
            occupation_accepted=accepted is not None,
        )
        counter = db.session.get(IdCheckCounter, voucher.id)
        check_not_locked(counter.locked_until if counter else None, utcnow())
    except DomainError as exc:
        result.valid, result.code, result.reason = False, exc.code, str(exc.message)
        return result
    from voucher.redemption.classes import open_classes

    result.classes = open_classes(actor, voucher.entry_id)
    return result


# ---------------------------------------------------------------------------------------------
# Redeem.


@dataclass(frozen=True)
class RedeemResult:
    """The answer of a redemption (also what an Idempotency-Key replays)."""

    id: int
    voucher_id: int
    human_code: str
    class_id: int
    unit_id: int
    fee_fen: int
    offset_fen: int
    pay_fen: int
    redeemed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "voucher_id": self.voucher_id,
            "human_code": self.human_code,
            "class_id": self.class_id,
            "unit_id": self.unit_id,
            "fee_fen": self.fee_fen,
            "offset_fen": self.offset_fen,
            "pay_fen": self.pay_fen,
            "redeemed_at": self.redeemed_at.isoformat(),
            "status": RedemptionStatus.ACTIVE,
        }


@dataclass(frozen=True)
class IdempotencyRequest:
    """An API call's Idempotency-Key: the first answer is stored with the redemption."""

    user_id: int
    key: str
    request_hash: str


class _WrongIdTail(Exception):
    """Raised inside the transaction so the failure is counted in a separate one."""

    def __init__(self, voucher_id: int) -> None:
        self.voucher_id = voucher_id


_READ: Any = None


def _read_statement() -> Any:
    """The one query the hot path decides on (built once; parameters uid, class_id, unit_id,
    today): voucher, holder's cipher, class, unit status, ID-check counter, and whether the
    holder is already in another active class of the same occupation."""
    global _READ  # built on first use: building it costs more than running it
    if _READ is not None:
        return _READ
    v2, r2, c2 = aliased(Voucher), aliased(Redemption), aliased(TrainingClass)
    # The holder's other vouchers of this occupation first (by person, a handful at most), then
    # their active redemptions by voucher id: OFFSET 0 keeps PostgreSQL from flattening the
    # subquery and starting from the redemption table instead, which it did whenever that
    # table's statistics lagged behind its growth (a scan of every active redemption per
    # check, measured at 1-5 ms once a few thousand were on file).
    holders_others = (
        select(v2.id)
        .where(
            v2.person_id == Voucher.person_id,
            v2.entry_id == Voucher.entry_id,
            v2.id != Voucher.id,
        )
        .correlate(Voucher)
        .offset(0)
        .subquery("holders_others")
    )
    other_class = (
        exists()
        .select_from(holders_others)
        .where(
            r2.voucher_id == holders_others.c.id,
            r2.class_id == c2.id,
            r2.status == RedemptionStatus.ACTIVE,
            c2.end_date >= bindparam("today"),
        )
        .correlate(Voucher)
    )
    _READ = (
        select(
            Voucher.id,
            Voucher.status,
            Voucher.amount_fen,
            Voucher.entry_id,
            Voucher.unit_id,
            Voucher.human_code,
            Person.id_cipher,
            TrainingClass.id.label("class_id"),
            TrainingClass.entry_id.label("class_entry_id"),
            TrainingClass.start_date,
            TrainingClass.end_date,
            TrainingClass.filed_on,
            TrainingClass.fee_fen,
            TrainingUnit.status.label("unit_status"),
            IdCheckCounter.failures,
            IdCheckCounter.locked_until,
            other_class.label("in_other_class"),
        )
        .select_from(Voucher)
        .join(Person, Person.id == Voucher.person_id)
        .outerjoin(
            TrainingClass,
            and_(
                TrainingClass.id == bindparam("class_id"),
                TrainingClass.unit_id == bindparam("unit_id"),
            ),
        )
        .outerjoin(TrainingUnit, TrainingUnit.id == bindparam("unit_id"))
        .outerjoin(IdCheckCounter, IdCheckCounter.voucher_id == Voucher.id)
        .where(Voucher.uid == bindparam("uid"))
    )
    return _READ


_PG_REDEEM_SQL = """
    WITH upd AS (
        UPDATE voucher SET status = 'redeemed'
        WHERE id = :voucher_id AND status = 'issued'
        RETURNING id
    ), ins AS (
        INSERT INTO redemption (voucher_id, unit_id, class_id, fee_fen, offset_fen,
                                redeemed_at, redeemed_by, status, void_reason)
        SELECT id, :unit_id, :class_id, :fee_fen, :offset_fen, :at, :user_id, 'active', ''
        FROM upd
        RETURNING id
    ), aud AS (
        INSERT INTO audit_event (at, actor_id, actor, action, object_type, object_id, data)
        SELECT :at, :user_id, :actor, 'voucher.redeemed', 'voucher', :voucher_ref,
               json_build_object('redemption_id', ins.id, 'unit_id', :unit_id,
                                 'class_id', :class_id, 'fee_fen', :fee_fen,
                                 'offset_fen', :offset_fen)
        FROM ins
        RETURNING id
    ){idem}
    SELECT ins.id, (SELECT count(*) FROM aud) FROM ins
"""
#: With an Idempotency-Key the first answer is stored by the same statement (its id added).
_PG_IDEM = """, idem AS (
        INSERT INTO idempotency_record (user_id, key, request_hash, status_code, response,
                                        created_at)
        SELECT :idem_user, :idem_key, :idem_hash, 201,
               (CAST(:idem_response AS jsonb) || jsonb_build_object('id', ins.id))::json, :at
        FROM ins
        RETURNING id
    )"""
_PG_READ = DriverStatement(lambda: _read_statement())
_PG_REDEEM = DriverStatement(lambda: text(_PG_REDEEM_SQL.format(idem="")))
_PG_REDEEM_IDEM = DriverStatement(lambda: text(_PG_REDEEM_SQL.format(idem=_PG_IDEM)))
_PG_RESET_COUNTER = DriverStatement(
    lambda: (
        update(IdCheckCounter)
        .where(IdCheckCounter.voucher_id == bindparam("voucher_id"))
        .values(failures=0, locked_until=None, updated_at=bindparam("at"))
    )
)
_PG_STATUS = DriverStatement(
    lambda: select(Voucher.status).where(Voucher.id == bindparam("voucher_id"))
)


def _sync_status(voucher_id: int, status: str) -> None:
    """Keep a Voucher this request's session already loaded in step with a Core update (no
    query; no session is started just for this)."""
    if not db.session.registry.has():
        return
    loaded = db.session().identity_map.get(identity_key(Voucher, voucher_id))
    if loaded is not None:
        set_committed_value(loaded, "status", status)


class _DriverRedemption:
    """The redemption's statements on a pooled driver connection in autocommit (PostgreSQL):
    one read, one CTE that writes the redemption, its audit event and the Idempotency-Key's
    answer atomically (a single statement: no BEGIN and COMMIT round trips around it). The
    read decides nothing for sure: under READ COMMITTED it would not in a transaction either;
    the CTE's conditional update does."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def read(self, facts: dict[str, Any]) -> Any:
        return _PG_READ.first(self.connection, facts)

    def reset_counter(self, voucher_id: int, now: datetime) -> None:
        _PG_RESET_COUNTER.first(
            self.connection, {"voucher_id": voucher_id, "at": now.replace(tzinfo=None)}
        )

    def write(
        self, actor: Actor, answer: RedeemResult, idempotency: IdempotencyRequest | None
    ) -> int | None:
        statement = _PG_REDEEM
        params = {
            "voucher_id": answer.voucher_id,
            "voucher_ref": str(answer.voucher_id),
            "unit_id": answer.unit_id,
            "class_id": answer.class_id,
            "fee_fen": answer.fee_fen,
            "offset_fen": answer.offset_fen,
            "at": answer.redeemed_at.replace(tzinfo=None),
            "user_id": actor.user_id,
            "actor": actor.label,
        }
        if idempotency is not None:
            stored = answer.as_dict()
            del stored["id"]  # the statement adds the new redemption's id
            statement, params = (
                _PG_REDEEM_IDEM,
                params
                | {
                    "idem_user": idempotency.user_id,
                    "idem_key": idempotency.key,
                    "idem_hash": idempotency.request_hash,
                    "idem_response": json.dumps(stored),
                },
            )
        row = statement.first(self.connection, params)
        return None if row is None else int(row[0])

    def status(self, voucher_id: int) -> str:
        return str(_PG_STATUS.first(self.connection, {"voucher_id": voucher_id})[0])


class _SessionRedemption:
    """The same through the ORM session (SQLite: no data-modifying CTE)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def read(self, facts: dict[str, Any]) -> Any:
        return self.session.execute(_read_statement(), facts).first()

    def reset_counter(self, voucher_id: int, now: datetime) -> None:
        self.session.execute(
            update(IdCheckCounter)
            .where(IdCheckCounter.voucher_id == voucher_id)
            .values(failures=0, locked_until=None, updated_at=now)
        )

    def write(
        self, actor: Actor, answer: RedeemResult, idempotency: IdempotencyRequest | None
    ) -> int | None:
        """The conditional update + inserts; the new redemption id, or None if the voucher
        was no longer issued."""
        session = self.session
        changed = session.execute(
            update(Voucher)
            .where(Voucher.id == answer.voucher_id, Voucher.status == VoucherStatus.ISSUED)
            .values(status=VoucherStatus.REDEEMED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            return None
        redemption_id = session.execute(
            insert(Redemption)
            .values(
                voucher_id=answer.voucher_id,
                unit_id=answer.unit_id,
                class_id=answer.class_id,
                fee_fen=answer.fee_fen,
                offset_fen=answer.offset_fen,
                redeemed_at=answer.redeemed_at,
                redeemed_by=actor.user_id,
                status=RedemptionStatus.ACTIVE,
                void_reason="",
            )
            .returning(Redemption.id)
        ).scalar_one()
        record(
            actor,
            "voucher.redeemed",
            "voucher",
            answer.voucher_id,
            {
                "redemption_id": redemption_id,
                "unit_id": answer.unit_id,
                "class_id": answer.class_id,
                "fee_fen": answer.fee_fen,
                "offset_fen": answer.offset_fen,
            },
        )
        if idempotency is not None:
            session.add(
                IdempotencyRecord(
                    user_id=idempotency.user_id,
                    key=idempotency.key,
                    request_hash=idempotency.request_hash,
                    status_code=201,
                    response=replace(answer, id=redemption_id).as_dict(),
                    created_at=answer.redeemed_at,
                )
            )
        session.flush()
        return int(redemption_id)

    def status(self, voucher_id: int) -> str:
        return str(
            self.session.execute(
                select(Voucher.status).where(Voucher.id == voucher_id)
            ).scalar_one()
        )


@contextmanager
def _redemption_statements(run_hooks: bool) -> Iterator[_DriverRedemption | _SessionRedemption]:
    if db.engine.dialect.name == "postgresql":
        with driver_autocommit(run_hooks=run_hooks) as connection:
            yield _DriverRedemption(connection)
    else:
        with unit_of_work(run_hooks=run_hooks) as session:
            yield _SessionRedemption(session)


def redeem_fast(
    actor: Actor,
    token_text: str,
    *,
    class_id: int,
    id_last4: str | None = None,
    idempotency: IdempotencyRequest | None = None,
    run_hooks: bool = True,
) -> RedeemResult:
    """Redeem a scanned voucher into one of the unit's classes, exactly once.

    ``id_last4`` (the last 4 characters of the holder's ID card, read from the card) is checked
    against the decrypted number; wrong tries are counted and lock the voucher for a while.
    ``None`` skips the identity check (system callers and fixtures only: the page and the API
    always send it).
    """
    actor.require(Role.UNIT)
    if actor.unit_id is None and not actor.is_system:
        raise Forbidden(_l("您的账号未关联培训机构"))
    typed = check_id_tail_format(id_last4) if id_last4 is not None else None
    token_text = token_for_input(token_text)
    claims = verify_token(token_text, resolve_public_key, check_time=True)
    today = business_today()
    now = utcnow()
    unit_id = actor.unit_id or 0
    try:
        with _redemption_statements(run_hooks) as tx:
            row = tx.read(
                {
                    "uid": claims.voucher_id.hex(),
                    "class_id": class_id,
                    "unit_id": unit_id,
                    "today": today,
                }
            )
            if row is None:
                raise NotFound(_l("系统中没有这张培训券"), code="voucher_unknown")
            if row.status != VoucherStatus.ISSUED:
                raise _status_error(row.status)
            if row.class_id is None:
                raise NotFound(_l("未找到该班级（只能选择本机构备案的班级）"), code="class_unknown")
            check_scope(
                voucher_unit_id=row.unit_id,
                unit_id=unit_id,
                unit_can_redeem=row.unit_status in (UnitStatus.ACCEPTED, UnitStatus.WARNED),
                occupation_accepted=row.class_entry_id == row.entry_id,
            )
            check_filed_in_time(
                work_calendar(),
                filed_on=row.filed_on,
                start_date=row.start_date,
                workdays=POLICY.class_filing_workdays,
            )
            check_class_open(row.start_date, row.end_date, today, POLICY.class_late_redeem_days)
            if row.in_other_class:
                raise RuleViolation(
                    _l("持券人已在本机构或其他机构同一职业（工种）的在训班级中，不能重复参训"),
                    code="holder_in_other_class",
                )
            locked_until = row.locked_until
            if locked_until is not None and locked_until.tzinfo is None:
                locked_until = locked_until.replace(tzinfo=UTC)
            check_not_locked(locked_until, now)
            if typed is not None:
                number = pii_cipher().decrypt(row.id_cipher, aad=ID_AAD)
                if not id_tail_matches(number, typed):
                    raise _WrongIdTail(row.id)
                if row.failures:
                    tx.reset_counter(row.id, now)
            offset = offset_for(row.amount_fen, row.fee_fen)
            answer = RedeemResult(
                id=0,
                voucher_id=row.id,
                human_code=row.human_code,
                class_id=row.class_id,
                unit_id=unit_id,
                fee_fen=row.fee_fen,
                offset_fen=offset,
                pay_fen=row.fee_fen - offset,
                redeemed_at=now,
            )
            try:
                redemption_id = tx.write(actor, answer, idempotency)
            except IntegrityError as exc:
                if "idempotency_record" in str(exc.orig):
                    raise  # the key was used before: the caller replays its first answer
                # the partial unique index caught a second active redemption
                raise _status_error(VoucherStatus.REDEEMED) from None
            if redemption_id is None:
                raise _status_error(tx.status(row.id))
            _sync_status(row.id, VoucherStatus.REDEEMED)
            result = replace(answer, id=redemption_id)
    except _WrongIdTail as wrong:
        raise _count_wrong_tail(actor, wrong.voucher_id) from None
    return result


def _count_wrong_tail(actor: Actor, voucher_id: int) -> RuleViolation:
    """Count a wrong ID tail (its own transaction: the count survives the refusal)."""
    now = utcnow()
    with unit_of_work() as session:
        counter = session.get(IdCheckCounter, voucher_id, with_for_update=True)
        if counter is None:
            counter = IdCheckCounter(voucher_id=voucher_id, failures=0)
            session.add(counter)
        counter.failures += 1
        counter.updated_at = now
        left = POLICY.id_check_max_failures - counter.failures
        if left <= 0:
            counter.failures = 0
            counter.locked_until = now + timedelta(minutes=POLICY.id_check_lock_minutes)
        record(
            actor,
            "voucher.id_check_failed",
            "voucher",
            voucher_id,
            {"locked": left <= 0},
        )
    if left <= 0:
        return RuleViolation(
            _l(
                "身份证后 4 位多次不符，这张培训券已锁定 %(minutes)d 分钟",
                minutes=POLICY.id_check_lock_minutes,
            ),
            code="id_check_locked",
        )
    return RuleViolation(
        _l("身份证后 4 位与持券人不符，请核对证件（还可再试 %(left)d 次）", left=left),
        code="id_check_failed",
        errors={"id_last4": "mismatch", "tries_left": left},
    )


def redeem(
    actor: Actor,
    token_text: str,
    *,
    class_id: int,
    id_last4: str | None = None,
) -> Redemption:
    """Redeem and return the stored Redemption (pages, fixtures and other modules)."""
    result = redeem_fast(actor, token_text, class_id=class_id, id_last4=id_last4)
    return db.session.get(Redemption, result.id)  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Idempotency: the first answer per (user, key).


def stored_answer(user_id: int, key: str) -> IdempotencyRecord | None:
    """The answer stored for this user's key, if any."""
    return db.session.execute(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    ).scalar_one_or_none()


def store_answer(request: IdempotencyRequest, status: int, body: dict[str, Any]) -> None:
    """Store a refusal as the key's first answer (a concurrent first answer wins)."""
    try:
        with unit_of_work(run_hooks=False) as session:
            session.add(
                IdempotencyRecord(
                    user_id=request.user_id,
                    key=request.key,
                    request_hash=request.request_hash,
                    status_code=status,
                    response=json.loads(json.dumps(body, default=str)),
                )
            )
    except IntegrityError:
        pass


# ---------------------------------------------------------------------------------------------
# Void.


#: Checks a downstream module registers to refuse a void (e.g. settlement: the redemption is
#: already on a subsidy claim). Each takes (session, redemption_id) and raises a DomainError.
#: A registry keeps the dependency arrow pointing downstream: redemption never imports
#: settlement.
VOID_GUARDS: list[Callable[[Any, int], None]] = []


def void_in_session(actor: Actor, redemption_id: int, *, reason: str) -> Redemption:
    """Void inside the caller's transaction: the voucher returns to issued; audited."""
    redemption = get_visible(Redemption, redemption_id, actor, for_update=True)
    if redemption.status != RedemptionStatus.ACTIVE:
        raise Conflict(_l("该核销记录已作废"), code="redemption_voided")
    for guard in VOID_GUARDS:
        guard(db.session, redemption.id)
    changed = db.session.execute(
        update(Voucher)
        .where(Voucher.id == redemption.voucher_id, Voucher.status == VoucherStatus.REDEEMED)
        .values(status=VoucherStatus.ISSUED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(_l("培训券状态已变化，不能作废此核销"), code="voucher_changed")
    redemption.status = RedemptionStatus.VOIDED
    redemption.voided_at, redemption.voided_by = utcnow(), actor.user_id
    redemption.void_reason = reason
    db.session.flush()
    _sync_status(redemption.voucher_id, VoucherStatus.ISSUED)
    record(
        actor,
        "voucher.redemption_voided",
        "voucher",
        redemption.voucher_id,
        {"redemption_id": redemption.id, "reason": reason},
    )
    return redemption


def void_redemption(actor: Actor, redemption_id: int, *, reason: str) -> Redemption:
    """The unit voids before the class starts (plus the policy window); afterwards only a
    district (or city) officer can, directly or by approving the unit's change request."""
    actor.require(Role.UNIT, Role.DISTRICT, Role.CITY)
    reason = clean_reason(reason)
    with unit_of_work():
        redemption = get_visible(Redemption, redemption_id, actor)
        if actor.role is Role.UNIT:
            klass = redemption.training_class
            if klass is not None and not unit_may_void(
                klass.start_date, business_today(), POLICY.void_days_after_start
            ):
                raise RuleViolation(
                    _l("班级已开班，名册已锁定：作废核销须提交变更申请，由区人社局审批"),
                    code="roster_locked",
                )
        redemption = void_in_session(actor, redemption_id, reason=reason)
    return redemption


# ---------------------------------------------------------------------------------------------
# Lists, receipt and daily summary.


def get_redemption(actor: Actor, redemption_id: int) -> Redemption:
    """One redemption in scope (404 outside it)."""
    return get_visible(Redemption, redemption_id, actor)


def list_redemptions(
    actor: Actor, *, day: date | None = None, limit: int = 500
) -> list[Redemption]:
    """Redemptions in scope, newest first; ``day`` narrows to one business day."""
    stmt = visible(select(Redemption), Redemption, actor)
    if day is not None:
        from voucher.core.clock import start_of_business_day

        stmt = stmt.where(
            Redemption.redeemed_at >= start_of_business_day(day),
            Redemption.redeemed_at < start_of_business_day(day + timedelta(days=1)),
        )
    return list(db.session.execute(stmt.order_by(Redemption.id.desc()).limit(limit)).scalars())


def daily_summary(actor: Actor) -> list[dict[str, Any]]:
    """Per business day and class: active redemptions, fees, offsets, trainee payments."""
    rows = db.session.execute(
        visible(
            select(Redemption)
            .where(Redemption.status == RedemptionStatus.ACTIVE)
            .order_by(Redemption.redeemed_at),
            Redemption,
            actor,
        )
    ).scalars()
    summary: dict[tuple[date, int | None], dict[str, Any]] = {}
    for r in rows:
        day = to_business_time(r.redeemed_at).date()
        key = (day, r.class_id)
        item = summary.setdefault(
            key,
            {
                "day": day,
                "class": r.training_class.name if r.training_class else "",
                "count": 0,
                "fee_fen": 0,
                "offset_fen": 0,
                "pay_fen": 0,
            },
        )
        item["count"] += 1
        item["fee_fen"] += r.fee_fen
        item["offset_fen"] += r.offset_fen
        item["pay_fen"] += r.fee_fen - r.offset_fen
    return list(summary.values())


def occupation_name(entry_id: int | None) -> str:
    """A catalogue entry's name (for lists)."""
    if entry_id is None:
        return ""
    return (
        db.session.execute(
            select(CatalogueEntry.name).where(CatalogueEntry.id == entry_id)
        ).scalar_one_or_none()
        or ""
    )
