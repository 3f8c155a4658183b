"""Redemption API: classes, voucher check, redeem (Idempotency-Key), void, change requests."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.views import MethodView
from flask_login import login_required
from flask_smorest import Blueprint

from voucher.redemption import classes, services
from voucher.redemption.idempotency import redeem_via_api
from voucher.redemption.rules import ClassDetails
from voucher.redemption.schemas import (
    ChangeInSchema,
    ChangeSchema,
    CheckInSchema,
    CheckSchema,
    ClassDetailsInSchema,
    ClassInSchema,
    ClassSchema,
    DecisionInSchema,
    RedeemInSchema,
    RedemptionSchema,
    VoidInSchema,
)
from voucher.web import current_actor

blp = Blueprint(
    "redemption_api", __name__, url_prefix="/api/v1", description="开班备案与培训券核销"
)
SECURITY = [{"bearer": []}]


@blp.route("/classes")
class Classes(MethodView):
    decorators = (login_required,)

    @blp.response(200, ClassSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self) -> Any:
        """权限范围内的班级"""
        return classes.list_classes(current_actor())

    @blp.arguments(ClassInSchema())
    @blp.response(201, ClassSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any]) -> Any:
        """开班备案（至少提前 5 个工作日）"""
        occupation_id = data.pop("occupation_id")
        return classes.file_class(current_actor(), occupation_id, ClassDetails(**data))


@blp.route("/classes/<int:class_id>")
class ClassItem(MethodView):
    decorators = (login_required,)

    @blp.response(200, ClassSchema)
    @blp.doc(security=SECURITY)
    def get(self, class_id: int) -> Any:
        """一个班级（范围外 404）"""
        return classes.get_class(current_actor(), class_id)

    @blp.arguments(ClassDetailsInSchema())
    @blp.response(200, ClassSchema)
    @blp.doc(security=SECURITY)
    def put(self, data: dict[str, Any], class_id: int) -> Any:
        """修改班级信息（仅开班前；开班后须提交变更申请）"""
        return classes.update_class(current_actor(), class_id, ClassDetails(**data))


@blp.route("/classes/<int:class_id>/roster")
class Roster(MethodView):
    decorators = (login_required,)

    @blp.response(200, RedemptionSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self, class_id: int) -> Any:
        """班级名册（有效核销）"""
        return classes.roster(current_actor(), class_id)


@blp.route("/classes/<int:class_id>/changes")
class ClassChanges(MethodView):
    decorators = (login_required,)

    @blp.arguments(ChangeInSchema())
    @blp.response(201, ChangeSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any], class_id: int) -> Any:
        """开班后的变更申请（区人社局审批）"""
        return classes.request_change(current_actor(), class_id, **data)


@blp.route("/class-changes/<int:change_id>/decision")
class ChangeDecision(MethodView):
    decorators = (login_required,)

    @blp.arguments(DecisionInSchema())
    @blp.response(200, ChangeSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any], change_id: int) -> Any:
        """区人社局批准或驳回变更申请"""
        return classes.decide_change(current_actor(), change_id, **data)


@blp.route("/vouchers/check")
class Check(MethodView):
    decorators = (login_required,)

    @blp.arguments(CheckInSchema())
    @blp.response(200, CheckSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any]) -> Any:
        """核验扫到或输入的培训券（不作任何改动）"""
        return services.check_voucher(current_actor(), data["code"])


@blp.route("/redemptions")
class Redemptions(MethodView):
    decorators = (login_required,)

    @blp.response(200, RedemptionSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self) -> Any:
        """权限范围内的核销记录（最新在前）"""
        return services.list_redemptions(current_actor())

    @blp.arguments(RedeemInSchema())
    @blp.response(201, RedemptionSchema)
    @blp.doc(
        security=SECURITY,
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "schema": {"type": "string", "maxLength": 128},
                "description": "同一键、同一请求体返回第一次的答复；同一键、不同请求体被拒绝",
            }
        ],
    )
    def post(self, data: dict[str, Any]) -> Any:
        """核销培训券：抵扣 = min(券面, 培训费)"""
        status, body = redeem_via_api(current_actor(), request.headers.get("Idempotency-Key"), data)
        response = jsonify(body)
        response.status_code = status
        return response


@blp.route("/redemptions/<int:redemption_id>")
class RedemptionItem(MethodView):
    decorators = (login_required,)

    @blp.response(200, RedemptionSchema)
    @blp.doc(security=SECURITY)
    def get(self, redemption_id: int) -> Any:
        """一条核销记录（范围外 404）"""
        return services.get_redemption(current_actor(), redemption_id)


@blp.route("/redemptions/<int:redemption_id>/void")
class Void(MethodView):
    decorators = (login_required,)

    @blp.arguments(VoidInSchema())
    @blp.response(200, RedemptionSchema)
    @blp.doc(security=SECURITY)
    def post(self, data: dict[str, Any], redemption_id: int) -> Any:
        """作废核销（开班前由机构；开班后由区人社局）"""
        return services.void_redemption(current_actor(), redemption_id, reason=data["reason"])
