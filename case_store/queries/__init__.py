"""Reads: one module per thing read (cases, calls, messages, users, reporters, outbox, service
providers, referrals). Nothing here writes; each query is served by an index."""
