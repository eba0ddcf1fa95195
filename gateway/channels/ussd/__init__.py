"""USSD: the webhook views, the intake that runs one hop, and the session records in Redis."""
