"""Notifications to trainees (SMS): pluggable senders, an outbox, issuance notices, reminders."""
