"""Calendar API: is a date a working day; which date lies n working days away (anyone signed in)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import login_required
from flask_smorest import Blueprint

from voucher.workcal import services
from voucher.workcal.schemas import AddWorkdaysArgs, AddWorkdaysSchema, DateArgs, WorkdaySchema

blp = Blueprint(
    "calendar_api", __name__, url_prefix="/api/v1/calendar", description="工作日历（含调休）"
)


@blp.route("/workdays")
class Workday(MethodView):
    """One date on the working-day calendar."""

    decorators = (login_required,)

    @blp.arguments(DateArgs(), location="query")
    @blp.response(200, WorkdaySchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, args: dict[str, Any]) -> Any:
        """某日是否为工作日（年份未录入时 422 calendar_unknown）"""
        return services.lookup(args["date"])


@blp.route("/add-workdays")
class AddWorkdays(MethodView):
    """Working-day arithmetic."""

    decorators = (login_required,)

    @blp.arguments(AddWorkdaysArgs(), location="query")
    @blp.response(200, AddWorkdaysSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, args: dict[str, Any]) -> Any:
        """某日之后第 n 个工作日（不计当日；n 为负数时向前推算）"""
        return services.add_workdays(args["date"], args["n"])
