"""Training-unit API: the operator's unit profile and the applications in the caller's scope."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import login_required
from flask_smorest import Blueprint

from voucher.units import applications as services
from voucher.units.schemas import ApplicationSchema, UnitProfileSchema
from voucher.web import current_actor

blp = Blueprint("units_api", __name__, url_prefix="/api/v1", description="培训机构与项目申报")


@blp.route("/units/me")
class MyUnit(MethodView):
    """The operator's own unit."""

    decorators = (login_required,)

    @blp.response(200, UnitProfileSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self) -> Any:
        """本单位基本情况（附件1 一）"""
        return services.get_unit(current_actor())


@blp.route("/applications")
class Applications(MethodView):
    """Applications in the caller's scope."""

    decorators = (login_required,)

    @blp.response(200, ApplicationSchema(many=True))
    @blp.doc(security=[{"bearer": []}])
    def get(self) -> Any:
        """权限范围内的项目申报（培训机构只看到本单位的）"""
        return services.list_applications(current_actor())


@blp.route("/applications/<int:application_id>")
class ApplicationItem(MethodView):
    """One application."""

    decorators = (login_required,)

    @blp.response(200, ApplicationSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, application_id: int) -> Any:
        """一份项目申报（范围外的答复 404）"""
        return services.get_application(current_actor(), application_id)
