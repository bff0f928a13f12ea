"""Secrets at rest: agent PINs and supervisors' passwords (scrypt), API tokens (SHA-256).

Rule 1: a PIN is 4-12 ASCII digits; anything else is an InvalidPin naming the rule. A
password is 10-200 characters with no control characters (InvalidPassword otherwise);
PINs and passwords are hashed and checked the same way (rule 2).
Rule 2: a PIN is stored as "scrypt$n=N,r=R,p=P$salt$hash" (base64, a fresh 16-byte salt per
hash), so its cost can be raised later without breaking stored PINs; it is checked with
hmac.compare_digest. Hashing is slow on purpose: callers run it in a worker thread.
Rule 3: a token is 32 random bytes (url-safe base64, prefixed "cti_"); only its SHA-256
hex digest is stored. Tokens are random enough that a fast hash is the right one.
Rule 4: nothing here logs a PIN, a token or a hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from typing import Final

from cti.storage.errors import InvalidPassword, InvalidPin

PIN_PATTERN: Final = re.compile(r"[0-9]{4,12}")
PASSWORD_MIN: Final = 10
PASSWORD_MAX: Final = 200
SCRYPT_N: Final = 2**14
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
SCRYPT_MAXMEM: Final = 64 * 1024 * 1024
TOKEN_PREFIX: Final = "cti_"
# Checked when an agent has no PIN, so that a wrong agent id costs as much as a wrong PIN.
_DECOY: Final = "scrypt$n=16384,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="


def check_pin(pin: str) -> str:
    """The PIN, when it is 4-12 digits; InvalidPin otherwise."""
    if not PIN_PATTERN.fullmatch(pin):
        raise InvalidPin("a PIN is 4 to 12 digits (0-9)")
    return pin


def check_password(password: str) -> str:
    """The password, when it is 10-200 characters without control characters."""
    printable = all(ch.isprintable() for ch in password)
    if not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX and printable):
        raise InvalidPassword(
            f"a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters, without control characters"
        )
    return password


def hash_pin(pin: str) -> str:
    """A fresh salted scrypt hash of a valid PIN (slow: call it in a worker thread)."""
    return _hashed(check_pin(pin))


def hash_password(password: str) -> str:
    """A fresh salted scrypt hash of a valid password (slow: a worker thread)."""
    return _hashed(check_password(password))


def pin_matches(pin: str, stored: str | None) -> bool:
    """True when the PIN hashes to the stored value (slow: call it in a worker thread).

    A missing or unreadable stored value, or a PIN of the wrong shape, is False after the
    same amount of work as a real check."""
    return _matches(pin, stored) and PIN_PATTERN.fullmatch(pin) is not None


def password_matches(password: str, stored: str | None) -> bool:
    """As pin_matches, for a password (a missing one costs a real check too)."""
    return _matches(password, stored)


def _hashed(secret: str) -> str:
    salt = os.urandom(16)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _matches(secret: str, stored: str | None) -> bool:
    parsed = _parse(stored or _DECOY) or _parse(_DECOY)
    assert parsed is not None
    n, r, p, salt, expected = parsed
    try:
        candidate = _scrypt(secret, salt, n, r, p, len(expected))
    except UnicodeEncodeError:  # a lone surrogate: no stored secret has one
        candidate = b""
    return hmac.compare_digest(candidate, expected) and stored is not None


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=length
    )


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, params, salt, digest = stored.split("$")
        values = dict(item.split("=", 1) for item in params.split(","))
        n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
        sane = 1 < n <= 2**20 and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16
        if scheme != "scrypt" or not sane:  # a forged cost must not stall the server
            return None
        return (
            n,
            r,
            p,
            base64.b64decode(salt, validate=True),
            base64.b64decode(digest, validate=True),
        )
    except (ValueError, KeyError, binascii.Error):
        return None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
