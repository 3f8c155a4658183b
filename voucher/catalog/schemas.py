"""Catalogue API schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from voucher.core.money import format_yuan


class StandardSchema(Schema):
    """A subsidy standard: level and amount (fen, with a yuan string for people)."""

    level = fields.Str()
    amount_fen = fields.Int()
    amount_yuan = fields.Function(lambda s: format_yuan(s.amount_fen))


class EntrySchema(Schema):
    """One catalogue entry."""

    id = fields.Int()
    seq = fields.Int()
    serial = fields.Str()
    code = fields.Str()
    name = fields.Str()
    category = fields.Str()
    certificate_type = fields.Str()
    edition_2022 = fields.Bool()
    standards = fields.List(fields.Nested(StandardSchema))


class SearchArgs(Schema):
    """Search parameters."""

    q = fields.Str(load_default="", metadata={"description": "名称或编码包含的文字"})
    category = fields.Str(load_default="")
    certificate_type = fields.Str(
        load_default="", validate=validate.OneOf(["", "技能等级证书", "专项能力证书"])
    )
    page = fields.Int(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Int(load_default=30, validate=validate.Range(min=1, max=200))


class PageSchema(Schema):
    """A page of entries."""

    items = fields.List(fields.Nested(EntrySchema))
    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()
    pages = fields.Int()


class StandardIn(Schema):
    """A standard to set: the amount in fen."""

    amount_fen = fields.Int(required=True, validate=validate.Range(min=1, max=1_000_000))
