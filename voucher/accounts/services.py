"""Account use cases: create users, authenticate, API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.models import ApiToken, User
from voucher.accounts.roles import ROLE_LABELS, Role
from voucher.accounts.rules import check_binding, check_password_strength
from voucher.audit.services import record
from voucher.db import DriverStatement, db, unit_of_work, utcnow
from voucher.errors import Conflict, NotFound, ValidationFailed

TOKEN_PREFIX = "gzv_"  # noqa: S105 — a public marker of our tokens, not a secret
_DUMMY_HASH = generate_password_hash("timing-equaliser-not-a-password")


def actor_for(user: User | TokenUser) -> Actor:
    """The actor (with scope) a signed-in user acts as."""
    return Actor(
        user_id=user.id,
        role=Role(user.role),
        label=f"{user.username}({ROLE_LABELS[Role(user.role)]})",
        district=user.district,
        unit_id=user.unit_id,
    )


def create_user(
    actor: Actor,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role | str,
    district: str | None = None,
    unit_id: int | None = None,
) -> User:
    """Create a staff account (city officers and the command line only)."""
    actor.require(Role.CITY)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(_l("未知角色：%(r)s", r=role), code="role_unknown") from None
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationFailed(_l("用户名不能为空且不超过 64 个字符"), code="username_invalid")
    check_password_strength(password)
    district = check_binding(role, district, unit_id)
    with unit_of_work() as session:
        if session.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(_l("用户名 %(u)s 已存在", u=username), code="username_taken")
        user = User(
            username=username,
            display_name=display_name.strip() or username,
            password_hash=generate_password_hash(password),
            role=role.value,
            district=district,
            unit_id=unit_id,
        )
        session.add(user)
        session.flush()
        record(actor, "user.created", "user", user.id, {"role": role.value, "district": district})
    return user


def authenticate(username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (same cost either way)."""
    user = db.session.execute(
        select(User).where(User.username == username.strip())
    ).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def note_login(user: User) -> None:
    """Record a successful sign-in."""
    with unit_of_work():
        db.session.merge(user).last_login_at = utcnow()
        record(actor_for(user), "user.login", "user", user.id)


def set_password(actor: Actor, user_id: int, password: str) -> None:
    """Set a user's password (the user themself, a city officer, or the command line)."""
    if actor.user_id != user_id:
        actor.require(Role.CITY)
    check_password_strength(password)
    with unit_of_work() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(_l("未找到该用户"))
        user.password_hash = generate_password_hash(password)
        record(actor, "user.password_set", "user", user.id)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(actor: Actor, user_id: int, name: str) -> str:
    """Create an API token for a user; the plain token is returned once and never stored."""
    if actor.user_id != user_id:
        actor.require(Role.CITY)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as session:
        if session.get(User, user_id) is None:
            raise NotFound(_l("未找到该用户"))
        row = ApiToken(
            user_id=user_id,
            name=name.strip()[:64] or "api",
            prefix=token[:12],
            token_hash=_token_digest(token),
        )
        session.add(row)
        session.flush()
        record(actor, "api_token.issued", "user", user_id, {"token_id": row.id, "name": row.name})
    return token


@dataclass(frozen=True)
class TokenUser:
    """The account a bearer token acts for, as read when the token was checked.

    Flask-Login's user for API calls: the few columns an API call needs, not an ORM object, so
    it can be kept between requests (see ``user_for_token``).
    """

    id: int
    username: str
    display_name: str
    role: str
    district: str | None
    unit_id: int | None
    actor: Actor = field(init=False, compare=False)
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "actor", actor_for(self))

    def get_id(self) -> str:
        return str(self.id)


#: token digest -> (monotonic expiry, user); per process, only tokens that were valid.
_token_cache: dict[str, tuple[float, TokenUser]] = {}
_TOKEN_CACHE_MAX = 10_000


_TOKEN_USER = DriverStatement(
    lambda: (
        select(User.id, User.username, User.display_name, User.role, User.district, User.unit_id)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("digest"),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    )
)


def user_for_token(token: str) -> TokenUser | None:
    """The active user behind a bearer token, or None if unknown or revoked.

    A valid token is remembered by this process for ``API_TOKEN_CACHE_SECONDS`` (whole seconds,
    ``VOUCHER_API_TOKEN_CACHE_SECONDS``; 0 turns it off): API clients such as a desk's scanner
    call many times a second, and the lookup was a database round trip on every redemption.
    Revoking a token forgets it in the revoking process at once; other worker processes stop
    accepting it within those seconds.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _token_digest(token)
    now = time.monotonic()
    cached = _token_cache.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = _TOKEN_USER.read({"digest": digest})
    if row is None:
        _token_cache.pop(digest, None)
        return None
    user = TokenUser(*row)
    seconds = current_app.config["API_TOKEN_CACHE_SECONDS"]
    if seconds > 0:
        if len(_token_cache) >= _TOKEN_CACHE_MAX:
            _token_cache.clear()
        _token_cache[digest] = (now + seconds, user)
    return user


def active_tokens(user_id: int) -> list[ApiToken]:
    """A user's tokens that are not revoked, oldest first."""
    return list(
        db.session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        ).scalars()
    )


def forget_token(digest: str) -> None:
    """Drop a token from this process's cache (it was revoked)."""
    _token_cache.pop(digest, None)


def revoke_api_token(actor: Actor, token_id: int) -> None:
    """Revoke a token (its owner or a city officer)."""
    with unit_of_work():
        row = get_visible(ApiToken, token_id, actor)  # another user's token: "not found"
        row.revoked_at = utcnow()
        digest = row.token_hash
        record(actor, "api_token.revoked", "user", row.user_id, {"token_id": token_id})
    forget_token(digest)


def list_users() -> list[User]:
    """Every staff account, by username."""
    return list(db.session.execute(select(User).order_by(User.username)).scalars())
