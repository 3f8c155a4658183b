"""Calendar API schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

MAX_STEPS = 1_000  # about four years of working days: a typing guard


class DateArgs(Schema):
    """A date to look up."""

    date = fields.Date(required=True, metadata={"description": "日期，YYYY-MM-DD"})


class AddWorkdaysArgs(Schema):
    """A date and a number of working days to move by."""

    date = fields.Date(required=True, metadata={"description": "起始日期，YYYY-MM-DD（不计入）"})
    n = fields.Int(
        required=True,
        validate=validate.Range(min=-MAX_STEPS, max=MAX_STEPS),
        metadata={"description": "工作日数，负数表示向前推算"},
    )


class WorkdaySchema(Schema):
    """Whether a date is a working day, and whether the built-in data or an override says so."""

    date = fields.Date()
    is_workday = fields.Bool()
    source = fields.Str(metadata={"description": "builtin：内置日历；override：市人社局手工调整"})


class AddWorkdaysSchema(Schema):
    """The date ``n`` working days after ``date``."""

    date = fields.Date()
    n = fields.Int()
    result = fields.Date()
