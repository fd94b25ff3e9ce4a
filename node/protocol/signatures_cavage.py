"""draft-cavage-http-signatures-12, as the fediverse uses it: parse, sign, verify, and the coverage and
time-window rules. Pure: no clock, file or network."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from node.protocol.signatures_common import (
    AUTH_PARAM,
    BODY_METHODS,
    CAVAGE_ALGORITHMS,
    VALIDITY,
    Headers,
    SignatureError,
    b64,
    b64decode,
    check_time_window,
    digest_header,
    field_lines,
    field_value,
    from_timestamp,
    load_private_key,
    load_public_key,
    require_aware,
)


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
        match = AUTH_PARAM.match(text, position)
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
        signature=b64decode(params["signature"], "signature parameter"),
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
    return cavage_signature_in(field_lines(headers))


def cavage_signature_in(lines: dict[str, list[str]]) -> CavageSignature:
    if "signature-input" in lines:
        raise SignatureError(
            "The request carries an RFC 9421 signature (Signature-Input), not a draft-cavage one."
        )
    value = field_value(lines, "signature")
    if value is None:
        authorization = field_value(lines, "authorization")
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
        method, path_with_query, field_lines(headers), signed_headers, algorithm, created, expires
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
            found = field_value(lines, name)
            if found is None:
                raise SignatureError(f"The {name} header is signed but missing from the request.")
            value = found
        out.append(f"{name}: {value}")
    return "\n".join(out)


def split_target(url_or_path: str) -> tuple[str | None, str]:
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
    now = require_aware(now)
    host, target = split_target(url_or_path)
    lines = field_lines(headers)
    added: dict[str, str] = {}
    given_host = field_value(lines, "host")
    if given_host is None and host is None:
        raise SignatureError("A request given by path alone needs a Host header.")
    added["Host"] = given_host if given_host is not None else str(host)
    added["Date"] = field_value(lines, "date") or format_datetime(now, usegmt=True)
    if body is not None:
        added["Digest"] = digest_header(body)
    if signed_headers is None:
        signed_headers = ("(request-target)", "host", "date", *(("digest",) if body is not None else ()))
    names = tuple(name.lower() for name in signed_headers)
    created = int(now.timestamp()) if "(created)" in names else None
    expires = int((now + VALIDITY).timestamp()) if "(expires)" in names else None
    lines.update({name.lower(): [value] for name, value in added.items()})
    text = _cavage_text(method, target, lines, names, algorithm, created, expires).encode("utf-8")
    key = load_private_key(private_pem)
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
    params += [f'headers="{" ".join(names)}"', f'signature="{b64(signature)}"']
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
    return verify_cavage_in(method, path_with_query, field_lines(headers), public_pem)


def verify_cavage_in(
    method: str, path_with_query: str, lines: dict[str, list[str]], public_pem: str | bytes
) -> CavageSignature:
    signature = cavage_signature_in(lines)
    text = _cavage_text(
        method, path_with_query, lines, signature.headers, signature.algorithm, signature.created, signature.expires
    ).encode("utf-8")
    key = load_public_key(public_pem)
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
    if method.upper() in BODY_METHODS and "digest" not in signed:
        missing.append("digest")
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(missing)}.")


def check_cavage_window(signature: CavageSignature, headers: Headers, now: datetime) -> None:
    """Apply :func:`check_time_window` to a draft-cavage signature.

    The time is the signed ``(created)`` if covered, else the signed ``Date`` header; an expiry counts
    only when ``(expires)`` is signed. Mastodon also trusts an unsigned ``created`` parameter over a
    signed Date; this does not, since such a parameter would let anyone refresh an old signature.
    """
    check_cavage_window_in(signature, field_lines(headers), now)


def check_cavage_window_in(signature: CavageSignature, lines: dict[str, list[str]], now: datetime) -> None:
    if "(created)" in signature.headers:
        if signature.created is None:
            raise SignatureError(
                "The pseudo-header (created) is signed but the created parameter is missing."
            )
        created = from_timestamp(signature.created, "created")
    elif "date" in signature.headers:
        date = field_value(lines, "date")
        if date is None:
            raise SignatureError("The Date header is signed but missing from the request.")
        created = _parse_http_date(date)
    else:
        raise SignatureError("The signature covers neither the Date header nor (created).")
    expires = None
    if "(expires)" in signature.headers and signature.expires is not None:
        expires = from_timestamp(signature.expires, "expires")
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
