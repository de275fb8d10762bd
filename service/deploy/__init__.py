"""Configuration of the deployment's other services, derived from borderwatch's own.

`alertmanager`: the stack's Alertmanager config, so the alerts about borderwatch
itself (deploy/prometheus/rules.yml) reach the receivers configured for notifications.
"""
