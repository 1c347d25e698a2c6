"""Secrets: encrypted files on the secrets host, one 0600 file per version in 0700 folders.

Threat model (see docs/drivers/baremetal.md): values are encrypted with AES-256-GCM on the
machine running cloudcore, with a key that never goes to the host, and bound to their name and
version (associated data). The host stores only ciphertext; reading a file needs root there
*and* the key. Values travel only over the SSH channel's stdin, never on a command line, so
``ps`` on the host never shows them. A service's env file on an app host holds the plaintext it
needs (mode 0600, root-owned), because the process must read it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets as pysecrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from cloudcore.errors import ConfigurationError, NotFound
from cloudcore.models.secrets import SecretVersion

from ._shell import AND, OR, SEQ, exit_with, group, quiet, script, to_file
from .transport import CommandError

if TYPE_CHECKING:
    from .inventory import Host

__all__ = ["SecretStore", "load_key"]

_MAGIC = b"CC1"
_ONE_FOLDER = 254  # hex digits that fit one file name (255 bytes), even
_CHUNK = 200
_LEVELS = 3  # 512 hex digits (256 characters) in folders of 200
_CONFLICT = 17


def load_key(secret_key: str | bytes | None, key_file: str | None) -> bytes:
    """The 32-byte master key: given directly, from ``CLOUDCORE_SECRET_KEY``, or a key file.

    A missing key file is created (0600) with a fresh random key, atomically: written to a
    temporary file, flushed to disk, then linked into place, so a full disk or a crash never
    leaves an empty or partial key file (and the temporary file is removed on failure).
    """
    raw: str | bytes | None = secret_key or os.environ.get("CLOUDCORE_SECRET_KEY")
    if raw:
        return _decode_key(raw, "secret_key")
    if not key_file:
        raise ConfigurationError("secret_key: give secret_key or secret_key_file")
    path = Path(key_file).expanduser()
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path)


def _decode_key(raw: str | bytes, what: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw if isinstance(raw, bytes) else raw.encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigurationError(
            f"{what}: must be 32 bytes, urlsafe-base64 encoded", field="secret_key"
        )
    return key


def _read_key_file(path: Path) -> bytes:
    text = path.read_text().strip()
    if not text:
        raise ConfigurationError(
            f"secret_key_file: {path} is empty (it holds no key); a key file holds 32 random "
            "bytes, urlsafe-base64 encoded. Restore it from a backup, or remove it to create a "
            "new key (secrets stored with the old key then cannot be read)",
            field="secret_key_file",
        )
    try:
        key = base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigurationError(
            f"secret_key_file: {path} holds {len(text)} characters that are not a 32-byte "
            "urlsafe-base64 key (truncated or not a key file); restore it from a backup",
            field="secret_key_file",
        )
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _remove_stale_tmp(path)
    tmp = path.with_name(f".{path.name}.{pysecrets.token_hex(6)}.tmp")
    data = (base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n").encode()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key another process created meanwhile
        except FileExistsError:
            return
        _fsync_dir(path.parent)
    except OSError as exc:
        raise ConfigurationError(
            f"secret_key_file: cannot create {path}: {exc.strerror or exc}",
            field="secret_key_file",
        ) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _remove_stale_tmp(path: Path) -> None:
    """Remove temporary key files a killed process left (older than a minute)."""
    import time

    for old in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - old.stat().st_mtime > 60:
                old.unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _aesgcm(key: bytes) -> object:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:  # pragma: no cover - cryptography ships with paramiko
        raise ConfigurationError(
            "secrets need the 'cryptography' package: pip install cryptography"
        ) from exc
    return AESGCM(key)


class SecretStore:
    """The secret files on one host.

    Args:
        host: The host holding the secrets.
        key: The 32-byte master key (kept off the host), or a function returning it, called
            with ``create=True`` only when a value is sealed: reading names, versions and values
            never creates a key file (a read-only user of the store writes nothing).
    """

    def __init__(self, host: Host, key: bytes | Callable[[bool], bytes]) -> None:
        self.host = host
        self._key_source = key

    def _key(self, create: bool) -> bytes:
        source = self._key_source
        return source if isinstance(source, bytes) else source(create)

    def __repr__(self) -> str:
        return f"<SecretStore on {self.host.name}>"

    def _dir(self, key: str | None = None) -> str:
        """The folder of a secret: its name in hex. A file name holds at most 255 bytes, and a
        name may have 256 characters (512 hex digits), so a hex name longer than 254 digits is
        split into folders of 200, each but the last ending in ``+`` (which no single-folder
        name has, so the two layouts never meet)."""
        base = self.host.path("secrets")
        if key is None:
            return base
        hexed = key.encode().hex()
        if len(hexed) <= _ONE_FOLDER:
            return f"{base}/{hexed}"
        parts = [hexed[i : i + _CHUNK] for i in range(0, len(hexed), _CHUNK)]
        return "/".join([base, *(p + "+" for p in parts[:-1]), parts[-1]])

    def _name_of(self, folder: str) -> str | None:
        """The secret name of a folder :meth:`_dir` made (``None`` for anything else)."""
        rel = folder.removeprefix(self._dir() + "/")
        parts = rel.split("/")
        if any(not p.endswith("+") for p in parts[:-1]) or parts[-1].endswith("+"):
            return None
        try:
            return bytes.fromhex("".join(p.removesuffix("+") for p in parts)).decode()
        except ValueError:
            return None

    def _seal(self, key: str, version: str, value: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = _aesgcm(self._key(True))
        assert isinstance(aead, AESGCM)
        nonce = os.urandom(12)
        return _MAGIC + nonce + aead.encrypt(nonce, value, f"{key}\0{version}".encode())

    def _open(self, key: str, version: str, blob: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = _aesgcm(self._key(False))
        assert isinstance(aead, AESGCM)
        if not blob.startswith(_MAGIC) or len(blob) < 3 + 12 + 16:
            raise ConfigurationError(f"secret {key!r} version {version}: unreadable file")
        try:
            return aead.decrypt(blob[3:15], blob[15:], f"{key}\0{version}".encode())
        except InvalidTag:
            raise ConfigurationError(
                f"secret {key!r} version {version}: cannot decrypt (wrong secret_key?)"
            ) from None

    def versions(self, key: str) -> list[tuple[str, datetime]]:
        """``(version, created_at)`` of a secret, oldest first (empty when it does not exist)."""
        res = self.host.transport.run(
            script(
                [
                    "find",
                    self._dir(key),
                    "-maxdepth",
                    "1",
                    "-name",
                    "*.bin",
                    "-printf",
                    "%f %T@\\n",
                ],
                quiet(),
                SEQ,
                ["true"],
            ),
            mutating=False,
            name="secret-versions",
        )
        out: list[tuple[str, datetime]] = []
        for line in res.text.splitlines():
            fname, _, stamp = line.partition(" ")
            ver = fname.removesuffix(".bin")
            if ver.isdigit():
                out.append((ver, datetime.fromtimestamp(float(stamp), UTC)))
        return sorted(out, key=lambda v: int(v[0]))

    def store(self, key: str, value: SecretStr) -> str:
        """Store a new version; returns its id (``"1"``, ``"2"``...)."""
        existing = self.versions(key)
        nxt = int(existing[-1][0]) + 1 if existing else 1
        ver = self._store_from(key, value, nxt, attempts=20)
        if ver is None:
            raise ConfigurationError(f"secret {key!r}: too many concurrent writers")
        return ver

    def store_first(self, key: str, value: SecretStr) -> SecretStr:
        """Store ``value`` as version 1 unless the secret exists; returns the value kept.

        Of concurrent callers exactly one stores its value (version 1 is created with a
        no-replace link); every other caller, and any later one, gets that value back. A rerun
        after a crash therefore reuses the value the first run stored.
        """
        if not self.versions(key) and self._store_from(key, value, 1, attempts=1) == "1":
            return value
        return self.get(key, None)

    def _store_from(self, key: str, value: SecretStr, nxt: int, *, attempts: int) -> str | None:
        raw = value.get_secret_value().encode()
        d = self._dir(key)
        for _ in range(attempts):
            ver = str(nxt)
            tmp = f"{d}/.{ver}.{pysecrets.token_hex(6)}.tmp"
            final = f"{d}/{ver}.bin"
            blob = self._seal(key, ver, raw)
            try:
                self.host.transport.run(
                    script(
                        ["mkdir", "-p", "-m", "700", self._dir(), d],
                        AND,
                        ["umask", "077"],
                        AND,
                        group(
                            ["cat"], to_file(tmp), OR, group(["rm", "-f", tmp], SEQ, exit_with(1))
                        ),
                        AND,
                        group(
                            ["ln", tmp, final],
                            OR,
                            group(["rm", "-f", tmp], SEQ, exit_with(_CONFLICT)),
                        ),
                        AND,
                        ["rm", "-f", tmp],
                    ),
                    mutating=True,
                    name="secret-store",
                    stdin=blob,
                )
                return ver
            except CommandError as exc:
                if exc.code != _CONFLICT:
                    raise
                nxt += 1
        return None

    def get(self, key: str, version: str | None) -> SecretStr:
        """The value of the latest (or given) version.

        Raises:
            NotFound: no such secret or version.
        """
        if version is None:
            found = self.versions(key)
            if not found:
                raise NotFound(f"no secret named {key!r}")
            version = found[-1][0]
        elif not version.isdigit():
            raise NotFound(f"secret {key!r} has no version {version!r}")
        blob = self.host.transport.read_file(f"{self._dir(key)}/{version}.bin", name="secret-read")
        if blob is None:
            if version is not None and self.versions(key):
                raise NotFound(f"secret {key!r} has no version {version!r}")
            raise NotFound(f"no secret named {key!r}")
        return SecretStr(self._open(key, version, blob).decode())

    def names(self) -> list[str]:
        """Names of every stored secret (never values)."""
        res = self.host.transport.run(
            script(
                [
                    "find",
                    self._dir(),
                    "-mindepth",
                    "2",
                    "-maxdepth",
                    str(1 + _LEVELS),
                    "-name",
                    "*.bin",
                    "-printf",
                    "%h\\n",
                ],
                quiet(),
                SEQ,
                ["true"],
            ),
            mutating=False,
            name="secret-list",
        )
        names = {name for line in res.text.splitlines() if (name := self._name_of(line))}
        return sorted(names)

    def list_versions(self, key: str) -> list[SecretVersion]:
        """Versions of a secret (never values).

        Raises:
            NotFound: no such secret.
        """
        found = self.versions(key)
        if not found:
            raise NotFound(f"no secret named {key!r}")
        return [SecretVersion(key=key, version=v, created_at=t) for v, t in found]

    def delete(self, key: str) -> bool:
        """Delete every version; returns whether anything was there."""
        if not self.versions(key):
            return False
        self.host.transport.run(["rm", "-rf", "--", self._dir(key)], mutating=True, name="rm")
        return True
