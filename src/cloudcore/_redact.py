"""Keeping secret values out of error messages, without mangling the messages.

Replacing a secret value as a substring everywhere breaks down for short values: a one-letter
secret ``o`` turned ``CommandError`` into ``C**********mmandErr**********r`` and showed where the
letter occurs in text the library wrote itself. So:

- a value of at least :data:`MASKABLE` characters is masked wherever it occurs (a substring that
  long in unrelated text is not a coincidence);
- a shorter value is looked for only where an echoed value stands: as a whole word set off by
  quotes, ``=``, ``:``, brackets or whitespace (``'o'``, ``value=o``), never inside a word or a
  path (``/opt/tool/bin`` does not carry the secret ``tool``); when it occurs that way, the
  message is withheld as a whole, since masking it would reveal its length and position;
- otherwise the message is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MASK", "MASKABLE", "mentions", "redact"]

MASK = "**********"
MASKABLE = 8
"""Values at least this long are masked in place; shorter ones withhold the whole message."""

WITHHELD = "the provider's message was withheld: it may contain the secret value"


_BEFORE = r"(?:^|(?<=[\s'\"`=:(\[{<,]))"
_AFTER = r"(?=$|[\s'\"`,;)\]}>])"


def _token(value: str) -> re.Pattern[str]:
    return re.compile(_BEFORE + re.escape(value) + _AFTER)


def mentions(text: str, sensitive: Iterable[str]) -> bool:
    """Whether ``text`` carries any of the values (long ones anywhere, short ones as tokens)."""
    for value in sensitive:
        if not value:
            continue
        if len(value) >= MASKABLE:
            if value in text:
                return True
        elif _token(value).search(text):
            return True
    return False


def redact(text: str, sensitive: Iterable[str]) -> str:
    """``text`` with long values masked, or :data:`WITHHELD` when a short value occurs in it."""
    values = [v for v in sensitive if v]
    for value in values:
        if len(value) < MASKABLE and _token(value).search(text):
            return WITHHELD
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= MASKABLE:
            text = text.replace(value, MASK)
    return text
