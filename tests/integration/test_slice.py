"""The thin slice through all three modules: issue → redeem → draft claim."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from voucher.audit.models import AuditEvent
from voucher.audit.services import verify_chain
from voucher.core.qr import qr_png
from voucher.db import db
from voucher.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from voucher.issuance.models import Voucher, VoucherStatus
from voucher.issuance.services import voucher_payload
from voucher.redemption.services import redeem
from voucher.settlement.models import Claim
from voucher.settlement.services import add_to_draft_claim


def test_a_voucher_issued_redeemed_and_claimed_ends_on_one_draft_claim_line(demo):
    voucher = demo.issue(0, unit=demo.units[0].id)

    redemption = demo.redeem(voucher, "unit1", fee_fen=120_000)
    line = add_to_draft_claim(demo.actor("unit1"), redemption.id)

    assert redemption.offset_fen == 80_000  # min(face 800, fee 1200)
    claim = line.claim
    assert claim.status == "draft" and claim.unit_id == demo.units[0].id
    assert claim.total_fen == 80_000 == line.amount_fen
    actions = [
        e.action for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    ]
    assert actions[-5:] == [
        "voucher.issued",
        "class.filed",
        "voucher.redeemed",
        "claim.created",
        "claim.line_added",
    ]
    checked, breaches, _head = verify_chain()
    assert breaches == [] and checked == len(actions)


def test_the_qr_decodes_to_a_token_that_redeems(demo):
    voucher = demo.issue(1)
    image = Image.open(io.BytesIO(qr_png(voucher_payload(voucher))))
    (decoded,) = zxingcpp.read_barcodes(image)
    assert decoded.text.startswith("HTTPS://VOUCHER.TEST/V/")

    klass = demo.file_class("unit1", entry=voucher.entry_id, fee_fen=50_000)
    redemption = redeem(
        demo.actor("unit1"), decoded.text.lower(), class_id=klass.id, id_last4=demo.id_tail(voucher)
    )

    assert redemption.offset_fen == 50_000  # the fee is below the face value


def test_a_voucher_redeems_only_once(demo):
    voucher = demo.issue(0)
    redemption = demo.redeem(voucher, "unit1", fee_fen=80_000)

    with pytest.raises(Conflict) as refused:
        redeem(demo.actor("unit1"), voucher.token, class_id=redemption.class_id)

    assert refused.value.code == "voucher_redeemed"
    assert "已经核销" in str(refused.value)


def test_a_voucher_bound_to_another_unit_is_refused_and_stays_issued(demo):
    voucher = demo.issue(0, unit=demo.units[0].id)

    klass = demo.file_class("unit2")

    with pytest.raises(RuleViolation) as refused:
        redeem(demo.actor("unit2"), voucher.token, class_id=klass.id)

    assert refused.value.code == "voucher_other_unit"
    assert db.session.get(Voucher, voucher.id).status == VoucherStatus.ISSUED


def test_a_unit_not_accepted_for_the_occupation_cannot_redeem(demo):
    voucher = demo.issue(0, entry=demo.care)  # 养老护理员: only unit 1 is accepted for it

    klass = demo.file_class("unit2")  # 家政服务员

    with pytest.raises(RuleViolation) as refused:
        redeem(demo.actor("unit2"), voucher.token, class_id=klass.id)

    assert refused.value.code == "occupation_not_accepted"


def test_a_tampered_token_is_refused(demo):
    voucher = demo.issue(0)
    token = voucher.token
    tampered = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]

    klass = demo.file_class("unit1")

    with pytest.raises(ValidationFailed) as refused:
        redeem(demo.actor("unit1"), tampered, class_id=klass.id)

    assert refused.value.code.startswith("token_")


def test_a_redemption_goes_on_a_claim_once(demo):
    voucher = demo.issue(0)
    redemption = demo.redeem(voucher, "unit1", fee_fen=80_000)
    add_to_draft_claim(demo.actor("unit1"), redemption.id)

    with pytest.raises(Conflict):
        add_to_draft_claim(demo.actor("unit1"), redemption.id)


def test_another_unit_cannot_claim_a_redemption_it_cannot_see(demo):
    voucher = demo.issue(0)
    redemption = demo.redeem(voucher, "unit1", fee_fen=80_000)
    claims_before = db.session.execute(select(func.count()).select_from(Claim)).scalar_one()

    with pytest.raises(NotFound):
        add_to_draft_claim(demo.actor("unit2"), redemption.id)

    assert db.session.execute(select(func.count()).select_from(Claim)).scalar_one() == claims_before


def test_a_person_holds_one_active_voucher_per_occupation(demo):
    demo.issue(2)

    with pytest.raises(RuleViolation) as refused:
        demo.issue(2)

    assert refused.value.code == "voucher_already_held"
