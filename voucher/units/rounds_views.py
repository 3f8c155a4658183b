"""City officers open solicitation rounds: deadlines, notice days and weighted criteria."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

from voucher.accounts.roles import Role
from voucher.db import db
from voucher.policy import POLICY
from voucher.units.models import ReviewRound
from voucher.units.rules import DEFAULT_CRITERIA
from voucher.units.services import close_round, create_round
from voucher.web import current_actor, handle_form

bp = Blueprint("rounds", __name__)

CRITERIA_ROWS = 8


class RoundForm(FlaskForm):
    """A new round; the criteria come as label/weight rows read from the request."""

    name = StringField(_l("批次名称"), validators=[DataRequired(_l("请填写批次名称"))])
    year = IntegerField(
        _l("年度"), validators=[DataRequired(_l("请填写年度")), NumberRange(2000, 2100)]
    )
    unit_deadline = DateField(_l("培训机构提交截止日期（默认8月10日）"), validators=[Optional()])
    district_deadline = DateField(
        _l("区人社局报送截止日期（默认8月25日）"), validators=[Optional()]
    )
    notice_days = IntegerField(
        _l("公示天数"), default=POLICY.notice_days, validators=[NumberRange(1, 60)]
    )


def _criteria_from_request() -> list[dict[str, Any]]:
    rows = []
    for i in range(CRITERIA_ROWS):
        label = request.form.get(f"criterion-{i}-label", "").strip()
        weight = request.form.get(f"criterion-{i}-weight", "").strip()
        if label or weight:
            rows.append(
                {
                    "key": f"c{i + 1}",
                    "label": label,
                    "weight": int(weight) if weight.isdigit() else 0,
                }
            )
    return rows


@bp.route("/review/rounds", methods=["GET", "POST"])
@login_required
def index() -> Any:
    """The rounds, and a form to open a new one (city officers)."""
    actor = current_actor()
    actor.require(Role.CITY)
    form = RoundForm()
    outcome = handle_form(
        form,
        lambda: create_round(
            actor,
            name=form.name.data or "",
            year=form.year.data or 0,
            unit_deadline=form.unit_deadline.data,
            district_deadline=form.district_deadline.data,
            notice_days=form.notice_days.data or POLICY.notice_days,
            criteria=_criteria_from_request(),
        ),
        success=_("征集批次已创建"),
        then=lambda _result: url_for("rounds.index"),
        redirect_code=303,
    )
    if isinstance(outcome, Response):
        return outcome
    rounds = db.session.execute(select(ReviewRound).order_by(ReviewRound.id.desc())).scalars()
    criteria = request.form if request.method == "POST" else None
    defaults = [(c["label"], c["weight"]) for c in DEFAULT_CRITERIA]
    defaults += [("", "")] * (CRITERIA_ROWS - len(defaults))
    return render_template(
        "review/rounds.html", form=form, rounds=list(rounds), defaults=defaults, posted=criteria
    ), outcome


@bp.route("/review/rounds/<int:round_id>/close", methods=["POST"])
@login_required
def close(round_id: int) -> Any:
    """Close a round: no new applications go into it."""
    close_round(current_actor(), round_id)
    flash(_("征集批次已关闭"), "success")
    return redirect(url_for("rounds.index"), code=303)
