"""Issuance: people, eligibility, quotas, signing keys, vouchers, QR and the trainee wallet."""
