"""Settlement: results, certificates, subsidy claims, review, payment and reconciliation."""
