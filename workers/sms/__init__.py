"""Sending SMS: everything between "a reply is decided" and "a provider accepted it".

- ``queueing``: queue an outbound SMS (a message-log row plus an outbox row, in the caller's
  transaction); the urgent send job that puts alerts ahead of replies.
- ``send_job``: the send job itself (idempotent, one provider call per claim, failover,
  retries).
- ``provider_api``: what a send job hands a provider adapter and what it gets back
  (``OutboundSms``, ``SendResult``, the two failures, the ``Sender`` protocol).
- ``rate_limit``: messages per second per provider, shared by every worker through Redis.

The job names (``send_job.SEND_JOB``, ``queueing.URGENT_SEND_JOB``) are data: they are stored in
the outbox and in Redis, so renaming a module here needs a migration of ``outbox.job``.
"""
