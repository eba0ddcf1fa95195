"""Voice: the hotline number's missed ("flash") calls, each a call-back request."""
