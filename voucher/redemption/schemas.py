"""Redemption API schemas: classes, voucher checks, redemptions, voids, change requests."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from voucher.redemption.models import ClassMode


class ClassDetailsInSchema(Schema):
    """A class's details (all of them: what a unit may change before the class starts)."""

    name = fields.Str(required=True, validate=validate.Length(max=120))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    hours = fields.Int(required=True)
    plan = fields.Str(required=True)
    teachers = fields.Str(required=True)
    fee_fen = fields.Int(required=True, metadata={"description": "每人培训费用（分）"})
    site = fields.Str(required=True)
    mode = fields.Str(load_default=ClassMode.OFFLINE, validate=validate.OneOf(ClassMode.ALL))
    platform = fields.Str(load_default="")
    courses = fields.Str(load_default="")
    online_hours = fields.Int(load_default=None, allow_none=True)


class ClassInSchema(ClassDetailsInSchema):
    """开班备案: what a unit files."""

    occupation_id = fields.Int(required=True, metadata={"description": "本机构承接职业的编号"})


class ClassSchema(Schema):
    """A filed class."""

    id = fields.Int()
    unit_id = fields.Int()
    occupation_id = fields.Int()
    entry_id = fields.Int(allow_none=True)
    occupation_name = fields.Str()
    name = fields.Str()
    start_date = fields.Date()
    end_date = fields.Date()
    hours = fields.Int()
    plan = fields.Str()
    teachers = fields.Str()
    fee_fen = fields.Int()
    site = fields.Str()
    mode = fields.Str()
    platform = fields.Str()
    courses = fields.Str()
    online_hours = fields.Int(allow_none=True)
    filed_on = fields.Date()


class CheckInSchema(Schema):
    """What the desk scanned or typed: QR text, bare token or the 12-character code."""

    code = fields.Str(required=True, validate=validate.Length(min=1, max=400))


class CheckSchema(Schema):
    """The check: valid or not with the reason, masked holder, amount, scope."""

    valid = fields.Bool()
    code = fields.Str()
    reason = fields.Str()
    voucher_id = fields.Int(allow_none=True)
    human_code = fields.Str()
    holder_name = fields.Str()
    holder_id = fields.Str()
    amount_fen = fields.Int()
    occupation = fields.Str()
    bound_unit = fields.Str()
    status = fields.Str()
    expires_at = fields.DateTime(allow_none=True)
    class_ids = fields.Method("_class_ids")

    def _class_ids(self, obj: object) -> list[int]:
        return [c.id for c in getattr(obj, "classes", [])]


class RedeemInSchema(Schema):
    """A redemption request (send an Idempotency-Key header to make retries safe)."""

    code = fields.Str(required=True, validate=validate.Length(min=1, max=400))
    class_id = fields.Int(required=True)
    id_last4 = fields.Str(
        required=True, metadata={"description": "持券人身份证号码后 4 位（从证件上读取）"}
    )


class RedemptionSchema(Schema):
    """A redemption: offset = min(face value, fee); the trainee pays the rest."""

    id = fields.Int()
    voucher_id = fields.Int()
    human_code = fields.Str()
    class_id = fields.Int(allow_none=True)
    unit_id = fields.Int()
    fee_fen = fields.Int()
    offset_fen = fields.Int()
    pay_fen = fields.Int()
    redeemed_at = fields.Str()
    status = fields.Str()


class VoidInSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class ChangeInSchema(Schema):
    """A change request for a class whose roster is locked."""

    reason = fields.Str(required=True)
    redemption_id = fields.Int(load_default=None, allow_none=True)
    changes = fields.Dict(load_default=dict)


class ChangeSchema(Schema):
    id = fields.Int()
    class_id = fields.Int()
    kind = fields.Str()
    redemption_id = fields.Int(allow_none=True)
    changes = fields.Dict()
    reason = fields.Str()
    status = fields.Str()
    decision_note = fields.Str()


class DecisionInSchema(Schema):
    approve = fields.Bool(required=True)
    note = fields.Str(load_default="")
