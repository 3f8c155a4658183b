"""Every policy number in one place, with its source in the notice (defaults; see DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """Policy figures. Money in fen."""

    # 通知 §六 / 附件4 第6项: at most 800 yuan per qualified trainee, unless the catalogue's higher.
    project_standard_cap_fen: int = 800_00
    # 附件4 第7项: claim within 12 months of the certificate's issue date.
    claim_window_months: int = 12
    # 附件4 第8项②: file a class at least 5 working days before it starts.
    class_filing_workdays: int = 5
    # 通知 §二: at least 16 full years; men at most 60, women at most 55.
    min_age: int = 16
    max_age_male: int = 60
    max_age_female: int = 55
    # Provincial practice (configurable): one project subsidy a calendar year; same occupation
    # and level once.
    project_subsidies_per_year: int = 1
    voucher_validity_days: int = 90
    # Trainee notices: remind the holder this many days before an unused voucher expires.
    expiry_reminder_days: int = 14
    # 通知 §二: released prisoners count as a target group within 24 months of release.
    released_within_months: int = 24
    # 通知 §七(三): a unit removed from the accepted list redeems nothing new; what it trained
    # before stays claimable unless this is switched off.
    removed_unit_keeps_claims: bool = True
    # 附件1 / 通知 §四: default deadlines (month, day) of a round; each round may set its own.
    unit_deadline: tuple[int, int] = (8, 10)
    district_deadline: tuple[int, int] = (8, 25)
    notice_days: int = 7
    # Redemption (issue 5): a voucher may join a class up to this many days after it starts;
    # the unit may void a redemption until this many days after the start (0 = before it);
    # wrong ID-card characters typed at the desk lock the voucher after this many failures
    # for this many minutes.
    class_late_redeem_days: int = 3
    void_days_after_start: int = 0
    id_check_max_failures: int = 5
    id_check_lock_minutes: int = 30


POLICY = Policy()
