"""The host wire counter: commands classified by what they run on the host, not by the driver's
``mutating=`` flag; and the local transport feeding it with what it really executes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudcore_baremetal.transport.local import LocalTransport
from cloudcore_baremetal.transport.wire import HostWire, is_read_only

_PROGRAM = "import sys; print(sys.argv)"


@pytest.mark.parametrize(
    ("text", "stdin", "reads"),
    [
        ("test -e /x/a.conf || exit 3 ; cat /x/a.conf", None, True),
        ("find /x -maxdepth 2 -name '*.json' -exec cat '{}' + 2>/dev/null ; true", None, True),
        ("find /x -name '*.log' -exec tail -v -n 5 '{}' + 2>/dev/null", None, True),
        ("supervisorctl -c /x/supervisord.conf pid", None, True),
        ("ip netns exec ns1 nft list ruleset", None, True),
        ("sudo -n -- sh -c 'cat /x'", None, True),
        ("systemctl show api@1", None, True),
        ("runuser -u postgres -- psql -X -f -", b"SELECT 1;\nSELECT marker FROM t;", True),
        (f"python3 -c '{_PROGRAM}' a b", None, True),
        # writes
        ("umask 077 ; cat > /x/e.tmp && chmod 600 /x/e.tmp && mv -f /x/e.tmp /x/e", None, False),
        ("mkdir -p -m 700 /x", None, False),
        ("rm -f /x", None, False),
        ("echo hi > /etc/motd", None, False),
        ("echo hi >> /etc/motd", None, False),
        ("cat /x | tee /y", None, False),
        ("find /x -delete", None, False),
        ("find /x -exec rm '{}' +", None, False),
        ("supervisorctl -c /x/supervisord.conf update", None, False),
        ("systemctl enable --now api@1", None, False),
        ("ip netns exec ns1 nft -f -", b"flush ruleset", False),
        ("runuser -u postgres -- pg_dump -Fc -h /s", None, False),
        ("runuser -u postgres -- psql -X -f -", b"SELECT 1; DROP DATABASE x;", False),
        ("python3 -c 'import os; os.remove(\"/x\")'", None, False),
        ("some-unknown-tool --flag", None, False),
        ("cat 'unterminated", None, False),
    ],
)
def test_classified_by_the_command(text: str, stdin: bytes | None, reads: bool) -> None:
    assert is_read_only(text, stdin, read_only_programs=HostWire([_PROGRAM])._programs) is reads


def test_counts_what_the_transport_executes_whatever_the_driver_says(tmp_path: Path) -> None:
    transport = LocalTransport(timeout=10)
    wire = HostWire()
    transport.wire = wire
    before = wire.snapshot()
    target = f"{tmp_path}/f"
    # the driver claims a read, but the command writes a file: the wire counts a write
    transport.run(["touch", target], mutating=False, name="looks-harmless")
    transport.read_file(target)
    seen = wire.since(before)
    assert (seen.requests, seen.mutating) == (2, 1)
    assert seen.writes == ("localhost: looks-harmless",)
