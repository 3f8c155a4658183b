"""Role home pages: each role signs in and lands on its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.portal import services
from voucher.web import current_actor

bp = Blueprint("portal", __name__)

HOME_ENDPOINTS = {
    Role.CITY: "portal.city",
    Role.DISTRICT: "portal.district",
    Role.UNIT: "portal.unit",
    Role.FINANCE: "portal.finance",
}


@bp.route("/")
@login_required
def home() -> Any:
    """Send each role to its home page."""
    return redirect(url_for(HOME_ENDPOINTS[current_actor().role]))


@bp.route("/healthz")
def healthz() -> Any:
    """Liveness probe for the process manager."""
    return {"status": "ok"}


def _page(role: Role, template: str, name: str, load: Callable[[Actor], Any]) -> Any:
    actor = current_actor()
    actor.require(role)
    return render_template(template, actor=actor, **{name: load(actor)})


@bp.route("/city")
@login_required
def city() -> Any:
    """市人社局 home."""
    return _page(Role.CITY, "portal/city.html", "data", services.city_home)


@bp.route("/district")
@login_required
def district() -> Any:
    """区人社局 home."""
    return _page(Role.DISTRICT, "portal/district.html", "units", services.district_units)


@bp.route("/unit")
@login_required
def unit() -> Any:
    """培训机构 home."""
    return _page(Role.UNIT, "portal/unit.html", "data", services.unit_home)


@bp.route("/finance")
@login_required
def finance() -> Any:
    """财务 home."""
    return _page(Role.FINANCE, "portal/finance.html", "claims", services.finance_claims)


@bp.route("/api/docs")
def api_docs() -> Any:
    """The OpenAPI docs page (Swagger UI served from our own static files)."""
    return render_template("api_docs.html")
