"""Read models for the role home pages (read-only, scoped)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from voucher.accounts.access import Actor, all_visible, visible
from voucher.catalog.models import CatalogueEntry, SubsidyStandard
from voucher.db import db
from voucher.issuance.models import Voucher
from voucher.redemption.models import Redemption
from voucher.settlement.models import Claim
from voucher.units.models import TrainingUnit
from voucher.units.services import AcceptedItem, accepted_list


def _count(actor: Actor, model: type, *where: object) -> int:
    stmt = visible(select(func.count()).select_from(model).where(*where), model, actor)
    return db.session.execute(stmt).scalar_one()


@dataclass(frozen=True)
class CityHome:
    """City officer's overview."""

    catalogue_entries: int
    standards_set: int
    accepted_units: int
    vouchers_issued: int
    redemptions: int
    claims: int


def city_home(actor: Actor) -> CityHome:
    """Counts across the city."""
    return CityHome(
        catalogue_entries=db.session.execute(select(func.count(CatalogueEntry.id))).scalar_one(),
        standards_set=db.session.execute(select(func.count(SubsidyStandard.id))).scalar_one(),
        accepted_units=_count(actor, TrainingUnit, TrainingUnit.status != "registered"),
        vouchers_issued=_count(actor, Voucher),
        redemptions=_count(actor, Redemption),
        claims=_count(actor, Claim),
    )


def district_units(actor: Actor) -> list[TrainingUnit]:
    """The units of the district officer's district."""
    return sorted(all_visible(TrainingUnit, actor), key=lambda u: u.id)


@dataclass(frozen=True)
class UnitHome:
    """A unit operator's overview."""

    unit: TrainingUnit
    occupations: list[AcceptedItem]
    redemptions: int
    claims: list[Claim]


def unit_home(actor: Actor) -> UnitHome:
    """The operator's unit, its accepted occupations, redemptions and claims."""
    units = all_visible(TrainingUnit, actor)
    unit = units[0]
    return UnitHome(
        unit=unit,
        occupations=accepted_list(unit_id=unit.id),
        redemptions=_count(actor, Redemption),
        claims=all_visible(Claim, actor),
    )


def finance_claims(actor: Actor) -> list[Claim]:
    """Claims the finance officer reviews, newest first."""
    return sorted(all_visible(Claim, actor), key=lambda c: c.id, reverse=True)
