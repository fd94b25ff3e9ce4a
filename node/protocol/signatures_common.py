"""What both HTTP signature schemes share (signatures_cavage.py: draft-cavage-12, signatures_rfc9421.py:
RFC 9421; signatures.py runs either on a request): the error, header lines, keys, the time window and
the body digests. Pure: no clock, file or network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import http_sf
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

Headers = Mapping[str, str]

CLOCK_SKEW = timedelta(hours=1)
"""How far a signer's clock may be ahead of or behind ours (Mastodon's CLOCK_SKEW_MARGIN)."""
VALIDITY = timedelta(minutes=5)
"""How long a signature without an explicit expiry stays valid after it was made."""
EXPIRATION_LIMIT = timedelta(hours=12)
"""The longest validity an explicit expiry can claim (Mastodon's EXPIRATION_WINDOW_LIMIT)."""

CAVAGE_ALGORITHMS = ("rsa-sha256", "hs2019")
RFC9421_ALGORITHMS = ("rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TCHAR = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
AUTH_PARAM = re.compile(rf'[ \t]*({_TCHAR})[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|({_TCHAR}))[ \t]*')
_OBS_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")


class SignatureError(ValueError):
    """A signature, or a header it depends on, is missing, malformed, expired or wrong."""


# --- shared helpers -------------------------------------------------------------------------------


def field_lines(headers: Headers) -> dict[str, list[str]]:
    """Every field's trimmed, unfolded lines, by lowercase name, in message order."""
    lines: dict[str, list[str]] = {}
    for name, raw in headers.items():
        # Only a value with a line break can hold an obsolete fold; the others skip the regex.
        value = (_OBS_FOLD.sub(" ", raw) if "\n" in raw or "\r" in raw else raw).strip(" \t")
        if "\r" in value or "\n" in value:
            raise SignatureError(f"The {name} header contains a line break.")
        lines.setdefault(str(name).lower(), []).append(value)
    return lines


def field_value(lines: dict[str, list[str]], name: str) -> str | None:
    values = lines.get(name)
    return None if values is None else ", ".join(values)


def b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise SignatureError(f"The {what} is not valid base64.") from None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Parsing a PEM key costs far more than using it (tens of ms for an RSA private key, which the library
# validates on load); a node signs and verifies with the same few hundred keys again and again. The
# caches hold key objects by their PEM text, so a rotated key is simply a new entry.
@lru_cache(maxsize=4096)
def load_public_key(public_pem: str | bytes) -> Any:
    data = public_pem.encode("utf-8") if isinstance(public_pem, str) else public_pem
    try:
        return serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError("The public key is not a PEM public key this node can read.") from None


@lru_cache(maxsize=1024)
def load_private_key(private_pem: str | bytes) -> Any:
    data = private_pem.encode("utf-8") if isinstance(private_pem, str) else private_pem
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("The private key is not an unencrypted PEM private key.") from None


def require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def from_timestamp(value: int, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(f"The {what} timestamp {value} is out of range.") from None


def check_time_window(created: datetime, expires: datetime | None, now: datetime) -> None:
    """Accept a signature made at ``created`` (and ending at ``expires``) only inside Mastodon's window.

    The rule, as Mastodon's ``matches_time_window?`` applies it:

    - ``created`` may be at most ``CLOCK_SKEW`` (1 h) after ``now``;
    - the signature ends at ``expires`` if given, else ``VALIDITY`` (5 min) after ``created``, and
      never later than ``EXPIRATION_LIMIT`` (12 h) after ``created``;
    - ``now`` may be at most ``CLOCK_SKEW`` after that end.

    Without ``expires`` this is exactly: now - 1 h - 5 min <= created <= now + 1 h, both ends
    included. DESIGN.md's "5 min validity, 1 h skew" names the same two numbers; the 12 h limit only
    bounds an explicit ``expires``. Why Mastodon's rule and not a tighter one: senders are tuned to
    what Mastodon accepts (queued retries, skewed clocks), so a narrower window would refuse deliveries
    that the rest of the network takes; a wider one would only lengthen the replay window.
    """
    now = require_aware(now)
    created = require_aware(created)
    if created > now + CLOCK_SKEW:
        raise SignatureError(
            f"The signature was made at {created:%Y-%m-%d %H:%M:%S} UTC, more than 1 hour after "
            f"this node's time {now:%Y-%m-%d %H:%M:%S} UTC."
        )
    end = created + VALIDITY if expires is None else min(require_aware(expires), created + EXPIRATION_LIMIT)
    if now > end + CLOCK_SKEW:
        raise SignatureError(
            f"The signature expired at {end:%Y-%m-%d %H:%M:%S} UTC; with 1 hour of clock skew it was "
            f"accepted until {end + CLOCK_SKEW:%H:%M:%S}, and this node's time is "
            f"{now:%Y-%m-%d %H:%M:%S} UTC."
        )


def digest_header(body: bytes) -> str:
    """The RFC 3230 ``Digest`` value for a body: ``SHA-256=<base64>``."""
    return "SHA-256=" + b64(hashlib.sha256(body).digest())


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value for a body: ``sha-256=:<base64>:``."""
    return http_sf.ser({"sha-256": hashlib.sha256(body).digest()})


_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def check_digest(headers: Headers, body: bytes) -> None:
    """Check the body against every ``Digest`` (RFC 3230) and ``Content-Digest`` (RFC 9530) header.

    At least one of the two must be present, and each present one must offer SHA-256 or SHA-512;
    every SHA-256 or SHA-512 value offered must match. Other algorithms are ignored.
    """
    lines = field_lines(headers)
    legacy, modern = field_value(lines, "digest"), field_value(lines, "content-digest")
    if legacy is None and modern is None:
        raise SignatureError("The request has no Digest or Content-Digest header for its body.")
    if legacy is not None:
        offered: list[tuple[str, bytes]] = []
        for part in legacy.split(","):
            name, equals, value = part.strip().partition("=")
            if not equals:
                raise SignatureError(f"The Digest header is malformed: {part.strip()!r}.")
            if name.lower() in _DIGESTS:
                offered.append((name.lower(), b64decode(value.strip(), f"Digest {name} value")))
        _compare_digests("Digest", offered, legacy, body)
    if modern is not None:
        try:
            members = http_sf.parse(modern.encode("latin-1"), tltype="dictionary")
        except (ValueError, UnicodeEncodeError):
            raise SignatureError("The Content-Digest header is not a structured dictionary.") from None
        assert isinstance(members, dict)
        offered = []
        for name, member in members.items():
            if name in _DIGESTS:
                digest = member[0] if isinstance(member, tuple) else member
                if not isinstance(digest, bytes):
                    raise SignatureError(f"The Content-Digest {name} value is not a byte sequence.")
                offered.append((name, digest))
        _compare_digests("Content-Digest", offered, modern, body)


def _compare_digests(header: str, offered: list[tuple[str, bytes]], raw: str, body: bytes) -> None:
    if not offered:
        raise SignatureError(f"The {header} header offers neither SHA-256 nor SHA-512: {raw!r}.")
    for name, value in offered:
        if not hmac.compare_digest(_DIGESTS[name](body).digest(), value):
            raise SignatureError(f"The {header} {name.upper()} value does not match the body.")
