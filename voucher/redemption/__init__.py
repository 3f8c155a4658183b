"""Redemption: class filing, scanning, exactly-once redemption against the fee, voiding."""
