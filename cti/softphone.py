"""The browsers' softphones (issue 15): each one's SIP password, derived from one secret.

Rule 1: a softphone's password is HMAC-SHA256(secret, device id), its first 32 hex
digits. Asterisk's configuration (the lab's render, the docker route's entrypoint with
openssl) and the server compute the same one, so the server stores no password per
phone, and the password of one softphone tells nothing of another's: an agent signed in
on 1901 cannot register as 1902.
Rule 2: the secret is at least 16 letters or digits (a value that goes into a
configuration file whole); anything else is a ValueError.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

SECRET: Final = re.compile(r"[A-Za-z0-9]{16,200}")
DIGITS: Final = 32


def check_secret(secret: str) -> str:
    """Rule 2."""
    if not SECRET.fullmatch(secret):
        raise ValueError("a softphones' secret is 16 to 200 letters or digits")
    return secret


def password(secret: str, device: str) -> str:
    """Rule 1."""
    digest = hmac.new(check_secret(secret).encode(), device.encode(), hashlib.sha256)
    return digest.hexdigest()[:DIGITS]
