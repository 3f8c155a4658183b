"""Issuance API schemas: people (masked), quotas, vouchers, batches."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from voucher.issuance import rules


class GroupSchema(Schema):
    """A target-group membership with its evidence."""

    group = fields.Str(required=True, validate=validate.OneOf(list(rules.TARGET_GROUPS)))
    source = fields.Str(load_default="")
    reference = fields.Str(load_default="")
    evidence_date = fields.Date(allow_none=True, load_default=None)
    graduation_year = fields.Int(allow_none=True, load_default=None)
    release_date = fields.Date(allow_none=True, load_default=None)


class FactsFields(Schema):
    """Residence basis, memberships and exclusions."""

    residence_basis = fields.Str(
        allow_none=True, load_default=None, validate=validate.OneOf(list(rules.RESIDENCE_BASES))
    )
    residence_source = fields.Str(load_default="")
    residence_reference = fields.Str(load_default="")
    residence_date = fields.Date(allow_none=True, load_default=None)
    groups = fields.List(fields.Nested(GroupSchema), load_default=list)
    establishment_staff = fields.Bool(load_default=False)
    full_time_student = fields.Bool(load_default=False)
    pensioner = fields.Bool(load_default=False)


class PersonInSchema(FactsFields):
    """Register a person (the ID number is only ever accepted, never returned)."""

    id_number = fields.Str(required=True, load_only=True)
    name = fields.Str(required=True)
    phone = fields.Str(required=True)


class PersonUpdateSchema(FactsFields):
    """Edit a person."""

    name = fields.Str(required=True)
    phone = fields.Str(required=True)


class PersonSchema(Schema):
    """A person as shown: masked ID number, masked phone."""

    id = fields.Int()
    id_masked = fields.Str()
    name = fields.Str()
    phone = fields.Method("masked_phone")
    sex = fields.Str()
    residence_basis = fields.Str(allow_none=True)
    residence_source = fields.Str()
    residence_reference = fields.Str()
    residence_date = fields.Date(allow_none=True)
    groups = fields.List(fields.Nested(GroupSchema))
    establishment_staff = fields.Bool()
    full_time_student = fields.Bool()
    pensioner = fields.Bool()

    def masked_phone(self, person: Any) -> str:
        from voucher.core.pii import mask_phone

        return mask_phone(person.phone)


class QuotaInSchema(Schema):
    """Create a quota."""

    entry_id = fields.Int(required=True)
    unit_id = fields.Int(allow_none=True, load_default=None)
    groups = fields.List(fields.Str(), required=True)
    planned = fields.Int(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    amount_fen = fields.Int(allow_none=True, load_default=None)
    level = fields.Str(allow_none=True, load_default=None)
    name = fields.Str(load_default="")
    voucher_days = fields.Int(load_default=90)


class QuotaSchema(Schema):
    """A quota with its counts."""

    id = fields.Int()
    name = fields.Str()
    entry_id = fields.Int()
    unit_id = fields.Int(allow_none=True)
    groups = fields.List(fields.Str())
    level = fields.Str(allow_none=True)
    amount_fen = fields.Int()
    valid_from = fields.Date()
    valid_until = fields.Date()
    voucher_days = fields.Int()
    planned = fields.Int()
    issued = fields.Int()
    open = fields.Bool()


class IssueSchema(Schema):
    """Issue one voucher from a quota to a person."""

    person_id = fields.Int(required=True)
    on_date = fields.Date(allow_none=True, load_default=None)


class RevokeSchema(Schema):
    """Revoke with a reason."""

    reason = fields.Str(required=True)


class VoucherSchema(Schema):
    """A voucher: token and human code for the holder's QR; holder masked."""

    id = fields.Int()
    uid = fields.Str()
    human_code = fields.Str()
    person_id = fields.Int()
    holder_id_masked = fields.Function(lambda v: v.person.id_masked)
    entry_id = fields.Int()
    unit_id = fields.Int(allow_none=True)
    quota_id = fields.Int(allow_none=True)
    amount_fen = fields.Int()
    not_before = fields.DateTime()
    expires_at = fields.DateTime()
    status = fields.Str()
    status_reason = fields.Str(allow_none=True)
    token = fields.Str()
    issued_at = fields.DateTime()


class VoucherQuerySchema(Schema):
    """Filters of the voucher list."""

    status = fields.Str(load_default=None)
    quota_id = fields.Int(load_default=None)
    person_id = fields.Int(load_default=None)
    limit = fields.Int(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Int(load_default=0, validate=validate.Range(0))


class BatchSchema(Schema):
    """A batch's progress."""

    id = fields.Int()
    quota_id = fields.Int()
    filename = fields.Str()
    status = fields.Str()
    total = fields.Int()
    checked = fields.Int()
    issued = fields.Int()
    registered = fields.Int()
    error_count = fields.Int()
    message = fields.Str()
