"""Primero's case webhooks (``POST /primero/webhook``): an adapter with its own blueprint."""
