"""Account API schemas."""

from __future__ import annotations

from marshmallow import Schema, fields


class MeSchema(Schema):
    """The caller's identity and scope."""

    id = fields.Int()
    username = fields.Str()
    display_name = fields.Str()
    role = fields.Str()
    district = fields.Str(allow_none=True)
    unit_id = fields.Int(allow_none=True)
