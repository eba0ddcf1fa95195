"""Provider adapters: one folder (or module) per provider, one module per channel in it.

``provider.py`` says what an adapter declares, ``events.py`` the events it parses into and the
one error it raises, ``webhooks.py`` what every webhook view does with them, and
``installed.py`` lists the installed providers.
"""
