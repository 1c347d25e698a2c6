"""The host side of the transport as a wire counter: every command a host runs, classified by
what it runs, never by the ``mutating=`` flag the driver passes.

A host's "API" is its commands. :class:`HostWire` reads each command line the transport is about
to execute (the quoted script, and the SQL or ruleset fed on standard input) and counts it as a
read only when every simple command in it is one that cannot change the host: ``cat``, ``test``,
``find`` without ``-delete``, ``supervisorctl status``, ``nft list``, ``psql`` fed only
``SELECT`` statements, a ``python3 -c`` program registered as read-only, and so on; anything else
(``mv``, ``rm``, ``mkdir``, a redirection into a file, an unknown program) is a write. Test
targets attach one to every host's transport and to the provider
(:func:`cloudcore.testing.wire.attach_wire_counter`), so the conformance suite checks "zero writes
on a no-op" on the host, not on the driver's word.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from collections.abc import Iterable

from cloudcore.testing.wire import WireTally

__all__ = ["HostWire", "is_read_only"]

# Programs that only read, whatever their arguments (output redirections are checked apart).
_READERS = frozenset(
    {
        "[",
        "cat",
        "date",
        "df",
        "echo",
        "exit",
        "false",
        "grep",
        "head",
        "hostname",
        "id",
        "journalctl",
        "ls",
        "nproc",
        "pg_isready",
        "pgrep",
        "printf",
        "ps",
        "readlink",
        "sha256sum",
        "sort",
        "ss",
        "stat",
        "tail",
        "test",
        "true",
        "uname",
        "umask",  # affects only the shell that runs the script
        "wc",
        "which",
    }
)
# Programs that read with some first arguments (subcommands) and write with others.
_READ_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "supervisorctl": frozenset({"pid", "status", "avail", "version"}),
    "systemctl": frozenset({"show", "status", "is-active", "is-enabled", "is-failed", "cat"}),
    "nft": frozenset({"list"}),
    "podman": frozenset({"--version", "version", "ps", "inspect", "image", "images"}),
}
# Wrappers: run the command after their own options (``runuser -u USER -- cmd``).
_WRAPPERS = {"sudo", "runuser", "setpriv", "env", "nice", "timeout"}
_SEPARATORS = {";", "&&", "||", "|", "{", "}", "(", ")", "&", "\n"}
_READ_SQL = re.compile(r"^\s*(select|show|with\s+[^;]*\bselect\b|\\[a-z]+)", re.I | re.S)


def _words(text: str) -> list[str]:
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|(){}<>")
    lex.whitespace_split = True
    lex.commenters = ""
    return list(lex)


def _simple_commands(text: str) -> Iterable[tuple[list[str], list[str]]]:
    """``(argv, redirection targets)`` of each simple command in ``text``."""
    argv: list[str] = []
    targets: list[str] = []
    words = _words(text)
    i = 0
    while i < len(words):
        w = words[i]
        if w in _SEPARATORS:
            if argv:
                yield argv, targets
            argv, targets = [], []
        elif w in (">", ">>", ">|", "<>"):
            i += 1
            target = words[i] if i < len(words) else ""
            if argv and argv[-1].isdigit() and w.startswith(">"):
                argv.pop()  # the file descriptor of "2>/dev/null"
            targets.append(target)
        elif w == "<":
            i += 1  # an input redirection reads
        else:
            argv.append(w)
        i += 1
    if argv:
        yield argv, targets


def _unwrap(argv: list[str]) -> list[str]:
    """``argv`` without ``sudo -n --`` / ``runuser -u U --`` / ``ip netns exec NS`` prefixes."""
    while argv:
        prog = os.path.basename(argv[0])
        if prog == "ip" and argv[1:3] == ["netns", "exec"]:
            argv = argv[4:]
        elif prog in _WRAPPERS:
            rest = argv[1:]
            if "--" in rest:
                argv = rest[rest.index("--") + 1 :]
            else:
                # options (and their values) up to the first word that is a program
                j = 0
                while j < len(rest) and (rest[j].startswith("-") or "=" in rest[j]):
                    j += 2 if rest[j] in ("-u", "-g", "--reuid", "--regid", "-s") else 1
                argv = rest[j:]
        else:
            return argv
    return argv


def is_read_only(
    text: str, stdin: bytes | None = None, *, read_only_programs: frozenset[str] = frozenset()
) -> bool:
    """Whether the command line ``text`` (fed ``stdin``) cannot change the host.

    ``read_only_programs`` are SHA-256 digests of ``python3 -c`` programs known to only read.
    """
    try:
        commands = list(_simple_commands(text))
    except ValueError:
        return False  # unparseable: counted as a write
    for argv, targets in commands:
        if any(t != "/dev/null" for t in targets):
            return False
        argv = _unwrap(argv)
        if not argv:
            continue
        prog = os.path.basename(argv[0])
        if prog == "sh" and argv[1:2] == ["-c"] and len(argv) > 2:
            if not is_read_only(argv[2], stdin, read_only_programs=read_only_programs):
                return False
        elif prog in _READERS:
            continue
        elif prog == "find":
            if any(a in ("-delete", "-fprint", "-fprintf", "-fls", "-ok") for a in argv):
                return False
            for k, a in enumerate(argv):
                if a in ("-exec", "-execdir") and (
                    k + 1 >= len(argv) or os.path.basename(argv[k + 1]) not in _READERS
                ):
                    return False
        elif prog in _READ_SUBCOMMANDS:
            sub = next((a for a in argv[1:] if not a.startswith("-") or a == "--version"), "")
            if prog in ("supervisorctl", "systemctl"):
                sub = next(
                    (a for k, a in enumerate(argv[1:], 1) if not a.startswith("-")
                     and argv[k - 1] not in ("-c", "--configuration")),
                    "",
                )  # fmt: skip
            if sub not in _READ_SUBCOMMANDS[prog]:
                return False
        elif prog == "psql":
            sql = (stdin or b"").decode("utf-8", "replace")
            if "-c" in argv:
                sql = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
            statements = [s for s in sql.split(";") if s.strip()]
            if not statements or not all(_READ_SQL.match(s) for s in statements):
                return False
        elif prog.startswith("python") and "-c" in argv:
            code = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
            if hashlib.sha256(code.encode()).hexdigest() not in read_only_programs:
                return False
        else:
            return False
    return True


class HostWire(WireTally):
    """A :class:`WireTally` the transport feeds with each command it executes on a host.

    Args:
        read_only_programs: ``python3 -c`` programs the host runs that only read (their text).
    """

    def __init__(self, read_only_programs: Iterable[str] = ()) -> None:
        super().__init__()
        self._programs = frozenset(
            hashlib.sha256(p.encode()).hexdigest() for p in read_only_programs
        )

    def saw(self, host: str, name: str, text: str, stdin: bytes | None) -> None:
        """Count one command run on ``host`` (``name`` only labels it in messages)."""
        reads = is_read_only(text, stdin, read_only_programs=self._programs)
        self.count(f"{host}: {name}", mutating=not reads)
