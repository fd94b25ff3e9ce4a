"""HTTP request signatures: draft-cavage-http-signatures-12 as the fediverse uses it, and RFC 9421.

The two schemes live apart (`signatures_cavage.py`, `signatures_rfc9421.py`, with what they share in
`signatures_common.py`); this module names their public parts and runs either on a request.

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

from datetime import datetime
from urllib.parse import urlsplit

from node.protocol.signatures_cavage import (
    CavageSignature,
    cavage_signature,
    cavage_signature_in,
    cavage_signing_string,
    check_cavage_coverage,
    check_cavage_window,
    check_cavage_window_in,
    parse_signature_header,
    sign_request,
    split_target,
    verify_cavage,
    verify_cavage_in,
)
from node.protocol.signatures_common import (
    CAVAGE_ALGORITHMS,
    CLOCK_SKEW,
    EXPIRATION_LIMIT,
    RFC9421_ALGORITHMS,
    VALIDITY,
    Headers,
    SignatureError,
    check_digest,
    check_time_window,
    content_digest_header,
    digest_header,
    field_lines,
    field_value,
)
from node.protocol.signatures_rfc9421 import (
    MessageSignature,
    check_rfc9421_coverage,
    check_rfc9421_window,
    parse_message_signatures,
    sign_rfc9421,
    signature_base,
    verify_rfc9421,
)

# The one module callers import: both schemes' public names, and the checks that run either.
__all__ = [
    "CAVAGE_ALGORITHMS", "CLOCK_SKEW", "EXPIRATION_LIMIT", "RFC9421_ALGORITHMS", "VALIDITY", "CavageSignature",
    "Headers", "MessageSignature", "SignatureError", "cavage_signature", "cavage_signing_string",
    "check_cavage_coverage", "check_cavage_window", "check_digest", "check_rfc9421_coverage",
    "check_rfc9421_window", "check_signed_host", "check_time_window", "content_digest_header", "digest_header",
    "parse_message_signatures", "parse_signature_header", "sign_request", "sign_rfc9421", "signature_base",
    "signature_key_id", "verify_cavage", "verify_request", "verify_rfc9421",
]


def signature_key_id(headers: Headers) -> str:
    """The key id a request's signature names (RFC 9421 ``keyid`` if present, else draft-cavage ``keyId``)."""
    lines = field_lines(headers)
    if "signature-input" in lines:
        keyid = parse_message_signatures(headers)[0].keyid
        if not keyid:
            raise SignatureError("The signature has no keyid parameter.")
        return keyid
    return cavage_signature_in(lines).key_id


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _authority(host: str, scheme: str = "https") -> tuple[str, int | None]:
    parts = urlsplit(f"{scheme}://{host.strip()}")
    port = parts.port if parts.port is not None else _DEFAULT_PORTS.get(scheme)
    return (parts.hostname or "").rstrip("."), port


def check_signed_host(signed: str | None, expected: str) -> None:
    """The signed ``Host`` names `expected` (the host and port a request was sent to: ours), compared
    case-insensitively, with a default port written or not."""
    if signed is None:
        raise SignatureError("The signed Host header is missing.")
    if _authority(signed) != _authority(expected) and _authority(signed, "http") != _authority(expected, "http"):
        raise SignatureError(f"The request was signed for {signed!r}, not for this host ({expected}).")


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
    the body is non-empty or a digest header is covered, the digest against ``body``. With an absolute
    ``url``, the signed ``Host`` of a draft-cavage signature must be that URL's host (RFC 9421 signs
    ``@target-uri`` itself): a request signed for another server and replayed to us is refused.
    """
    lines = field_lines(headers)  # once: every check below reads the same lines
    if "signature-input" in lines:
        message = verify_rfc9421(method, url, headers, public_pem)
        check_rfc9421_coverage(message, method)
        check_rfc9421_window(message, now)
        digest_covered = message.covers("content-digest")
        if body and not digest_covered:
            raise SignatureError("The body is not covered by a signed Content-Digest.")
        if digest_covered:
            check_digest({"Content-Digest": field_value(lines, "content-digest") or ""}, body)
        return message
    host, target = split_target(url)
    cavage = verify_cavage_in(method, target, lines, public_pem)
    check_cavage_coverage(cavage, method)
    if host is not None:
        check_signed_host(field_value(lines, "host"), host)
    check_cavage_window_in(cavage, lines, now)
    if body and "digest" not in cavage.headers:
        raise SignatureError("The body is not covered by a signed Digest.")
    if "digest" in cavage.headers:
        check_digest({"Digest": field_value(lines, "digest") or ""}, body)
    return cavage
