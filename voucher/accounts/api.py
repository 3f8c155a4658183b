"""Account API: who am I."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from voucher.accounts.schemas import MeSchema

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="账户")


@blp.route("/me")
class Me(MethodView):
    """The caller."""

    decorators = (login_required,)

    @blp.response(200, MeSchema)
    @blp.doc(security=[{"bearer": []}])
    def get(self) -> Any:
        """当前用户及其权限范围"""
        return current_user
