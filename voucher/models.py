"""Import every model module, so the metadata (and Alembic) sees the whole schema."""

from voucher.accounts import models as accounts_models
from voucher.audit import models as audit_models
from voucher.catalog import models as catalog_models
from voucher.issuance import models as issuance_models
from voucher.notify import models as notify_models
from voucher.redemption import models as redemption_models
from voucher.settlement import models as settlement_models
from voucher.units import models as units_models
from voucher.wallet import models as wallet_models
from voucher.workcal import models as workcal_models

__all__ = [
    "accounts_models",
    "audit_models",
    "catalog_models",
    "issuance_models",
    "notify_models",
    "redemption_models",
    "settlement_models",
    "units_models",
    "wallet_models",
    "workcal_models",
]
