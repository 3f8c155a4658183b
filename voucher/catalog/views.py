"""Catalogue pages: search for everyone signed in; standards for city officers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired

from voucher.accounts.roles import Role
from voucher.catalog import services
from voucher.catalog.rules import LEVEL_LABELS, levels_for
from voucher.errors import DomainError
from voucher.web import attachment_header, current_actor

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


class StandardForm(FlaskForm):
    """Set one level's standard in yuan."""

    level = SelectField(_l("证书等级"), choices=[])
    amount = StringField(_l("补贴标准（元）"), validators=[DataRequired(_l("请填写金额"))])


class ImportForm(FlaskForm):
    """Upload an xlsx of standards."""

    file = FileField(_l("Excel 文件（.xlsx）"), validators=[FileRequired(_l("请选择文件"))])


@bp.route("")
@login_required
def index() -> Any:
    """Search the catalogue."""
    page = services.search(
        request.args.get("q", ""),
        category=request.args.get("category", ""),
        certificate_type=request.args.get("certificate_type", ""),
        page=request.args.get("page", 1, type=int),
    )
    return render_template(
        "catalogue/index.html", page=page, args=request.args, labels=LEVEL_LABELS
    )


@bp.route("/<int:entry_id>", methods=["GET", "POST"])
@login_required
def entry(entry_id: int) -> Any:
    """One entry and its standards; city officers set them here."""
    item = services.get_entry(entry_id)
    actor = current_actor()
    form = StandardForm()
    form.level.choices = [(lv, str(LEVEL_LABELS[lv])) for lv in levels_for(item.certificate_type)]
    status = 200
    if request.method == "POST":
        actor.require(Role.CITY)
        if form.validate_on_submit():
            try:
                services.set_standard(actor, item.id, form.level.data or "", form.amount.data or "")
            except DomainError as exc:
                form.amount.errors = [str(exc)]
                status = 422
            else:
                flash(_("补贴标准已保存"), "success")
                return redirect(url_for("catalogue.entry", entry_id=item.id))
        else:
            status = 422
    return render_template(
        "catalogue/entry.html",
        entry=item,
        form=form,
        can_edit=actor.role is Role.CITY,
        labels=LEVEL_LABELS,
    ), status


@bp.route("/standards/import", methods=["GET", "POST"])
@login_required
def import_standards() -> Any:
    """Upload standards as xlsx: every row is checked; nothing is saved unless all are valid."""
    actor = current_actor()
    actor.require(Role.CITY)
    form = ImportForm()
    problems: dict[str, str] = {}
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = services.import_standards(
                actor,
                upload.stream,
                filename=upload.filename or "",
                max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            )
        except DomainError as exc:
            flash(str(exc), "error")
            problems = exc.errors
            status = 422
        else:
            flash(
                _(
                    "导入完成：%(rows)s 行，更新 %(changed)s 项",
                    rows=result.rows,
                    changed=result.changed,
                ),
                "success",
            )
            return redirect(url_for("catalogue.index"))
    elif request.method == "POST":
        status = 422
    return render_template("catalogue/import.html", form=form, problems=problems), status


@bp.route("/export.xlsx")
@login_required
def export() -> Any:
    """The catalogue with standards, in the import format."""
    data = services.export_catalogue()
    return current_app.response_class(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": attachment_header("补贴标准目录.xlsx")},
    )
