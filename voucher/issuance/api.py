"""Issuance API: people, quotas, issuing, vouchers, batch progress (city officers; vouchers
also for units and finance within their scope)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import login_required
from flask_smorest import Blueprint

from voucher.issuance import batches, services
from voucher.issuance.schemas import (
    BatchSchema,
    IssueSchema,
    PersonInSchema,
    PersonSchema,
    PersonUpdateSchema,
    QuotaInSchema,
    QuotaSchema,
    RevokeSchema,
    VoucherQuerySchema,
    VoucherSchema,
)
from voucher.web import current_actor

blp = Blueprint("issuance_api", __name__, url_prefix="/api/v1", description="培训券发放")
SECURITY = [{"bearer": []}]


def _facts(data: dict[str, Any]) -> services.PersonFactsInput:
    return services.PersonFactsInput(
        residence_basis=data.get("residence_basis"),
        residence_source=data.get("residence_source", ""),
        residence_reference=data.get("residence_reference", ""),
        residence_date=data.get("residence_date"),
        groups=tuple(services.GroupInput(**g) for g in data.get("groups", [])),
        establishment_staff=data.get("establishment_staff", False),
        full_time_student=data.get("full_time_student", False),
        pensioner=data.get("pensioner", False),
    )


@blp.route("/people")
class People(MethodView):
    """The register of trainees."""

    decorators = (login_required,)

    @blp.response(200, PersonSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self) -> Any:
        """人员名册（身份证号码脱敏）"""
        return services.list_people(current_actor())

    @blp.arguments(PersonInSchema())
    @blp.response(201, PersonSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any]) -> Any:
        """登记人员：身份证号码校验、加密存储"""
        return services.register_person(
            current_actor(),
            id_number=data["id_number"],
            name=data["name"],
            phone=data["phone"],
            facts=_facts(data),
        )


@blp.route("/people/<int:person_id>")
class PersonItem(MethodView):
    """One person."""

    decorators = (login_required,)

    @blp.response(200, PersonSchema)
    @blp.doc(security=SECURITY)
    def get(self, person_id: int) -> Any:
        """一名人员"""
        return services.get_person(current_actor(), person_id)

    @blp.arguments(PersonUpdateSchema())
    @blp.response(200, PersonSchema)
    @blp.doc(security=SECURITY)
    def put(self, data: dict[str, Any], person_id: int) -> Any:
        """修改人员信息（身份证号码不可改）"""
        return services.update_person(
            current_actor(), person_id, name=data["name"], phone=data["phone"], facts=_facts(data)
        )


@blp.route("/quotas")
class Quotas(MethodView):
    """Quotas."""

    decorators = (login_required,)

    @blp.response(200, QuotaSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self) -> Any:
        """发券指标"""
        return services.list_quotas(current_actor())

    @blp.arguments(QuotaInSchema())
    @blp.response(201, QuotaSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any]) -> Any:
        """按揭榜核定人数创建指标（定向或通用）"""
        return services.create_quota(current_actor(), **data)


@blp.route("/quotas/<int:quota_id>/vouchers")
class QuotaVouchers(MethodView):
    """Issue from a quota."""

    decorators = (login_required,)

    @blp.arguments(IssueSchema())
    @blp.response(201, VoucherSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any], quota_id: int) -> Any:
        """向一名人员发券（核验全部资格规则）"""
        return services.issue_from_quota(
            current_actor(), quota_id=quota_id, person_id=data["person_id"], on_date=data["on_date"]
        )


@blp.route("/vouchers")
class Vouchers(MethodView):
    """Vouchers in the caller's scope."""

    decorators = (login_required,)

    @blp.arguments(VoucherQuerySchema(), location="query")
    @blp.response(200, VoucherSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self, query: dict[str, Any]) -> Any:
        """权限范围内的培训券"""
        return services.list_vouchers(current_actor(), **query)


@blp.route("/vouchers/<int:voucher_id>")
class VoucherItem(MethodView):
    """One voucher."""

    decorators = (login_required,)

    @blp.response(200, VoucherSchema)
    @blp.doc(security=SECURITY)
    def get(self, voucher_id: int) -> Any:
        """一张培训券（范围外答复 404）"""
        return services.get_voucher(current_actor(), voucher_id)


@blp.route("/vouchers/<int:voucher_id>/revoke")
class VoucherRevoke(MethodView):
    """Revoke a voucher."""

    decorators = (login_required,)

    @blp.arguments(RevokeSchema())
    @blp.response(200, VoucherSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any], voucher_id: int) -> Any:
        """撤销未使用的培训券（须填写原因）"""
        return services.revoke_voucher(current_actor(), voucher_id, data["reason"])


@blp.route("/batches/<int:batch_id>")
class BatchItem(MethodView):
    """A batch's progress."""

    decorators = (login_required,)

    @blp.response(200, BatchSchema)
    @blp.doc(security=SECURITY)
    def get(self, batch_id: int) -> Any:
        """批量发券进度"""
        return batches.get_batch(current_actor(), batch_id)
