"""Roles of staff accounts and what each may see."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    """A staff account's role."""

    CITY = "city_officer"
    DISTRICT = "district_officer"
    UNIT = "unit_operator"
    FINANCE = "finance_officer"


ROLE_LABELS = {
    Role.CITY: _l("市人社局经办人"),
    Role.DISTRICT: _l("区人社局经办人"),
    Role.UNIT: _l("培训机构操作员"),
    Role.FINANCE: _l("财务审核人员"),
}
