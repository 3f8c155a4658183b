"""Calendar page for city officers: a year's overrides and status; add, remove, declare."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from voucher.accounts.roles import Role
from voucher.core.clock import business_today
from voucher.core.workdays import library_years
from voucher.errors import DomainError
from voucher.web import current_actor
from voucher.workcal import services
from voucher.workcal.rules import (
    DAY_NOTE_MAX,
    YEAR_MAX,
    YEAR_MIN,
    YEAR_NOTE_MAX,
    YEAR_STATUS_LABELS,
    YearStatus,
    builtin_special_days,
    check_year,
    weekday_label,
)

bp = Blueprint("workcal", __name__, url_prefix="/calendar")

KINDS = [("holiday", _l("放假")), ("workday", _l("上班"))]


class DayForm(FlaskForm):
    """Set one date as a working day or a day off."""

    day = DateField(_l("日期"), validators=[InputRequired(_l("请选择日期"))])
    kind = SelectField(_l("类型"), choices=KINDS, validators=[DataRequired()])
    note = StringField(
        _l("说明（如 春节、国庆节调休上班）"),
        validators=[Length(max=DAY_NOTE_MAX, message=_l("说明最多 %(max)d 个字"))],
    )


class ClearForm(FlaskForm):
    """Remove one override (the CSRF token and the date)."""

    day = HiddenField(validators=[DataRequired()])


class DeclareForm(FlaskForm):
    """Declare a year's schedule completely entered."""

    declare_note = StringField(
        _l("依据或说明（如 国办发明电〔2026〕X号）"),
        validators=[Length(max=YEAR_NOTE_MAX, message=_l("说明最多 %(max)d 个字"))],
    )


def _year_arg() -> int:
    year = request.args.get("year", type=int)
    return check_year(business_today().year if year is None else year)


def _year_choices(current: int) -> list[int]:
    first, last = library_years()
    today = business_today().year
    years = {*range(first, max(last, today + 2) + 1), current}
    years.update(services.declared_years(), services.override_years())
    return sorted(y for y in years if YEAR_MIN <= y <= YEAR_MAX)


def _render(
    year: int,
    *,
    day_form: DayForm | None = None,
    declare_form: DeclareForm | None = None,
    status: int = 200,
) -> Any:
    info = services.year_info(year)
    return render_template(
        "workcal/index.html",
        year=year,
        info=info,
        status_label=YEAR_STATUS_LABELS[info.status],
        YearStatus=YearStatus,
        days=services.days_for_year(year),
        builtin=builtin_special_days(year),
        years=_year_choices(year),
        day_form=day_form or DayForm(formdata=None, day=_default_day(year)),
        declare_form=declare_form or DeclareForm(formdata=None),
        clear_form=ClearForm(formdata=None),
        weekday=weekday_label,
        library=library_years(),
    ), status


def _default_day(year: int) -> date:
    today = business_today()
    return today if today.year == year else date(year, 1, 1)


@bp.route("")
@login_required
def index() -> Any:
    """One year's overrides and status (city officers)."""
    current_actor().require(Role.CITY)
    return _render(_year_arg())


@bp.route("/days", methods=["POST"])
@login_required
def set_day() -> Any:
    """Add or change an override."""
    actor = current_actor()
    actor.require(Role.CITY)
    form = DayForm()
    year = _year_arg()
    if form.validate_on_submit():
        day = form.day.data
        try:
            services.set_day(actor, day, form.kind.data == "workday", form.note.data or "")
        except DomainError as exc:
            form.day.errors = [str(exc)]
        else:
            kind = _("上班") if form.kind.data == "workday" else _("放假")
            flash(_("已将 %(d)s 设为%(k)s", d=day.isoformat(), k=kind), "success")
            return redirect(url_for("workcal.index", year=day.year))
    return _render(year, day_form=form, status=422)


@bp.route("/days/delete", methods=["POST"])
@login_required
def clear_day() -> Any:
    """Remove an override: the built-in calendar applies again."""
    actor = current_actor()
    actor.require(Role.CITY)
    form = ClearForm()
    year = _year_arg()
    if form.validate_on_submit():
        try:
            day = date.fromisoformat(form.day.data or "")
        except ValueError:
            flash(_("日期格式不正确"), "error")
        else:
            try:
                services.clear_day(actor, day)
            except DomainError as exc:
                flash(str(exc), "error")
            else:
                flash(_("已删除 %(d)s 的调整", d=day.isoformat()), "success")
                return redirect(url_for("workcal.index", year=day.year))
    return _render(year, status=422)


@bp.route("/years/<int:year>/declare", methods=["POST"])
@login_required
def declare_year(year: int) -> Any:
    """Declare the year's holidays and make-up days completely entered."""
    actor = current_actor()
    actor.require(Role.CITY)
    check_year(year)
    form = DeclareForm()
    if form.validate_on_submit():
        try:
            services.declare_year(actor, year, form.declare_note.data or "")
        except DomainError as exc:
            form.declare_note.errors = [str(exc)]
        else:
            flash(_("已声明 %(y)d 年节假日安排录入完整", y=year), "success")
            return redirect(url_for("workcal.index", year=year))
    return _render(year, declare_form=form, status=422)
