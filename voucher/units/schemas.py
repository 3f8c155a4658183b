"""Training-unit API schemas: the unit's profile and its applications."""

from __future__ import annotations

from marshmallow import Schema, fields

from voucher.core.money import format_yuan


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else format_yuan(fen)


class FinanceSchema(Schema):
    """One year of 财务状况 (fen)."""

    year = fields.Int()
    revenue_fen = fields.Int(allow_none=True)
    tax_fen = fields.Int(allow_none=True)


class UnitProfileSchema(Schema):
    """附件1 一、申报主体单位基本情况."""

    id = fields.Int()
    name = fields.Str()
    credit_code = fields.Str()
    district = fields.Str()
    status = fields.Str()
    nature = fields.Str()
    main_field = fields.Str()
    founded_year = fields.Int(allow_none=True)
    registered_capital_fen = fields.Int(allow_none=True)
    legal_rep_name = fields.Str()
    legal_rep_title = fields.Str()
    legal_rep_mobile = fields.Str()
    legal_rep_email = fields.Str()
    contact_name = fields.Str()
    contact_title = fields.Str()
    contact_mobile = fields.Str()
    contact_email = fields.Str()
    address = fields.Str()
    website = fields.Str()
    own_platform = fields.Bool()
    platform_url = fields.Str()
    has_violation = fields.Bool()
    violation_note = fields.Str()
    staff_total = fields.Int(allow_none=True)
    staff_teachers = fields.Int(allow_none=True)
    staff_academic = fields.Int(allow_none=True)
    staff_other = fields.Int(allow_none=True)
    introduction = fields.Str()
    finances = fields.List(fields.Nested(FinanceSchema))


class EquipmentSchema(Schema):
    """One line of 设备情况."""

    name = fields.Str()
    brand = fields.Str()
    quantity = fields.Int()
    ownership = fields.Str()


class OccupationSchema(Schema):
    """One occupation of an application."""

    id = fields.Int()
    occupation_key = fields.Str()
    entry_id = fields.Int(allow_none=True)
    occupation_name = fields.Str()
    introduction = fields.Str()
    yearly_headcount = fields.Int()
    classes = fields.Int()
    content = fields.Str()
    hours = fields.Int()
    class_size = fields.Int()
    form = fields.Str()
    online_percent = fields.Int()
    materials = fields.Str()
    skill_standard = fields.Str()
    assessment = fields.Str()
    platform = fields.Str()
    certificates = fields.Str()
    teachers = fields.Dict(keys=fields.Str(), values=fields.Int())
    site = fields.Str()
    equipment = fields.List(fields.Nested(EquipmentSchema))
    advantages = fields.Str()
    standard_fen = fields.Int()
    budget_fen = fields.Int()
    budget_yuan = fields.Function(lambda o: _yuan(o.budget_fen))


class ApplicationSchema(Schema):
    """A project application (附件1 二、三) with its computed budget."""

    id = fields.Int()
    round_id = fields.Int()
    unit_id = fields.Int()
    district = fields.Str()
    category = fields.Str()
    name = fields.Str()
    districts_served = fields.List(fields.Str())
    needs_analysis = fields.Str()
    employment_plan = fields.Str()
    status = fields.Str()
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    budget_fen = fields.Int()
    budget_yuan = fields.Function(lambda a: _yuan(a.budget_fen))
    occupations = fields.List(fields.Nested(OccupationSchema))
