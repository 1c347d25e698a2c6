"""PostgreSQL SCRAM-SHA-256 password verifiers, computed here so no password reaches the server.

``CREATE ROLE ... PASSWORD '<verifier>'`` stores the verifier as given (PostgreSQL recognises the
format and does not hash it again), so the plain password never travels to the server and no
server log (``log_statement``, a failing statement echoed by ``log_min_error_statement``) can
hold it. Format (PostgreSQL ``src/common/scram-common.c``, ``scram_build_secret``)::

    SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>

with, per RFC 5802 section 3 and RFC 7677 (SHA-256)::

    SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations)
    ClientKey      = HMAC(SaltedPassword, "Client Key")
    StoredKey      = SHA-256(ClientKey)
    ServerKey      = HMAC(SaltedPassword, "Server Key")

Passwords given here must be ASCII (those cloudcore generates are): SASLprep leaves them as they
are, so no normalisation is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

__all__ = ["ITERATIONS", "scram_sha256_verifier"]

ITERATIONS = 4096  # PostgreSQL's default scram_iterations
SALT_BYTES = 16  # PostgreSQL's SCRAM_DEFAULT_SALT_LEN


def scram_sha256_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """The verifier PostgreSQL stores for ``password`` (a random salt unless given)."""
    if not password.isascii():
        raise ValueError("only ASCII passwords are hashed here (no SASLprep)")
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
