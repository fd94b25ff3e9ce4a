"""RFC 9421 HTTP Message Signatures: parse, the signature base, sign, verify, and the coverage and
time-window rules. Pure: no clock, file or network."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit

import http_sf
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from node.protocol.signatures_common import (
    BODY_METHODS,
    RFC9421_ALGORITHMS,
    Headers,
    SignatureError,
    check_time_window,
    content_digest_header,
    field_lines,
    field_value,
    from_timestamp,
    load_private_key,
    load_public_key,
    require_aware,
)


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
    lines = field_lines(headers)
    raw_inputs, raw_signatures = field_value(lines, "signature-input"), field_value(lines, "signature")
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
    return _base_text(method, url, field_lines(headers), components, signature_params)


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
    now = require_aware(now)
    added: dict[str, str] = {}
    lines = field_lines(headers)
    if body is not None:
        added["Content-Digest"] = content_digest_header(body)
        lines["content-digest"] = [added["Content-Digest"]]
    if components is None:
        components = ("@method", "@target-uri", *(("content-digest",) if body is not None else ()))
    items = [_component_item(component) for component in components]
    params: dict[str, Any] = {"created": int(now.timestamp())}
    if expires is not None:
        params["expires"] = int(require_aware(expires).timestamp())
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
    signature = _rfc9421_sign(load_private_key(private_pem), algorithm, base.encode("utf-8"))
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
    key = load_public_key(public_pem)
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
    if method.upper() in BODY_METHODS and not signature.covers("content-digest"):
        missing.append("content-digest")
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(missing)}.")
    if signature.created is None:
        raise SignatureError("The signature has no created parameter.")


def check_rfc9421_window(signature: MessageSignature, now: datetime) -> None:
    """Apply :func:`check_time_window` to the signed ``created`` and ``expires`` parameters."""
    if signature.created is None:
        raise SignatureError("The signature has no created parameter.")
    created = from_timestamp(signature.created, "created")
    expires = None if signature.expires is None else from_timestamp(signature.expires, "expires")
    check_time_window(created, expires, now)
