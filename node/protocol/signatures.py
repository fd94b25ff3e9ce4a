"""HTTP request signatures: draft-cavage-http-signatures-12 as the fediverse uses it, and RFC 9421.

Pure functions over plain data: a method, a URL or request target, a header mapping, the body
bytes, PEM key text and an explicit ``now``. Nothing here reads the clock, a file or the network.
Every rejection is a :class:`SignatureError` whose message says what was wrong.

Typical inbound use::

    key_id = signature_key_id(request.headers)          # before any key is fetched
    public_pem = ...                                     # fetch the actor's key for key_id
    verify_request("POST", url, request.headers, body, public_pem, now=now)

``verify_request`` runs every check: the signature itself, the covered headers, the time window
and the body digest. The individual checks are public as well, for tests and for callers that need
only one of them.

Header mappings are read with ``items()``, so a mapping that holds a field more than once (aiohttp's
``CIMultiDictProxy``) gives every line; names are compared case-insensitively. Field values are
trimmed and obsolete line folding becomes one space; a value that still holds a CR or LF is refused,
since it could forge a line of the signed text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

Headers = Mapping[str, str]

CLOCK_SKEW = timedelta(hours=1)
"""How far a signer's clock may be ahead of or behind ours (Mastodon's CLOCK_SKEW_MARGIN)."""
VALIDITY = timedelta(minutes=5)
"""How long a signature without an explicit expiry stays valid after it was made."""
EXPIRATION_LIMIT = timedelta(hours=12)
"""The longest validity an explicit expiry can claim (Mastodon's EXPIRATION_WINDOW_LIMIT)."""

CAVAGE_ALGORITHMS = ("rsa-sha256", "hs2019")
RFC9421_ALGORITHMS = ("rsa-v1_5-sha256", "rsa-pss-sha512", "ed25519")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TCHAR = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_AUTH_PARAM = re.compile(rf'[ \t]*({_TCHAR})[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|({_TCHAR}))[ \t]*')
_OBS_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")


class SignatureError(ValueError):
    """A signature, or a header it depends on, is missing, malformed, expired or wrong."""


# --- shared helpers -------------------------------------------------------------------------------


def _field_lines(headers: Headers) -> dict[str, list[str]]:
    """Every field's trimmed, unfolded lines, by lowercase name, in message order."""
    lines: dict[str, list[str]] = {}
    for name, raw in headers.items():
        # Only a value with a line break can hold an obsolete fold; the others skip the regex.
        value = (_OBS_FOLD.sub(" ", raw) if "\n" in raw or "\r" in raw else raw).strip(" \t")
        if "\r" in value or "\n" in value:
            raise SignatureError(f"The {name} header contains a line break.")
        lines.setdefault(str(name).lower(), []).append(value)
    return lines


def _field(lines: dict[str, list[str]], name: str) -> str | None:
    values = lines.get(name)
    return None if values is None else ", ".join(values)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise SignatureError(f"The {what} is not valid base64.") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Parsing a PEM key costs far more than using it (tens of ms for an RSA private key, which the library
# validates on load); a node signs and verifies with the same few hundred keys again and again. The
# caches hold key objects by their PEM text, so a rotated key is simply a new entry.
@lru_cache(maxsize=4096)
def _load_public_key(public_pem: str | bytes) -> Any:
    data = public_pem.encode("utf-8") if isinstance(public_pem, str) else public_pem
    try:
        return serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError("The public key is not a PEM public key this node can read.") from None


@lru_cache(maxsize=1024)
def _load_private_key(private_pem: str | bytes) -> Any:
    data = private_pem.encode("utf-8") if isinstance(private_pem, str) else private_pem
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("The private key is not an unencrypted PEM private key.") from None


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _from_timestamp(value: int, what: str) -> datetime:
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
    now = _require_aware(now)
    created = _require_aware(created)
    if created > now + CLOCK_SKEW:
        raise SignatureError(
            f"The signature was made at {created:%Y-%m-%d %H:%M:%S} UTC, more than 1 hour after "
            f"this node's time {now:%Y-%m-%d %H:%M:%S} UTC."
        )
    end = created + VALIDITY if expires is None else min(_require_aware(expires), created + EXPIRATION_LIMIT)
    if now > end + CLOCK_SKEW:
        raise SignatureError(
            f"The signature expired at {end:%Y-%m-%d %H:%M:%S} UTC; with 1 hour of clock skew it was "
            f"accepted until {end + CLOCK_SKEW:%H:%M:%S}, and this node's time is "
            f"{now:%Y-%m-%d %H:%M:%S} UTC."
        )


def digest_header(body: bytes) -> str:
    """The RFC 3230 ``Digest`` value for a body: ``SHA-256=<base64>``."""
    return "SHA-256=" + _b64(hashlib.sha256(body).digest())


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value for a body: ``sha-256=:<base64>:``."""
    return http_sf.ser({"sha-256": hashlib.sha256(body).digest()})


_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


def check_digest(headers: Headers, body: bytes) -> None:
    """Check the body against every ``Digest`` (RFC 3230) and ``Content-Digest`` (RFC 9530) header.

    At least one of the two must be present, and each present one must offer SHA-256 or SHA-512;
    every SHA-256 or SHA-512 value offered must match. Other algorithms are ignored.
    """
    lines = _field_lines(headers)
    legacy, modern = _field(lines, "digest"), _field(lines, "content-digest")
    if legacy is None and modern is None:
        raise SignatureError("The request has no Digest or Content-Digest header for its body.")
    if legacy is not None:
        offered: list[tuple[str, bytes]] = []
        for part in legacy.split(","):
            name, equals, value = part.strip().partition("=")
            if not equals:
                raise SignatureError(f"The Digest header is malformed: {part.strip()!r}.")
            if name.lower() in _DIGESTS:
                offered.append((name.lower(), _b64decode(value.strip(), f"Digest {name} value")))
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


# --- draft-cavage-http-signatures-12 --------------------------------------------------------------


@dataclass(frozen=True)
class CavageSignature:
    """A parsed draft-cavage ``Signature`` (or ``Authorization: Signature``) header."""

    key_id: str
    algorithm: str
    """Lowercase; ``hs2019`` when the header names none, as Mastodon assumes."""
    headers: tuple[str, ...]
    """The signed header names, lowercase, in signing order (the defaults applied)."""
    signature: bytes
    created: int | None = None
    expires: int | None = None


# An inbound request's header is parsed twice (for the key id, then to verify): the cache makes the
# second a lookup. Its entries are immutable; an invalid header raises and is not cached.
@lru_cache(maxsize=256)
def parse_signature_header(value: str) -> CavageSignature:
    """Parse a draft-cavage signature: ``keyId="…",algorithm="…",headers="…",signature="…"``.

    A leading ``Signature`` auth-scheme (the ``Authorization`` form) is accepted. Parameter names are
    case-insensitive, values are tokens or quoted strings with backslash escapes, a repeated parameter
    is an error (draft section 2.2), unknown parameters are ignored. Without ``headers`` the signed
    list is ``(created)`` for hs2019 and ``date`` otherwise (Mastodon's reading of the draft).
    """
    text = value.strip()
    if text[:9].lower() == "signature" and text[9:10] in (" ", "\t"):
        text = text[10:].lstrip(" \t")
    params: dict[str, str] = {}
    position = 0
    while True:
        match = _AUTH_PARAM.match(text, position)
        if match is None:
            raise SignatureError(
                f"The Signature header is malformed at character {position}: {text[position : position + 30]!r}."
            )
        name = match.group(1).lower()
        if name in params:
            raise SignatureError(f"The Signature header gives the parameter {match.group(1)!r} twice.")
        quoted = match.group(2)
        params[name] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)
        position = match.end()
        if position == len(text):
            break
        if text[position] != ",":
            raise SignatureError(
                f"The Signature header is malformed at character {position}: {text[position : position + 30]!r}."
            )
        position += 1
    for required in ("keyid", "signature"):
        if not params.get(required):
            raise SignatureError(
                f"The Signature header has no {'keyId' if required == 'keyid' else required} parameter."
            )
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in CAVAGE_ALGORITHMS:
        raise SignatureError(
            f"The signature algorithm {algorithm!r} is not supported; use one of {', '.join(CAVAGE_ALGORITHMS)}."
        )
    if "headers" in params:
        signed = tuple(params["headers"].lower().split())
        if not signed:
            raise SignatureError("The Signature header has an empty headers parameter.")
    else:
        signed = ("(created)",) if algorithm == "hs2019" else ("date",)
    return CavageSignature(
        key_id=params["keyid"],
        algorithm=algorithm,
        headers=signed,
        signature=_b64decode(params["signature"], "signature parameter"),
        created=_integer_param(params, "created"),
        expires=_integer_param(params, "expires"),
    )


def _integer_param(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    if re.fullmatch(r"[0-9]{1,15}", params[name]) is None:
        raise SignatureError(f"The Signature {name} parameter is not an integer: {params[name]!r}.")
    return int(params[name])


def cavage_signature(headers: Headers) -> CavageSignature:
    """The draft-cavage signature of a request: its ``Signature`` header, else ``Authorization: Signature``."""
    return _cavage_signature(_field_lines(headers))


def _cavage_signature(lines: dict[str, list[str]]) -> CavageSignature:
    if "signature-input" in lines:
        raise SignatureError(
            "The request carries an RFC 9421 signature (Signature-Input), not a draft-cavage one."
        )
    value = _field(lines, "signature")
    if value is None:
        authorization = _field(lines, "authorization")
        if authorization is None or authorization[:10].lower() != "signature ":
            raise SignatureError("The request has no Signature header.")
        value = authorization
    return parse_signature_header(value)


def cavage_signing_string(
    method: str,
    path_with_query: str,
    headers: Headers,
    signed_headers: Sequence[str],
    *,
    algorithm: str = "hs2019",
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The text a draft-cavage signature signs (draft section 2.3).

    ``(request-target)`` is the lowercase method, a space and the path with its query string, as
    sent. ``(created)`` and ``(expires)`` take the signature's parameters and are refused for the
    ``rsa-sha256`` algorithm. A signed header that the request lacks is an error.
    """
    return _cavage_text(
        method, path_with_query, _field_lines(headers), signed_headers, algorithm, created, expires
    )


def _cavage_text(
    method: str,
    path_with_query: str,
    lines: dict[str, list[str]],
    signed_headers: Sequence[str],
    algorithm: str,
    created: int | None,
    expires: int | None,
) -> str:
    if not signed_headers:
        raise SignatureError("A signature must cover at least one header.")
    if any(c in path_with_query for c in "\r\n \t"):
        raise SignatureError("The request target contains whitespace.")
    out: list[str] = []
    for raw_name in signed_headers:
        name = raw_name.lower()
        if name == "(request-target)":
            value = f"{method.lower()} {path_with_query}"
        elif name in ("(created)", "(expires)"):
            if algorithm != "hs2019":
                raise SignatureError(
                    f"The pseudo-header {name} is not allowed with the {algorithm} algorithm."
                )
            stamp = created if name == "(created)" else expires
            if stamp is None:
                raise SignatureError(
                    f"The pseudo-header {name} is signed but the {name[1:-1]} parameter is missing."
                )
            value = str(stamp)
        elif name.startswith("("):
            raise SignatureError(f"The pseudo-header {name} is unknown.")
        else:
            found = _field(lines, name)
            if found is None:
                raise SignatureError(f"The {name} header is signed but missing from the request.")
            value = found
        out.append(f"{name}: {value}")
    return "\n".join(out)


def _split_target(url_or_path: str) -> tuple[str | None, str]:
    """The host (None for a bare path) and the path with its query string."""
    parts = urlsplit(url_or_path)
    if parts.scheme or parts.netloc:
        if not (parts.scheme and parts.netloc):
            raise SignatureError(f"The URL {url_or_path!r} is neither absolute nor a path.")
        host: str | None = parts.netloc.rpartition("@")[2]
    elif url_or_path.startswith("/"):
        host = None
    else:
        raise SignatureError(f"The URL {url_or_path!r} is neither absolute nor a path.")
    return host, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def sign_request(
    method: str,
    url_or_path: str,
    headers: Headers,
    body: bytes | None,
    key_id: str,
    private_pem: str | bytes,
    algorithm: str = "rsa-sha256",
    *,
    now: datetime,
    signed_headers: Sequence[str] | None = None,
) -> dict[str, str]:
    """Sign a request the draft-cavage way and return the headers to add.

    Returns ``Host`` (the given one, else the URL's), ``Date`` (the given one, else ``now``),
    ``Digest`` when there is a body, and ``Signature``. By default the signature covers
    ``(request-target) host date``, plus ``digest`` with a body; pass ``signed_headers`` to choose
    (for a signed GET with content negotiation, add ``accept`` and put it in ``headers``). With
    hs2019 the list may hold ``(created)`` (``now``) and ``(expires)`` (``now`` + 5 min).
    ``algorithm`` is ``rsa-sha256`` (RSA keys) or ``hs2019`` (RSA keys: RSASSA-PKCS1-v1_5 with
    SHA-256, as Mastodon reads it; Ed25519 keys: Ed25519).
    """
    algorithm = algorithm.lower()
    if algorithm not in CAVAGE_ALGORITHMS:
        raise SignatureError(f"The signature algorithm {algorithm!r} is not supported.")
    now = _require_aware(now)
    host, target = _split_target(url_or_path)
    lines = _field_lines(headers)
    added: dict[str, str] = {}
    given_host = _field(lines, "host")
    if given_host is None and host is None:
        raise SignatureError("A request given by path alone needs a Host header.")
    added["Host"] = given_host if given_host is not None else str(host)
    added["Date"] = _field(lines, "date") or format_datetime(now, usegmt=True)
    if body is not None:
        added["Digest"] = digest_header(body)
    if signed_headers is None:
        signed_headers = ("(request-target)", "host", "date", *(("digest",) if body is not None else ()))
    names = tuple(name.lower() for name in signed_headers)
    created = int(now.timestamp()) if "(created)" in names else None
    expires = int((now + VALIDITY).timestamp()) if "(expires)" in names else None
    lines.update({name.lower(): [value] for name, value in added.items()})
    text = _cavage_text(method, target, lines, names, algorithm, created, expires).encode("utf-8")
    key = _load_private_key(private_pem)
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(text, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ed25519.Ed25519PrivateKey) and algorithm == "hs2019":
        signature = key.sign(text)
    else:
        raise SignatureError(f"The {algorithm} algorithm cannot be used with this kind of private key.")
    params = [f'keyId="{_quote(key_id)}"', f'algorithm="{algorithm}"']
    if created is not None:
        params.append(f"created={created}")
    if expires is not None:
        params.append(f"expires={expires}")
    params += [f'headers="{" ".join(names)}"', f'signature="{_b64(signature)}"']
    added["Signature"] = ",".join(params)
    return added


def _quote(value: str) -> str:
    if any(c in value for c in "\r\n"):
        raise SignatureError("A signature parameter cannot contain a line break.")
    return value.replace("\\", "\\\\").replace('"', '\\"')


def verify_cavage(
    method: str, path_with_query: str, headers: Headers, public_pem: str | bytes
) -> CavageSignature:
    """Check a request's draft-cavage signature against a public key; return the parsed signature.

    ``path_with_query`` is the request target as received (path and query, not decoded). This checks
    only the cryptography; :func:`check_cavage_coverage`, :func:`check_cavage_window` and
    :func:`check_digest` check the rest, and :func:`verify_request` runs them all.
    """
    return _verify_cavage(method, path_with_query, _field_lines(headers), public_pem)


def _verify_cavage(
    method: str, path_with_query: str, lines: dict[str, list[str]], public_pem: str | bytes
) -> CavageSignature:
    signature = _cavage_signature(lines)
    text = _cavage_text(
        method, path_with_query, lines, signature.headers, signature.algorithm, signature.created, signature.expires
    ).encode("utf-8")
    key = _load_public_key(public_pem)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature.signature, text, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey) and signature.algorithm == "hs2019":
            key.verify(signature.signature, text)
        else:
            raise SignatureError(
                f"The {signature.algorithm} algorithm does not fit the key of {signature.key_id}."
            )
    except InvalidSignature:
        raise SignatureError(f"The signature does not verify with the key of {signature.key_id}.") from None
    return signature


def check_cavage_coverage(signature: CavageSignature, method: str) -> None:
    """Require ``(request-target)``, ``host`` and ``date`` (or ``(created)``) to be signed, and
    ``digest`` as well for POST, PUT and PATCH."""
    signed = set(signature.headers)
    missing = [name for name in ("(request-target)", "host") if name not in signed]
    if "date" not in signed and "(created)" not in signed:
        missing.append("date (or (created))")
    if method.upper() in _BODY_METHODS and "digest" not in signed:
        missing.append("digest")
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(missing)}.")


def check_cavage_window(signature: CavageSignature, headers: Headers, now: datetime) -> None:
    """Apply :func:`check_time_window` to a draft-cavage signature.

    The time is the signed ``(created)`` if covered, else the signed ``Date`` header; an expiry counts
    only when ``(expires)`` is signed. Mastodon also trusts an unsigned ``created`` parameter over a
    signed Date; this does not, since such a parameter would let anyone refresh an old signature.
    """
    _check_cavage_window(signature, _field_lines(headers), now)


def _check_cavage_window(signature: CavageSignature, lines: dict[str, list[str]], now: datetime) -> None:
    if "(created)" in signature.headers:
        if signature.created is None:
            raise SignatureError(
                "The pseudo-header (created) is signed but the created parameter is missing."
            )
        created = _from_timestamp(signature.created, "created")
    elif "date" in signature.headers:
        date = _field(lines, "date")
        if date is None:
            raise SignatureError("The Date header is signed but missing from the request.")
        created = _parse_http_date(date)
    else:
        raise SignatureError("The signature covers neither the Date header nor (created).")
    expires = None
    if "(expires)" in signature.headers and signature.expires is not None:
        expires = _from_timestamp(signature.expires, "expires")
    check_time_window(created, expires, now)


_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_IMF_FIXDATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT")


def _parse_http_date(value: str) -> datetime:
    # The IMF-fixdate every sender we know uses, read directly (the email parser costs ~10x more);
    # anything else, or a date out of range, takes the general parser as before.
    fixed = _IMF_FIXDATE.fullmatch(value)
    if fixed and fixed[2] in _MONTHS:
        try:
            return datetime(int(fixed[3]), _MONTHS[fixed[2]], int(fixed[1]), int(fixed[4]), int(fixed[5]),
                            int(fixed[6]), tzinfo=UTC)
        except ValueError:
            pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise SignatureError(f"The Date header is not an HTTP date: {value!r}.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- RFC 9421 HTTP Message Signatures -------------------------------------------------------------


@dataclass(frozen=True)
class MessageSignature:
    """One labelled RFC 9421 signature of a request: its Signature-Input member and its value."""

    label: str
    components: tuple[str, ...]
    """The covered component identifiers, serialized, e.g. ``"@method"`` with its quotes."""
    signature_params: str
    """The serialized ``@signature-params`` value: the covered list and the parameters."""
    signature: bytes
    created: int | None = None
    expires: int | None = None
    keyid: str | None = None
    alg: str | None = None
    nonce: str | None = None
    tag: str | None = None

    def covers(self, name: str) -> bool:
        """Whether a component is covered as a whole, e.g. ``covers("@method")``."""
        return http_sf.ser(name) in self.components


def _parse_sf_dictionary(value: str, header: str) -> dict[str, Any]:
    def duplicate(key: str, context: str) -> None:
        raise SignatureError(f"The {header} header repeats the {context} key {key!r}.")

    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary", on_duplicate_key=duplicate)
    except (ValueError, UnicodeEncodeError) as error:
        if isinstance(error, SignatureError):
            raise
        raise SignatureError(f"The {header} header is not a structured dictionary: {error}.") from None
    assert isinstance(parsed, dict)
    return parsed


_PARAM_TYPES: dict[str, type] = {
    "created": int,
    "expires": int,
    "keyid": str,
    "alg": str,
    "nonce": str,
    "tag": str,
}


def parse_message_signatures(headers: Headers) -> list[MessageSignature]:
    """All RFC 9421 signatures of a request, in ``Signature-Input`` order.

    Both headers must be structured dictionaries with the same labels; each input must be an inner
    list of lowercase strings, each signature a byte sequence, and ``created``, ``expires``,
    ``keyid``, ``alg``, ``nonce`` and ``tag`` must have their RFC types.
    """
    lines = _field_lines(headers)
    raw_inputs, raw_signatures = _field(lines, "signature-input"), _field(lines, "signature")
    if raw_inputs is None or raw_signatures is None:
        raise SignatureError("The request has no RFC 9421 signature (Signature-Input and Signature).")
    inputs = _parse_sf_dictionary(raw_inputs, "Signature-Input")
    values = _parse_sf_dictionary(raw_signatures, "Signature")
    if set(inputs) != set(values):
        raise SignatureError(
            f"The Signature-Input labels {sorted(inputs)} differ from the Signature labels {sorted(values)}."
        )
    found: list[MessageSignature] = []
    for label, member in inputs.items():
        if not (isinstance(member, tuple) and isinstance(member[0], list)):
            raise SignatureError(f"The Signature-Input member {label!r} is not an inner list.")
        items, params = member
        components: list[str] = []
        for item in items:
            name, _ = item
            if not isinstance(name, str) or name != name.lower():
                raise SignatureError(
                    f"The Signature-Input member {label!r} names a component that is not a lowercase string."
                )
            components.append(http_sf.ser(item))
        for key, kind in _PARAM_TYPES.items():
            if key in params and (type(params[key]) is not kind):
                raise SignatureError(
                    f"The {key} parameter of signature {label!r} is not {'an integer' if kind is int else 'a string'}."
                )
        value = values[label]
        signature = value[0] if isinstance(value, tuple) else value
        if not isinstance(signature, bytes):
            raise SignatureError(f"The Signature member {label!r} is not a byte sequence.")
        found.append(
            MessageSignature(
                label=label,
                components=tuple(components),
                signature_params=http_sf.ser([member]),
                signature=signature,
                created=params.get("created"),
                expires=params.get("expires"),
                keyid=params.get("keyid"),
                alg=params.get("alg"),
                nonce=params.get("nonce"),
                tag=params.get("tag"),
            )
        )
    return found


def _form_encode(value: str) -> str:
    """Percent-encode with the HTML form set, spaces as %20 (RFC 9421 section 2.2.8)."""
    return quote(value, safe="*").replace("~", "%7E")


def _url_parts(url: str) -> tuple[SplitResult, str]:
    parts = urlsplit(url)
    if not (parts.scheme and parts.netloc):
        raise SignatureError(f"RFC 9421 needs the absolute URL of the request, not {url!r}.")
    query = f"?{parts.query}" if parts.query or url.split("#", 1)[0].endswith("?") else ""
    return parts, query


def _authority(parts: SplitResult) -> str:
    """Host and port, lowercase, the scheme's default port left out (RFC 9110 section 4.2.3)."""
    match = re.fullmatch(r"(\[[^\]]*\]|[^:\[\]]*)(?::([0-9]*))?", parts.netloc.rpartition("@")[2].lower())
    if match is None or not match.group(1):
        raise SignatureError(f"The URL authority {parts.netloc!r} is malformed.")
    host, port = match.group(1), match.group(2)
    if not port or port == {"http": "80", "https": "443"}.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def _component_value(item: Any, method: str, url: str, lines: dict[str, list[str]]) -> list[str]:
    name, params = item
    if name.startswith("@"):
        if name == "@query-param":
            if set(params) != {"name"} or not isinstance(params["name"], str):
                raise SignatureError('The @query-param component needs exactly a string "name" parameter.')
        elif params:
            raise SignatureError(f"The {name} component takes no parameters, got {sorted(params)}.")
        parts, query = _url_parts(url)
        path = parts.path or "/"
        if name == "@method":
            return [method]
        if name == "@target-uri":
            return [f"{parts.scheme.lower()}://{parts.netloc.rpartition('@')[2]}{path}{query}"]
        if name == "@authority":
            return [_authority(parts)]
        if name == "@scheme":
            return [parts.scheme.lower()]
        if name == "@request-target":
            return [f"{path}{query}"]
        if name == "@path":
            return [path]
        if name == "@query":
            return [query or "?"]
        if name == "@query-param":
            wanted = params["name"]
            matches = [
                v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _form_encode(k) == wanted
            ]
            if len(matches) != 1:
                raise SignatureError(
                    f"The query parameter {wanted!r} occurs {len(matches)} times; exactly once is supported."
                )
            return [_form_encode(matches[0])]
        raise SignatureError(f"The derived component {name} is not supported for requests.")
    if name not in lines:
        raise SignatureError(f"The {name} header is covered but missing from the request.")
    if not params:
        return [", ".join(lines[name])]
    if set(params) == {"key"} and isinstance(params["key"], str):
        dictionary = _parse_sf_dictionary(", ".join(lines[name]), name)
        if params["key"] not in dictionary:
            raise SignatureError(f"The {name} header has no member {params['key']!r}.")
        return [http_sf.ser([dictionary[params["key"]]])]
    if set(params) == {"bs"} and params["bs"] is True:
        try:
            return [http_sf.ser([line.encode("latin-1") for line in lines[name]])]
        except UnicodeEncodeError:
            raise SignatureError(f"The {name} header is not Latin-1 text.") from None
    raise SignatureError(f"The component parameters {sorted(params)} on {name} are not supported.")


def signature_base(
    method: str, url: str, headers: Headers, components: Sequence[str], signature_params: str
) -> str:
    """The RFC 9421 signature base (section 2.5) that a signature signs.

    ``components`` are bare names (``"@method"``, ``"content-digest"``) or serialized identifiers
    with parameters (``'"@query-param";name="Pet"'``). ``url`` is the absolute target URI.
    Supported: ``@method``, ``@target-uri``, ``@authority``, ``@scheme``, ``@request-target``,
    ``@path``, ``@query``, ``@query-param``, and header fields, whole or with ``key`` or ``bs``.
    """
    return _base_text(method, url, _field_lines(headers), components, signature_params)


def _component_item(component: str) -> Any:
    """A component identifier, given bare (``@method``) or serialized, as a parsed item."""
    try:
        item = http_sf.parse(
            (component if component.startswith('"') else http_sf.ser(component)).encode("ascii"),
            tltype="item",
        )
    except (ValueError, UnicodeEncodeError):
        raise SignatureError(f"The component identifier {component!r} is malformed.") from None
    if not (isinstance(item, tuple) and isinstance(item[0], str)):
        raise SignatureError(f"The component identifier {component!r} is not a string.")
    if item[0] != item[0].lower():
        raise SignatureError(f"The component name {item[0]!r} is not lowercase.")
    return item


def _base_text(
    method: str, url: str, lines: dict[str, list[str]], components: Sequence[str], signature_params: str
) -> str:
    out: list[str] = []
    seen: set[str] = set()
    for component in components:
        item = _component_item(component)
        identifier = http_sf.ser(item)
        if identifier in seen:
            raise SignatureError(f"The component {identifier} is covered twice.")
        seen.add(identifier)
        out.extend(f"{identifier}: {value}" for value in _component_value(item, method, url, lines))
    if any(c in signature_params for c in "\r\n"):
        raise SignatureError("The signature parameters contain a line break.")
    out.append(f'"@signature-params": {signature_params}')
    return "\n".join(out)


def _rfc9421_sign(key: Any, algorithm: str, data: bytes) -> bytes:
    if algorithm in ("rsa-v1_5-sha256", "rsa-pss-sha512") and isinstance(key, rsa.RSAPrivateKey):
        if algorithm == "rsa-v1_5-sha256":
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return key.sign(data, padding.PSS(padding.MGF1(hashes.SHA512()), 64), hashes.SHA512())
    if algorithm == "ed25519" and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise SignatureError(f"The {algorithm} algorithm cannot be used with this kind of key.")


def sign_rfc9421(
    method: str,
    url: str,
    headers: Headers,
    body: bytes | None,
    key_id: str,
    private_pem: str | bytes,
    algorithm: str = "rsa-v1_5-sha256",
    *,
    now: datetime,
    components: Sequence[str] | None = None,
    label: str = "sig1",
    expires: datetime | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    include_alg: bool = True,
) -> dict[str, str]:
    """Sign a request with RFC 9421 and return the headers to add.

    Returns ``Content-Digest`` (SHA-256) when there is a body, ``Signature-Input`` and ``Signature``.
    The default coverage is ``@method`` and ``@target-uri``, plus ``content-digest`` with a body: what
    Mastodon requires. ``created`` is ``now``; ``keyid`` and ``alg`` are always sent (``alg`` unless
    ``include_alg`` is false). ``algorithm``: ``rsa-v1_5-sha256``, ``rsa-pss-sha512`` or ``ed25519``.
    """
    if algorithm not in RFC9421_ALGORITHMS:
        raise SignatureError(f"The signature algorithm {algorithm!r} is not supported.")
    now = _require_aware(now)
    added: dict[str, str] = {}
    lines = _field_lines(headers)
    if body is not None:
        added["Content-Digest"] = content_digest_header(body)
        lines["content-digest"] = [added["Content-Digest"]]
    if components is None:
        components = ("@method", "@target-uri", *(("content-digest",) if body is not None else ()))
    items = [_component_item(component) for component in components]
    params: dict[str, Any] = {"created": int(now.timestamp())}
    if expires is not None:
        params["expires"] = int(_require_aware(expires).timestamp())
    params["keyid"] = key_id
    if include_alg:
        params["alg"] = algorithm
    if nonce is not None:
        params["nonce"] = nonce
    if tag is not None:
        params["tag"] = tag
    try:
        signature_params = http_sf.ser([(items, params)])
        http_sf.ser({label: True})
    except (ValueError, TypeError) as error:
        raise SignatureError(f"The signature label or parameters cannot be serialized: {error}.") from None
    base = _base_text(method, url, lines, [http_sf.ser(item) for item in items], signature_params)
    signature = _rfc9421_sign(_load_private_key(private_pem), algorithm, base.encode("utf-8"))
    added["Signature-Input"] = f"{label}={signature_params}"
    added["Signature"] = http_sf.ser({label: signature})
    return added


def verify_rfc9421(
    method: str,
    url: str,
    headers: Headers,
    public_pem: str | bytes,
    *,
    label: str | None = None,
    algorithm: str | None = None,
) -> MessageSignature:
    """Check one RFC 9421 signature of a request against a public key; return it.

    ``label`` picks the signature (default: the first in Signature-Input). The algorithm is
    ``algorithm`` if given (it must then agree with a signed ``alg``), else the signed ``alg``, else
    what the key implies: ``rsa-v1_5-sha256`` for RSA (as Mastodon assumes), ``ed25519`` for Ed25519.
    Only the cryptography is checked; see :func:`check_rfc9421_coverage`,
    :func:`check_rfc9421_window` and :func:`verify_request`.
    """
    signatures = parse_message_signatures(headers)
    if label is None:
        chosen = signatures[0]
    else:
        matching = [s for s in signatures if s.label == label]
        if not matching:
            raise SignatureError(f"The request has no signature labelled {label!r}.")
        chosen = matching[0]
    key = _load_public_key(public_pem)
    if algorithm is not None and chosen.alg is not None and chosen.alg != algorithm:
        raise SignatureError(f"The signature claims alg {chosen.alg!r} but the key is for {algorithm!r}.")
    resolved = algorithm or chosen.alg
    if resolved is None:
        resolved = "ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "rsa-v1_5-sha256"
    if resolved not in RFC9421_ALGORITHMS:
        raise SignatureError(
            f"The signature algorithm {resolved!r} is not supported; use one of {', '.join(RFC9421_ALGORITHMS)}."
        )
    base = signature_base(method, url, headers, chosen.components, chosen.signature_params).encode("utf-8")
    try:
        if resolved == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(chosen.signature, base)
        elif resolved == "rsa-v1_5-sha256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(chosen.signature, base, padding.PKCS1v15(), hashes.SHA256())
        elif resolved == "rsa-pss-sha512" and isinstance(key, rsa.RSAPublicKey):
            key.verify(
                chosen.signature, base, padding.PSS(padding.MGF1(hashes.SHA512()), 64), hashes.SHA512()
            )
        else:
            raise SignatureError(f"The {resolved} algorithm does not fit the key of {chosen.keyid}.")
    except InvalidSignature:
        raise SignatureError(
            f"The signature {chosen.label!r} does not verify with the key of {chosen.keyid}."
        ) from None
    return chosen


def check_rfc9421_coverage(signature: MessageSignature, method: str) -> None:
    """Require what Mastodon requires: a ``created`` parameter, ``@method`` and ``@target-uri``, and
    ``content-digest`` for POST, PUT and PATCH."""
    missing = [name for name in ("@method", "@target-uri") if not signature.covers(name)]
    if method.upper() in _BODY_METHODS and not signature.covers("content-digest"):
        missing.append("content-digest")
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(missing)}.")
    if signature.created is None:
        raise SignatureError("The signature has no created parameter.")


def check_rfc9421_window(signature: MessageSignature, now: datetime) -> None:
    """Apply :func:`check_time_window` to the signed ``created`` and ``expires`` parameters."""
    if signature.created is None:
        raise SignatureError("The signature has no created parameter.")
    created = _from_timestamp(signature.created, "created")
    expires = None if signature.expires is None else _from_timestamp(signature.expires, "expires")
    check_time_window(created, expires, now)


# --- both schemes ---------------------------------------------------------------------------------


def signature_key_id(headers: Headers) -> str:
    """The key id a request's signature names (RFC 9421 ``keyid`` if present, else draft-cavage ``keyId``)."""
    lines = _field_lines(headers)
    if "signature-input" in lines:
        keyid = parse_message_signatures(headers)[0].keyid
        if not keyid:
            raise SignatureError("The signature has no keyid parameter.")
        return keyid
    return _cavage_signature(lines).key_id


def verify_request(
    method: str,
    url: str,
    headers: Headers,
    body: bytes,
    public_pem: str | bytes,
    *,
    now: datetime,
) -> CavageSignature | MessageSignature:
    """Run every check on a signed request and return the signature that passed.

    RFC 9421 is used when the request has a ``Signature-Input`` header, draft-cavage otherwise.
    ``url`` is the absolute URL the request was sent to (RFC 9421 needs it; draft-cavage uses its path
    and query, so a bare path works there). Checked: the signature against ``public_pem``, the covered
    headers (the ``check_*_coverage`` rules), the time window (:func:`check_time_window`), and, when
    the body is non-empty or a digest header is covered, the digest against ``body``.
    """
    lines = _field_lines(headers)  # once: every check below reads the same lines
    if "signature-input" in lines:
        message = verify_rfc9421(method, url, headers, public_pem)
        check_rfc9421_coverage(message, method)
        check_rfc9421_window(message, now)
        digest_covered = message.covers("content-digest")
        if body and not digest_covered:
            raise SignatureError("The body is not covered by a signed Content-Digest.")
        if digest_covered:
            check_digest({"Content-Digest": _field(lines, "content-digest") or ""}, body)
        return message
    _, target = _split_target(url)
    cavage = _verify_cavage(method, target, lines, public_pem)
    check_cavage_coverage(cavage, method)
    _check_cavage_window(cavage, lines, now)
    if body and "digest" not in cavage.headers:
        raise SignatureError("The body is not covered by a signed Digest.")
    if "digest" in cavage.headers:
        check_digest({"Digest": _field(lines, "digest") or ""}, body)
    return cavage
