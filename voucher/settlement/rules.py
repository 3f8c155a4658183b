"""Settlement rules (pure)."""

from __future__ import annotations


def line_amount(standard_fen: int, fee_fen: int) -> int:
    """A claim line asks the applicable standard, never more than the trainee's fee."""
    return min(standard_fen, fee_fen)
