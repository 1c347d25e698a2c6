"""The directory store's files on a host over SFTP (same layout as on this machine).

Bytes stream over one SFTP session on the transport's SSH connection (through
``sudo -n sftp-server`` when the transport uses sudo, so files are root's like everything else
under the state folder). Atomic writes as on a local disk: a ``.tmp-*`` file in the target's
folder (mode 0600), ``fsync@openssh.com``, then ``posix-rename@openssh.com``. Listing every
sidecar of a bucket is one ``find ... -exec cat`` command, not one request per file.

paramiko's ``SFTPClient`` is not safe for concurrent requests from several threads (a thread
can read another's response and drop it), so every request holds one lock per session:
operations on one host are serialised, a streamed read takes the lock per chunk.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._dirstore import CHUNK
from ._shell import SEQ, quiet, script

if TYPE_CHECKING:
    import paramiko

    from .transport.ssh import SSHTransport

__all__ = ["SftpFS"]


class SftpFS:
    """:class:`~cloudcore_baremetal._dirstore.StoreFS` over SFTP on one host."""

    def __init__(self, transport: SSHTransport) -> None:
        self.transport = transport
        self._sftp: paramiko.SFTPClient | None = None
        self._lock = threading.Lock()
        self._io = threading.RLock()  # one request at a time on the session (see the docs)

    def _client(self) -> paramiko.SFTPClient:
        with self._lock:
            sftp = self._sftp
            if sftp is not None:
                chan = sftp.get_channel()
                if chan is not None and not chan.closed and chan.get_transport().is_active():
                    return sftp
                sftp.close()
            self._sftp = self.transport.open_sftp()
            return self._sftp

    def close(self) -> None:
        """Close the SFTP session."""
        with self._lock:
            if self._sftp is not None:
                self._sftp.close()
                self._sftp = None

    def read(self, path: str) -> bytes | None:
        with self._io:
            return self._read(path)

    def _read(self, path: str) -> bytes | None:
        try:
            with self._client().open(path, "rb") as fh:
                data: bytes = fh.read()
                return data
        except FileNotFoundError:
            return None

    def _makedirs(self, sftp: paramiko.SFTPClient, folder: str) -> None:
        try:
            sftp.stat(folder)
            return
        except FileNotFoundError:
            pass
        parent = folder.rsplit("/", 1)[0]
        if parent and parent != folder:
            self._makedirs(sftp, parent)
        try:
            sftp.mkdir(folder, 0o700)
        except OSError:
            if not stat.S_ISDIR(sftp.stat(folder).st_mode or 0):
                raise

    def write_atomic(self, path: str, chunks: Iterable[bytes]) -> None:
        with self._io:
            self._write_atomic(path, chunks)

    def _write_atomic(self, path: str, chunks: Iterable[bytes]) -> None:
        from paramiko.sftp import CMD_EXTENDED

        sftp = self._client()
        folder = path.rsplit("/", 1)[0]
        self._makedirs(sftp, folder)
        tmp = f"{folder}/.tmp-{secrets.token_hex(8)}"
        try:
            with sftp.open(tmp, "wb") as fh:
                fh.chmod(0o600)
                fh.set_pipelined(True)
                for chunk in chunks:
                    fh.write(chunk)
                fh.flush()
                # fsync@openssh.com: the bytes are on the host's disk before the rename
                sftp._request(CMD_EXTENDED, "fsync@openssh.com", fh.handle)  # type: ignore[attr-defined]
            sftp.posix_rename(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                sftp.remove(tmp)
            raise

    def open_chunks(self, path: str) -> tuple[Iterator[bytes], Callable[[], None]]:
        with self._io:
            fh = self._client().open(path, "rb")
            fh.prefetch()

        def chunks() -> Iterator[bytes]:
            while True:
                with self._io:
                    block = fh.read(CHUNK)
                if not block:
                    return
                yield block

        def close() -> None:
            with self._io:
                fh.close()

        return chunks(), close

    def listdir(self, path: str) -> list[str]:
        try:
            with self._io:
                return list(self._client().listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError), self._io:
            self._client().remove(path)

    def rmdir(self, path: str) -> None:
        with contextlib.suppress(OSError), self._io:
            self._client().rmdir(path)

    def rmtree(self, path: str) -> None:
        self.transport.run(["rm", "-rf", "--", path], mutating=True, name="rm")

    def rename(self, src: str, dst: str) -> None:
        with self._io:
            self._client().posix_rename(src, dst)

    def docs(self, path: str) -> list[dict[str, Any]]:
        res = self.transport.run(
            script(
                ["find", path, "-name", "*.json", "!", "-name", ".*", "-exec", "cat", "{}", "+"],
                quiet(),
                SEQ,
                ["true"],
            ),
            mutating=False,
            name="read-sidecars",
        )
        out = []
        for line in res.stdout.splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict):
                out.append(doc)
        return out
