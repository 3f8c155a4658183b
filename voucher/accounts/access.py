"""One authorization mechanism for every service: the actor and its scope.

A scoped model declares ``scope_clause(actor)``: the SQL condition under which the actor may
see a row. Services load through :func:`get_visible` / :func:`visible`; an object outside the
caller's scope is indistinguishable from a missing one ("not found").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, select

from voucher.accounts.roles import Role
from voucher.db import db
from voucher.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Actor:
    """Who is acting, with the scope that bounds what they may see and change."""

    user_id: int | None
    role: Role | None
    label: str
    district: str | None = None
    unit_id: int | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The command line and scheduled jobs: every scope, no user."""
        return cls(user_id=None, role=None, label=label)

    @property
    def is_system(self) -> bool:
        return self.role is None

    def require(self, *roles: Role) -> None:
        """Refuse the action unless the actor holds one of ``roles`` (the system may act)."""
        if self.is_system or self.role in roles:
            return
        raise Forbidden(_l("您的角色无权执行此操作"))


class Scoped(Protocol):
    """A model whose rows are visible by scope."""

    id: Any

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None: ...


M = TypeVar("M", bound=Scoped)


def visible(stmt: Select[Any], model: type[Scoped], actor: Actor) -> Select[Any]:
    """Narrow a SELECT to the rows of ``model`` the actor may see."""
    if actor.is_system:
        return stmt
    clause = model.scope_clause(actor)
    return stmt if clause is None else stmt.where(clause)


def get_visible(model: type[M], object_id: Any, actor: Actor, *, for_update: bool = False) -> M:
    """Load one object the actor may see, or raise NotFound (also when it is out of scope)."""
    stmt = visible(select(model).where(model.id == object_id), model, actor)
    if for_update:
        stmt = stmt.with_for_update()
    obj = db.session.execute(stmt).scalar_one_or_none()
    if obj is None:
        raise NotFound(_l("未找到该记录"))
    return obj


def all_visible(model: type[M], actor: Actor, *where: Iterable[Any]) -> list[M]:
    """Every object of ``model`` the actor may see, filtered by ``where``."""
    return list(db.session.execute(visible(select(model).where(*where), model, actor)).scalars())
