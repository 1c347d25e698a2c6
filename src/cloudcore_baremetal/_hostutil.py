"""Small host helpers shared by the capability modules."""

from __future__ import annotations

from collections.abc import Sequence

from .inventory import Host

__all__ = ["as_user", "is_root"]


def is_root(host: Host) -> bool:
    """Whether commands on ``host`` run as root (directly or through sudo)."""
    if host.fact("uid") is None:
        res = host.transport.run(["id", "-u"], mutating=False, name="id")
        host.set_fact("uid", int(res.text.strip() or "-1"))
    return bool(host.fact("uid") == 0)


def as_user(host: Host, user: str, argv: Sequence[str]) -> list[str]:
    """``argv`` run as ``user`` (``runuser`` when root, unchanged otherwise)."""
    if is_root(host) and user != "root":
        return ["runuser", "-u", user, "--", *argv]
    return list(argv)
