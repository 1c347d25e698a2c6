"""Checks for values the driver writes into unit files, configs and command lines.

Every value that reaches a supervisord/systemd unit, a ``redis.conf`` or a host command is
checked where it enters the driver (constructor options, profiles and ``CLOUDCORE_*``
variables all arrive as constructor options) and again where a unit is built, whatever its
source: a newline in a user name would otherwise add lines (``[program:x]``, ``ExecStartPre=``)
to the file it is written into.
"""

from __future__ import annotations

import ipaddress
import re

from cloudcore.errors import ConfigurationError

__all__ = ["check_address", "check_path", "check_port", "check_unit_text", "check_user"]

# POSIX portable user names (useradd's NAME_REGEX, plus '.' and a trailing '$' as Samba uses),
# or a numeric uid. Never starts with '-', so it is never read as an option.
_USER_RE = re.compile(r"\A(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|[0-9]{1,10})\Z")
_PATH_RE = re.compile(r"\A/[A-Za-z0-9_./+-]*\Z")
_HOSTNAME_RE = re.compile(
    r"\A(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z"
)
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


def check_user(value: object, field: str) -> str:
    """An operating-system user name (or uid)."""
    if not isinstance(value, str) or not _USER_RE.fullmatch(value):
        raise ConfigurationError(
            f"{field}: a user name of letters, digits and '_.-' (at most 32, not starting "
            f"with '-') or a numeric uid (got {value!r})",
            field=field,
        )
    return value


def check_path(value: object, field: str) -> str:
    """An absolute path of ``[A-Za-z0-9_./+-]`` without ``..``."""
    if (
        not isinstance(value, str)
        or not _PATH_RE.fullmatch(value)
        or ".." in value.split("/")
        or len(value) > 255
    ):
        raise ConfigurationError(
            f"{field}: an absolute path of letters, digits and '_./+-' (got {value!r})",
            field=field,
        )
    return value


def check_port(value: object, field: str) -> int:
    """A TCP port, 1-65535."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigurationError(f"{field}: a port number 1-65535 (got {value!r})", field=field)
    text = str(value)
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ConfigurationError(f"{field}: a port number 1-65535 (got {value!r})", field=field)
    return int(text)


def check_address(value: object, field: str) -> str:
    """An IP address or a DNS host name."""
    if isinstance(value, str):
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            if _HOSTNAME_RE.fullmatch(value):
                return value
    raise ConfigurationError(f"{field}: an IP address or a host name (got {value!r})", field=field)


def check_unit_text(value: object, field: str) -> str:
    """One line of text for a unit or config file: no control characters, no line breaks."""
    if not isinstance(value, str) or _CONTROL.search(value):
        raise ConfigurationError(
            f"{field}: must not contain control characters or line breaks (got {value!r})",
            field=field,
        )
    return value
