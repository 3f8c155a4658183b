"""Settlement pages: results, claim proposal and submission, review, payment, reconciliation,
the district's list of trainee flags, and the trainee's claims in the wallet."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from voucher.accounts.roles import Role
from voucher.core.clock import business_today
from voucher.core.money import parse_yuan
from voucher.core.spreadsheet import XLSX_MIME, write_xlsx
from voucher.errors import DomainError, ValidationFailed
from voucher.settlement import claims as claim_services
from voucher.settlement import flags as flag_services
from voucher.settlement import reconcile, review
from voucher.settlement import results as result_services
from voucher.settlement.models import ClaimStatus
from voucher.settlement.rules import CERTIFICATE_LABELS
from voucher.wallet.session import current_person_id, trainee_required
from voucher.web import attachment_header, current_actor, handle_form, show_refusal

bp = Blueprint("settlement", __name__)

LEVEL_CHOICES = [
    ("", "—"),
    ("5", _l("五级/初级工")),
    ("4", _l("四级/中级工")),
    ("3", _l("三级/高级工")),
    ("2", _l("二级/技师")),
    ("1", _l("一级/高级技师")),
]


@bp.app_template_filter("claim_status")
def claim_status_label(status: str) -> str:
    """Every claim status in words (extends the foundation's draft/submitted labels)."""
    return str(review.STATUS_LABELS.get(status, status))


@bp.app_template_global("settlement_funnel")
def settlement_funnel() -> list[reconcile.FunnelRow]:
    """The city-wide funnel for the dashboard chart (only the total row is drawn)."""
    return reconcile.funnel(current_actor(), "unit")


@bp.app_template_global("funnel_bars")
def funnel_bars(row: reconcile.FunnelRow) -> list[dict[str, Any]]:
    """Bar geometry of the funnel chart (server-side SVG, no script)."""
    top = max(row.counts.values()) or 1
    return [
        {
            "label": str(reconcile.STAGE_LABELS[stage]),
            "count": row.counts[stage],
            "fen": row.fen[stage],
            "width": round(200 * row.counts[stage] / top, 1),
            "y": 8 + index * 30,
        }
        for index, stage in enumerate(reconcile.STAGES)
    ]


def _back(default: str) -> Any:
    return redirect(request.referrer or default)


def _act(action: Any, success: str, then: str) -> Any:
    """A POST-only action: run it, flash the outcome (or the refusal's reason), go back."""
    try:
        action()
    except DomainError as exc:
        flash(str(exc.message), "error")
        for message in exc.errors.values():
            flash(str(message), "error")
        return redirect(then)
    flash(success, "success")
    return redirect(then)


# ---- results ----------------------------------------------------------------------------------


class ResultForm(FlaskForm):
    """One trainee's assessment result and certificate."""

    outcome = SelectField(
        _l("考核结果"), choices=[("passed", _l("合格")), ("failed", _l("不合格"))]
    )
    occupation = StringField(
        _l("证书职业（工种）"),
        validators=[Length(max=64)],
        description=_l("证书上注明的职业（工种）名称或代码"),
    )
    certificate_type = SelectField(
        _l("证书类型"), choices=[("", "—")] + [(k, str(v)) for k, v in CERTIFICATE_LABELS.items()]
    )
    level = SelectField(_l("等级（职业技能等级证书）"), choices=LEVEL_CHOICES)
    certificate_no = StringField(_l("证书编号"), validators=[Length(max=40)])
    issued_on = DateField(_l("发证日期"), validators=[Optional()])
    assessment_body = StringField(_l("评价（考核）机构"), validators=[Length(max=120)])


class ImportForm(FlaskForm):
    """The assessment body's results file."""

    file = FileField(_l("考核结果 Excel 文件（.xlsx）"))


@bp.route("/settlement/results")
@login_required
def results() -> Any:
    """The unit's redeemed trainees with their results; import from Excel."""
    actor = current_actor()
    actor.require(Role.UNIT)
    return render_template(
        "settlement/results.html",
        rows=result_services.trainees(actor),
        form=ImportForm(),
        headers=result_services.IMPORT_HEADERS,
        labels=CERTIFICATE_LABELS,
    )


@bp.route("/settlement/results/import", methods=["POST"])
@login_required
def import_results() -> Any:
    """All rows or none; each bad row named."""
    actor = current_actor()
    actor.require(Role.UNIT)
    form = ImportForm()
    upload = form.file.data
    try:
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationFailed(_l("请选择要上传的文件"), code="upload_missing")
        count = result_services.import_results(actor, upload.stream, upload.filename)
    except DomainError as exc:
        show_refusal(form, exc)
        return render_template(
            "settlement/results.html",
            rows=result_services.trainees(actor),
            form=form,
            headers=result_services.IMPORT_HEADERS,
            labels=CERTIFICATE_LABELS,
            row_errors=exc.errors,
        ), 422
    flash(_("已导入 %(n)s 条考核结果", n=count), "success")
    return redirect(url_for("settlement.results"))


@bp.route("/settlement/results/template.xlsx")
@login_required
def results_template() -> Any:
    """An empty import file with the expected header row."""
    current_actor().require(Role.UNIT)
    body = write_xlsx(result_services.IMPORT_HEADERS, [], title="考核结果")
    return Response(
        body,
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": attachment_header("考核结果导入模板.xlsx")},
    )


@bp.route("/settlement/results/<int:redemption_id>", methods=["GET", "POST"])
@login_required
def record_result(redemption_id: int) -> Any:
    """Record one trainee's result and certificate."""
    actor = current_actor()
    actor.require(Role.UNIT)
    redemption = result_services.get_redemption(actor, redemption_id)
    form = ResultForm()
    if request.method == "GET":
        form.occupation.data = redemption.voucher.entry.name

    def save() -> Any:
        return result_services.record_result(
            actor,
            redemption.id,
            result_services.ResultInput(
                passed=form.outcome.data == "passed",
                occupation=form.occupation.data or "",
                certificate_type=form.certificate_type.data or "",
                level=form.level.data or "",
                certificate_no=form.certificate_no.data or "",
                issued_on=form.issued_on.data,
                assessment_body=form.assessment_body.data or "",
            ),
        )

    outcome = handle_form(
        form,
        save,
        success=_("考核结果已保存"),
        then=lambda _r: url_for("settlement.results"),
    )
    if not isinstance(outcome, int):
        return outcome
    return render_template("settlement/result_form.html", form=form, redemption=redemption), outcome


# ---- the unit's claim -----------------------------------------------------------------------


class SubmitForm(FlaskForm):
    """Unit and assessment-body details, and the integrity pledge."""

    unit_details = TextAreaField(
        _l("单位信息（联系人、电话、收款账户）"), validators=[Length(max=2000)]
    )
    body_details = TextAreaField(_l("评价（考核）机构信息"), validators=[Length(max=2000)])
    pledge = BooleanField(
        _l(
            "本单位承诺：所申领补贴的学员均真实参加培训并取得证书，所报材料真实、准确、完整，"
            "如有虚假，愿退回补贴并承担相应责任。"
        )
    )


@bp.route("/settlement/proposal")
@login_required
def proposal() -> Any:
    """What a claim generated now would hold, and every excluded voucher with its reason."""
    actor = current_actor()
    actor.require(Role.UNIT)
    return render_template(
        "settlement/proposal.html",
        proposal=claim_services.propose(actor),
        draft=claim_services.draft_of(actor),
    )


@bp.route("/settlement/claims/generate", methods=["POST"])
@login_required
def generate() -> Any:
    """Put every claimable voucher on the unit's draft claim."""
    actor = current_actor()
    actor.require(Role.UNIT)
    try:
        done = claim_services.generate_claims(actor)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("settlement.proposal"))
    draft = claim_services.draft_of(actor)
    if draft is None:
        flash(_("没有可以申领的培训券"), "warning")
        return redirect(url_for("settlement.proposal"))
    flash(_("已生成申领明细 %(n)s 条", n=done.lines), "success")
    return redirect(url_for("settlement.claim", claim_id=draft.id))


@bp.route("/settlement/claims")
@login_required
def claims() -> Any:
    """The claims the signed-in officer or unit may see."""
    actor = current_actor()
    status = request.args.get("status") or None
    return render_template(
        "settlement/claims.html",
        claims=claim_services.claims_of(actor, status=status),
        status=status,
        statuses=review.STATUS_LABELS,
    )


@bp.route("/settlement/claims/<int:claim_id>", methods=["GET", "POST"])
@login_required
def claim(claim_id: int) -> Any:
    """One claim: lines, status, timeline; the unit submits, officers review here."""
    actor = current_actor()
    item = review.get_claim(actor, claim_id)
    form = SubmitForm()
    if request.method == "GET":
        form.unit_details.data = item.unit_details
        form.body_details.data = item.body_details
    status = 200
    if request.method == "POST":
        actor.require(Role.UNIT)
        outcome = handle_form(
            form,
            lambda: claim_services.submit_claim(
                actor,
                item.id,
                pledge=bool(form.pledge.data),
                unit_details=form.unit_details.data or "",
                body_details=form.body_details.data or "",
            ),
            success=_("申领已提交，等待区人社局初审"),
            then=lambda c: url_for("settlement.claim", claim_id=c.id),
            status_of_refusal=lambda exc: exc.status,
        )
        if not isinstance(outcome, int):
            return outcome
        status = outcome
        item = review.get_claim(actor, claim_id)
    return render_template(
        "settlement/claim.html",
        claim=item,
        form=form,
        timeline=review.timeline(actor, item.id),
        lines=review.line_views(actor, item.id),
        role=actor.role,
        can_check=item.status == ClaimStatus.SUBMITTED
        and actor.role in (Role.DISTRICT, Role.FINANCE),
        can_approve=item.status == ClaimStatus.CHECKED and actor.role is Role.FINANCE,
        can_pay=item.status == ClaimStatus.APPROVED and actor.role is Role.FINANCE,
        decisions=review.DECISION_LABELS,
        today=business_today().isoformat(),
    ), status


@bp.route("/settlement/claims/<int:claim_id>/lines/<int:line_id>/remove", methods=["POST"])
@login_required
def remove_line(claim_id: int, line_id: int) -> Any:
    """Take a line off the draft."""
    actor = current_actor()
    return _act(
        lambda: claim_services.remove_line(actor, claim_id, line_id),
        _("已移出申领"),
        url_for("settlement.claim", claim_id=claim_id),
    )


@bp.route("/settlement/claims/<int:claim_id>/lines/<int:line_id>/decide", methods=["POST"])
@login_required
def decide(claim_id: int, line_id: int) -> Any:
    """Approve, reduce or reject one line."""
    actor = current_actor()
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")
    target = url_for("settlement.claim", claim_id=claim_id) + f"#line-{line_id}"

    def act() -> None:
        amount = None
        if decision == "reduced":
            amount = parse_yuan(request.form.get("approved", "").strip() or "0")
        review.decide_line(
            actor, claim_id, line_id, decision=decision, approved_fen=amount, reason=reason
        )

    return _act(act, _("已记录审核结论"), target)


@bp.route("/settlement/claims/<int:claim_id>/check", methods=["POST"])
@login_required
def complete_check(claim_id: int) -> Any:
    """Finish the first review."""
    actor = current_actor()
    return _act(
        lambda: review.complete_check(actor, claim_id),
        _("初审完成，已转财务审批"),
        url_for("settlement.claim", claim_id=claim_id),
    )


@bp.route("/settlement/claims/<int:claim_id>/approve", methods=["POST"])
@login_required
def approve(claim_id: int) -> Any:
    """Finance approval."""
    actor = current_actor()
    return _act(
        lambda: review.approve_claim(actor, claim_id),
        _("已审批通过"),
        url_for("settlement.claim", claim_id=claim_id),
    )


@bp.route("/settlement/claims/<int:claim_id>/pay", methods=["POST"])
@login_required
def pay(claim_id: int) -> Any:
    """Record a payment."""
    actor = current_actor()

    def act() -> None:
        raw = request.form.get("paid_on", "").strip()
        try:
            paid_on = date.fromisoformat(raw) if raw else None
        except ValueError as exc:
            raise ValidationFailed(_l("支付日期格式不正确"), code="paid_on_invalid") from exc
        review.record_payment(
            actor,
            claim_id,
            paid_on=paid_on,
            bank_reference=request.form.get("bank_reference", ""),
            amount_fen=parse_yuan(request.form.get("amount", "").strip() or "0"),
        )

    return _act(act, _("已记录支付"), url_for("settlement.claim", claim_id=claim_id))


# ---- reconciliation -------------------------------------------------------------------------


def _period() -> reconcile.Period:
    def day(name: str) -> date | None:
        raw = (request.args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise ValidationFailed(_l("日期格式不正确：%(v)s", v=raw), code="date_invalid") from exc

    return reconcile.Period(day("start"), day("end"))


@bp.route("/settlement/reconciliation")
@login_required
def reconciliation() -> Any:
    """The funnel by unit, project or district and period, with drill-down and exports."""
    actor = current_actor()
    dimension = request.args.get("by", "unit")
    rows = reconcile.funnel(actor, dimension, _period())
    return render_template(
        "settlement/reconciliation.html",
        rows=rows,
        stages=reconcile.STAGES,
        stage_labels=reconcile.STAGE_LABELS,
        dimensions=reconcile.DIMENSIONS,
        dimension=dimension,
        args=request.args,
    )


@bp.route("/settlement/reconciliation.xlsx")
@login_required
def reconciliation_export() -> Any:
    """The funnel as xlsx."""
    actor = current_actor()
    dimension = request.args.get("by", "unit")
    rows = reconcile.funnel(actor, dimension, _period())
    headers = [str(reconcile.DIMENSIONS[dimension])]
    for stage in reconcile.STAGES:
        label = str(reconcile.STAGE_LABELS[stage])
        headers += [f"{label}（人）", f"{label}（元）"]
    body = write_xlsx(
        headers,
        (
            [row.label] + [v for s in reconcile.STAGES for v in (row.counts[s], row.fen[s] / 100)]
            for row in rows
        ),
        title="对账",
    )
    return Response(
        body,
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": attachment_header("补贴对账.xlsx")},
    )


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None


@bp.route("/settlement/reconciliation/lines")
@login_required
def reconciliation_lines() -> Any:
    """Drill-down: the claim lines behind a funnel row (masked)."""
    actor = current_actor()
    unit_id, entry_id = _int_arg("unit_id"), _int_arg("entry_id")
    rows = list(reconcile.line_rows(actor, unit_id, entry_id, limit=1000))
    return render_template(
        "settlement/lines.html",
        rows=rows,
        headers=reconcile.LINE_HEADERS,
        args=request.args,
    )


@bp.route("/settlement/reconciliation/lines.xlsx")
@login_required
def reconciliation_lines_export() -> Any:
    """Every claim line behind a funnel row as xlsx, ID numbers masked (streamed rows)."""
    actor = current_actor()
    rows = reconcile.line_rows(actor, _int_arg("unit_id"), _int_arg("entry_id"))
    body = write_xlsx(reconcile.LINE_HEADERS, rows, title="申领明细")
    return Response(
        body,
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": attachment_header("申领明细.xlsx")},
    )


# ---- trainee flags ----------------------------------------------------------------------------


@bp.route("/settlement/flags")
@login_required
def flags() -> Any:
    """Trainees who say they did not attend (district officer's list)."""
    actor = current_actor()
    return render_template("settlement/flags.html", rows=flag_services.flags_for(actor))


@bp.route("/wallet/claims")
@trainee_required
def wallet_claims() -> Any:
    """Which unit claimed a subsidy in the trainee's name."""
    person_id = current_person_id()
    assert person_id is not None  # trainee_required
    return render_template(
        "settlement/wallet_claims.html", rows=flag_services.claims_in_name(person_id)
    )


@bp.route("/wallet/claims/<int:line_id>/flag", methods=["POST"])
@trainee_required
def wallet_flag(line_id: int) -> Any:
    """我没有参加培训."""
    person_id = current_person_id()
    assert person_id is not None
    return _act(
        lambda: flag_services.flag_not_attended(person_id, line_id, request.form.get("note", "")),
        _("已提交，区人社局将核实处理"),
        url_for("settlement.wallet_claims"),
    )
