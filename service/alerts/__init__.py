"""Alerts: episode identity, notification ids and the webhook payload."""
