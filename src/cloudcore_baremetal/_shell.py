"""Shell commands built only from argument lists joined with ``shlex.quote``.

Every command the driver runs on a host is made here: an argument list becomes one quoted
command, and several commands are joined only by the fixed operators below. No caller ever
formats user input into a command string, so no name, value or argument can escape its quotes.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AND",
    "OR",
    "PIPE",
    "SEQ",
    "Op",
    "Script",
    "append_to",
    "command",
    "exit_with",
    "from_file",
    "group",
    "quiet",
    "script",
    "to_file",
]


@dataclass(frozen=True, slots=True)
class Op:
    """A shell operator or redirection (made only by this module's constants and helpers)."""

    text: str


AND = Op("&&")
OR = Op("||")
SEQ = Op(";")
PIPE = Op("|")


def to_file(path: str) -> Op:
    """``> path`` (the path quoted)."""
    return Op("> " + shlex.quote(path))


def append_to(path: str) -> Op:
    """``>> path`` (the path quoted)."""
    return Op(">> " + shlex.quote(path))


def from_file(path: str) -> Op:
    """``< path`` (the path quoted)."""
    return Op("< " + shlex.quote(path))


def group(*parts: Sequence[str] | Op) -> Op:
    """``{ ...; }``: a brace group of quoted commands and operators."""
    return Op("{ " + script(*parts) + "; }")


def exit_with(code: int) -> Op:
    """``exit CODE`` (an integer only)."""
    return Op(f"exit {int(code)}")


def quiet() -> Op:
    """``2>/dev/null``."""
    return Op("2>/dev/null")


class Script(str):
    """A shell script made of quoted commands and fixed operators (see :func:`script`)."""

    __slots__ = ()


def command(argv: Sequence[str]) -> str:
    """One command: every argument quoted with ``shlex.quote``."""
    if isinstance(argv, str):
        raise TypeError("command() takes an argument list, not a string")
    if not argv:
        raise ValueError("empty command")
    return " ".join(shlex.quote(str(a)) for a in argv)


def script(*parts: Sequence[str] | Op) -> Script:
    """Join argument lists (each quoted) and operators into one :class:`Script`.

    Example:
        ``script(["umask", "077"], SEQ, ["cat"], to_file(tmp), AND, ["mv", tmp, dest])``
    """
    out: list[str] = []
    for part in parts:
        if isinstance(part, Op):
            out.append(part.text)
        else:
            out.append(command(part))
    return Script(" ".join(out))
