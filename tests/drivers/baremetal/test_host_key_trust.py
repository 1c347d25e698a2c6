"""SSH host key trust against the real sshd the suite starts (issue 11, items 13 and 14).

* Pinning by ``host_key_fingerprints`` needs no known_hosts file at all (it used to fail with
  ``FileNotFoundError`` when ``~/.ssh/known_hosts`` did not exist).
* ``accept_unknown_host_keys`` is trust on first use: the first key is pinned into a known_hosts
  file cloudcore owns, a reconnect checks against it, and a different key (same type or another
  type) is refused with an error saying what to do.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cloudcore.errors import PermissionDenied

pytestmark = pytest.mark.needs_root


def _other_key(tmp_path: Path, kind: str) -> tuple[str, str]:
    key = tmp_path / f"other-{kind}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(key)], check=True, capture_output=True
    )
    typ, data = Path(f"{key}.pub").read_text().split()[:2]
    return typ, data


def test_fingerprints_pin_without_any_known_hosts_file(
    loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.ssh/known_hosts
    spec = {"known_hosts": None, "host_key_fingerprints": [loopback.sshd.fingerprint]}
    with loopback.provider(spec=spec) as p:
        assert isinstance(p.list_secrets(), list)
    spec = {
        "known_hosts": str(tmp_path / "absent"),
        "host_key_fingerprints": ["SHA256:" + "A" * 43],
    }
    with loopback.provider(spec=spec) as p, pytest.raises(PermissionDenied, match="not pinned"):
        p.list_secrets()
    assert not (tmp_path / "absent").exists()


def test_trust_on_first_use_pins_the_first_key_and_refuses_a_changed_one(
    loopback, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    pins = tmp_path / "cc" / "known_hosts"
    spec = {"known_hosts": None, "accept_unknown_host_keys": True, "pinned_host_keys": str(pins)}
    with loopback.provider(spec=spec) as p:
        assert isinstance(p.list_secrets(), list)
    host = f"[127.0.0.1]:{loopback.sshd.port}"
    lines = pins.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith(host + " ")
    assert oct(pins.stat().st_mode & 0o777) == "0o600"
    with loopback.provider(spec=spec) as p:  # a reconnect: the pinned key matches
        assert isinstance(p.list_secrets(), list)
    assert pins.read_text().splitlines() == lines

    # an impostor answering at the same address with another key of the same type
    typ, data = _other_key(tmp_path, "ed25519")
    real = lines[0]
    pins.write_text(f"{host} {typ} {data}\n")
    with loopback.provider(spec=spec) as p, pytest.raises(PermissionDenied, match="mismatch"):
        p.list_secrets()
    # ... or with a key of another type
    typ, data = _other_key(tmp_path, "rsa")
    pins.write_text(f"{host} {typ} {data}\n")
    with (
        loopback.provider(spec=spec) as p,
        pytest.raises(PermissionDenied, match="mismatch|changed"),
    ):
        p.list_secrets()
    assert pins.read_text() == f"{host} {typ} {data}\n"  # nothing re-pinned
    pins.write_text(real + "\n")
    with loopback.provider(spec=spec) as p:
        assert isinstance(p.list_secrets(), list)
