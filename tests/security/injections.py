"""The injections the security tests type into every free-text field, and what a page that
shows one as text looks like (``test_injection.py``, ``test_console_injection.py``)."""

from __future__ import annotations

from markupsafe import escape

# Markup, a template, SQL, an attribute broken out of its quotes, and a script URL.
INJECTIONS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}} {% raw %}${7*7}",
    '\'; DROP TABLE "case"; --',
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
)
# The same without white space, for the values that may hold none (usernames).
COMPACT = (
    "<script>alert(1)</script>",
    '"><img/src=x/onerror=alert(1)>',
    "{{7*7}}{%raw%}${7*7}",
    '\';DROP/**/TABLE/**/"user";--',
    "'onmouseover='alert(1)'",
    "javascript:alert(1)",
)
# What none of them may ever become on a page: an element, an event handler, a script URL in
# an attribute that a browser follows.
MARKUP = (
    "<script>alert",
    "<img src=x",
    "<img/src=x",
    "onmouseover='alert",
    'href="javascript:',
    'src="javascript:',
    'action="javascript:',
)


def escaped(value: str) -> str:
    return str(escape(value))


def not_markup(page: str, value: str) -> None:
    """Nothing of ``value`` is on ``page`` as markup (whether or not it is shown at all)."""
    if escaped(value) != value:
        assert value not in page, value
    found = [fragment for fragment in MARKUP if fragment in page]
    assert found == [], found


def shown_escaped(page: str, value: str) -> None:
    """``value`` is on ``page`` as text: HTML-escaped (a ``{{7*7}}`` still ``{{7*7}}``, never
    ``49``), never as markup."""
    assert escaped(value) in page, value
    not_markup(page, value)
