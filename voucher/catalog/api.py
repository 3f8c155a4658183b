"""Catalogue API: search (anyone signed in), set standards (city officers)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import login_required
from flask_smorest import Blueprint

from voucher.catalog import services
from voucher.catalog.schemas import EntrySchema, PageSchema, SearchArgs, StandardIn, StandardSchema
from voucher.web import current_actor

blp = Blueprint(
    "catalogue_api", __name__, url_prefix="/api/v1/catalogue", description="职业（工种）目录"
)


@blp.route("")
class Catalogue(MethodView):
    """The attachment-5 catalogue."""

    decorators = (login_required,)

    @blp.arguments(SearchArgs(), location="query")
    @blp.response(200, PageSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, args: dict[str, Any]) -> Any:
        """按名称、编码、类型搜索目录"""
        return services.search(
            args["q"],
            category=args["category"],
            certificate_type=args["certificate_type"],
            page=args["page"],
            per_page=args["per_page"],
        )


@blp.route("/<int:entry_id>")
class Entry(MethodView):
    """One entry."""

    decorators = (login_required,)

    @blp.response(200, EntrySchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, entry_id: int) -> Any:
        """目录条目及其补贴标准"""
        return services.get_entry(entry_id)


@blp.route("/<int:entry_id>/standards/<level>")
class Standard(MethodView):
    """The standard of one entry at one level."""

    decorators = (login_required,)

    @blp.arguments(StandardIn())
    @blp.response(200, StandardSchema)
    @blp.doc(security=[{"bearer": []}])
    def put(self, body: dict[str, Any], entry_id: int, level: str) -> Any:
        """设置补贴标准（分），仅市人社局"""
        return services.set_standard(current_actor(), entry_id, level, body["amount_fen"])


@blp.route("/code/<code>")
class EntryByCode(MethodView):
    """One entry by its catalogue code (e.g. 4-10-01-05)."""

    decorators = (login_required,)

    @blp.response(200, EntrySchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self, code: str) -> Any:
        """按编码查询目录条目"""
        return services.entry_by_code(code)
