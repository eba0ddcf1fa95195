"""The gateway's own web pages: health checks, the development simulator, later the console.

Provider webhooks are not here: each channel's views live in ``gateway.channels``.
"""
