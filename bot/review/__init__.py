"""The practitioner's review: digest, client view, alerts, exports and team notes."""
