"""Record events inside business transactions; seal them into the chain; verify the chain."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from voucher.audit.models import AuditEvent, AuditSeal
from voucher.audit.rules import GENESIS, canonical_event, link_hash
from voucher.db import db, unit_of_work, utcnow

if TYPE_CHECKING:
    from voucher.accounts.access import Actor

SEAL_LOCK_KEY = 0x766F7563  # "vouc": the PostgreSQL advisory lock that serialises sealers
SEAL_BATCH = 5_000
#: A routine seal looks for unsealed events only from this many ids below the newest sealed
#: one: an event's id is taken when it is inserted, and its transaction may commit after later
#: events were sealed. Looking at the whole table instead made every seal (after every write)
#: cost in proportion to the log's length (12 ms at 30,000 events).
SEAL_LOOKBACK_IDS = 500
#: Events further behind (a transaction that ran long while others were sealed, such as a bulk
#: issuance) are found by a full pass, which each process makes at least this often, and
#: ``voucher audit seal`` makes every time.
FULL_PASS_SECONDS = 60.0


def record(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the current transaction; it commits (or not) with the business change."""
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.user_id,
        actor=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=data or {},
    )
    db.session.add(event)
    return event


def _event_bytes(event: Any) -> bytes:
    """The canonical bytes of an event (an ``AuditEvent`` or a row of its columns)."""
    return canonical_event(
        event_id=event.id,
        at=event.at,
        actor_id=event.actor_id,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        data=event.data,
    )


_EVENTS = AuditEvent.__table__
_SEALS = AuditSeal.__table__
#: What a seal covers of an event (see ``_event_bytes``), as Core columns.
_EVENT_COLUMNS = tuple(
    _EVENTS.c[name]
    for name in ("id", "at", "actor_id", "actor", "action", "object_type", "object_id", "data")
)


def _pending_all() -> Any:
    """Every unsealed event, oldest first (a scan of the whole log: the full pass)."""
    return (
        select(*_EVENT_COLUMNS)
        .outerjoin(_SEALS, _SEALS.c.event_id == _EVENTS.c.id)
        .where(_SEALS.c.seq.is_(None))
        .order_by(_EVENTS.c.id)
        .limit(SEAL_BATCH)
    )


def _pending_recent() -> Any:
    """The unsealed events above the ``floor`` parameter, oldest first.

    The candidates are the first events above the floor in id order (a range of the primary
    key), each then probed in the seals' unique index: bounded work whatever the planner
    believes of the tables' sizes (without statistics it chose to hash the whole log).
    """
    candidate = (
        select(*_EVENT_COLUMNS)
        .where(_EVENTS.c.id > bindparam("floor"))
        .order_by(_EVENTS.c.id)
        .limit(SEAL_LOOKBACK_IDS + SEAL_BATCH)
        .subquery("candidate")
    )
    seal = select(_SEALS.c.seq).where(_SEALS.c.event_id == candidate.c.id).scalar_subquery()
    return select(candidate).where(seal.is_(None)).order_by(candidate.c.id).limit(SEAL_BATCH)


_PENDING_ALL = _pending_all()
_PENDING_RECENT = _pending_recent()
#: The chain's head and the newest event sealed so far (not always the head's: see above).
_HEAD = select(
    select(_SEALS.c.hash).order_by(_SEALS.c.seq.desc()).limit(1).scalar_subquery(),
    select(func.coalesce(func.max(_SEALS.c.event_id), 0)).scalar_subquery(),
)
_last_full_pass = -FULL_PASS_SECONDS  # monotonic; per process: the first seal is a full pass


def seal_pending(*, full: bool | None = None) -> int:
    """Chain the unsealed events, in id order, one sealer at a time; return how many.

    A routine seal looks back ``SEAL_LOOKBACK_IDS`` from the newest sealed event; a full pass
    (``full=True``, or when this process has not made one for ``FULL_PASS_SECONDS``) looks at
    every event. Plain rows in, one multi-row insert out: sealing runs after every write, so it
    stays cheap (no ORM objects per event).
    """
    global _last_full_pass
    clock = time.monotonic()
    if full is None:
        full = clock - _last_full_pass >= FULL_PASS_SECONDS
    if full:
        _last_full_pass = clock
    sealed = 0
    while True:
        with unit_of_work(run_hooks=False) as session:
            connection = session.connection()
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY})
            last, newest = connection.execute(_HEAD).one()
            if full:
                pending = connection.execute(_PENDING_ALL).all()
            else:
                floor = newest - SEAL_LOOKBACK_IDS
                pending = connection.execute(_PENDING_RECENT, {"floor": floor}).all()
            prev = last or GENESIS
            seals = []
            now = utcnow()
            for event in pending:
                link = link_hash(prev, _event_bytes(event))
                seals.append(
                    {"event_id": event.id, "prev_hash": prev, "hash": link, "sealed_at": now}
                )
                prev = link
            if seals:
                connection.execute(insert(_SEALS), seals)
            sealed += len(pending)
        if len(pending) < SEAL_BATCH:
            return sealed


@dataclass(frozen=True)
class ChainBreach:
    """One place where the chain does not hold."""

    seq: int | None
    event_id: int | None
    problem: str


def _walk(session: Session, batch: int = 2_000) -> Iterator[tuple[AuditSeal, AuditEvent | None]]:
    after = 0
    while True:
        rows = session.execute(
            select(AuditSeal, AuditEvent)
            .outerjoin(AuditEvent, AuditEvent.id == AuditSeal.event_id)
            .where(AuditSeal.seq > after)
            .order_by(AuditSeal.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0].seq


def verify_chain() -> tuple[int, list[ChainBreach], str]:
    """Walk the chain from the genesis; return (rows checked, breaches in order, head hash).

    It reads through a session of its own, so it sees what is stored now, not what the caller's
    session holds in memory or in an older snapshot.
    """
    with Session(db.engine) as session:
        return _verify(session)


def _verify(session: Session) -> tuple[int, list[ChainBreach], str]:
    breaches: list[ChainBreach] = []
    expected_prev = GENESIS
    checked = 0
    for seal, event in _walk(session):
        checked += 1
        if seal.prev_hash != expected_prev:
            breaches.append(
                ChainBreach(seal.seq, seal.event_id, "前一条封存记录被删除或篡改（链接断开）")
            )
        if event is None:
            breaches.append(ChainBreach(seal.seq, seal.event_id, "审计记录已被删除"))
        elif link_hash(seal.prev_hash, _event_bytes(event)) != seal.hash:
            breaches.append(ChainBreach(seal.seq, seal.event_id, "审计记录内容已被篡改"))
        expected_prev = seal.hash
    unsealed = session.execute(
        select(func.count(AuditEvent.id))
        .outerjoin(AuditSeal, AuditSeal.event_id == AuditEvent.id)
        .where(AuditSeal.seq.is_(None))
    ).scalar_one()
    if unsealed:
        breaches.append(ChainBreach(None, None, f"{unsealed} 条审计记录尚未封存"))
    return checked, breaches, expected_prev


def events_for(object_type: str, object_id: Any) -> list[AuditEvent]:
    """The timeline of one object, oldest first."""
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.id)
        ).scalars()
    )
