"""Chinese labels of the 揭榜领题 statuses and audit actions, shared by services and pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from voucher.units.models import ApplicationStatus as S
from voucher.units.models import UnitStatus

#: An application's status as its training unit reads it.
STATUS_LABELS = {
    S.DRAFT: _l("草稿"),
    S.SUBMITTED: _l("已提交区人社局"),
    S.RETURNED: _l("已退回修改"),
    S.DISTRICT_PASSED: _l("区初审通过"),
    S.APPROVED: _l("市评审通过"),
    S.REJECTED: _l("未通过"),
    S.IN_NOTICE: _l("公示中"),
    S.ACCEPTED: _l("已备案（揭榜单位）"),
}


def status_label(status: str) -> str:
    """An application status in Chinese."""
    return str(STATUS_LABELS.get(status, status))


#: An application's status as the reviewing officers read it (e.g. 待区初审 for 已提交).
REVIEW_STATUS_LABELS = {
    S.DRAFT: _l("草稿"),
    S.SUBMITTED: _l("待区初审"),
    S.RETURNED: _l("已退回修改"),
    S.DISTRICT_PASSED: _l("区初审通过"),
    S.APPROVED: _l("集体决策通过"),
    S.REJECTED: _l("未通过"),
    S.IN_NOTICE: _l("公示中"),
    S.ACCEPTED: _l("已报省备案（揭榜单位）"),
}

#: Audit action codes of an application's timeline, in Chinese (unit side and review side).
ACTION_LABELS = {
    "application.created": _l("创建申报草稿"),
    "application.updated": _l("修改项目信息"),
    "application.occupation_added": _l("添加职业（工种）"),
    "application.occupation_updated": _l("修改职业（工种）"),
    "application.occupation_removed": _l("删除职业（工种）"),
    "application.submitted": _l("提交区人社局"),
    "application.district_passed": _l("区人社局初审通过"),
    "application.returned": _l("区人社局退回修改"),
    "application.scored": _l("评审打分"),
    "application.approved": _l("集体决策：通过"),
    "application.rejected": _l("集体决策：不通过"),
    "application.notice_started": _l("开始社会公示"),
    "application.objection_recorded": _l("记录公示异议"),
    "application.filed": _l("报省人社厅备案，确定为揭榜单位"),
}


UNIT_STATUS_LABELS = {
    UnitStatus.REGISTERED: _l("已登记"),
    UnitStatus.ACCEPTED: _l("揭榜单位"),
    UnitStatus.WARNED: _l("已警告"),
    UnitStatus.REMOVED: _l("已退出名单"),
}


def review_status_label(status: str) -> str:
    """An application status as officers read it."""
    return str(REVIEW_STATUS_LABELS.get(status, status))


def action_label(action: str) -> str:
    """An audit action code in Chinese (the code itself when unknown)."""
    return str(ACTION_LABELS.get(action, action))


def unit_status_label(status: str) -> str:
    """A training unit's status on the accepted list, in Chinese."""
    return str(UNIT_STATUS_LABELS.get(status, status))
