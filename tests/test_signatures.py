"""HTTP signatures: published test vectors, independent implementations both ways, and every refusal.

Vectors: draft-cavage-http-signatures-12 Appendix C (test key, C.1, C.2, C.3) and the section 2.3
signing-string example; RFC 9421 Appendix B.1 keys, B.2.1, B.2.2, B.2.3 and B.2.6 (the RFC has no
rsa-v1_5-sha256 vector in Appendix B; its only one is the proxy signature of section 4.3, used
here with test-key-rsa). Oracles: ``httpsig`` for draft-cavage, ``http-message-signatures`` for
RFC 9421.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import http_message_signatures as hms
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures.structures import CaseInsensitiveDict as OracleHeaders
from httpsig.sign import HeaderSigner
from httpsig.verify import HeaderVerifier
from multidict import CIMultiDict

from node.protocol.signatures import (
    SignatureError,
    cavage_signature,
    cavage_signing_string,
    check_cavage_coverage,
    check_cavage_window,
    check_digest,
    check_rfc9421_coverage,
    check_rfc9421_window,
    check_time_window,
    content_digest_header,
    digest_header,
    parse_message_signatures,
    parse_signature_header,
    sign_request,
    sign_rfc9421,
    signature_base,
    signature_key_id,
    verify_cavage,
    verify_request,
    verify_rfc9421,
)

# --- draft-cavage-http-signatures-12, Appendix C --------------------------------------------------

CAVAGE_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""

CAVAGE_PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""

CAVAGE_BODY = b'{"hello": "world"}'
CAVAGE_TARGET = "/foo?param=value&pet=dog"
CAVAGE_DATE = "Sun, 05 Jan 2014 21:31:40 GMT"
CAVAGE_HEADERS = {
    "Host": "example.com",
    "Date": CAVAGE_DATE,
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
C1_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+"
    "lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
C2_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqz"
    "ic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
C3_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL"
    "+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)

# --- RFC 9421, Appendix B.1 -----------------------------------------------------------------------

RFC_RSA_PUBLIC = """-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----
"""

RFC_RSA_PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
MIIEqAIBAAKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsP
BRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsd
JKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75
jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKI
lE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZ
SFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQABAoIBAG/JZuSWdoVHbi56
vjgCgkjg3lkO1KrO3nrdm6nrgA9P9qaPjxuKoWaKO1cBQlE1pSWp/cKncYgD5WxE
CpAnRUXG2pG4zdkzCYzAh1i+c34L6oZoHsirK6oNcEnHveydfzJL5934egm6p8DW
+m1RQ70yUt4uRc0YSor+q1LGJvGQHReF0WmJBZHrhz5e63Pq7lE0gIwuBqL8SMaA
yRXtK+JGxZpImTq+NHvEWWCu09SCq0r838ceQI55SvzmTkwqtC+8AT2zFviMZkKR
Qo6SPsrqItxZWRty2izawTF0Bf5S2VAx7O+6t3wBsQ1sLptoSgX3QblELY5asI0J
YFz7LJECgYkAsqeUJmqXE3LP8tYoIjMIAKiTm9o6psPlc8CrLI9CH0UbuaA2JCOM
cCNq8SyYbTqgnWlB9ZfcAm/cFpA8tYci9m5vYK8HNxQr+8FS3Qo8N9RJ8d0U5Csw
DzMYfRghAfUGwmlWj5hp1pQzAuhwbOXFtxKHVsMPhz1IBtF9Y8jvgqgYHLbmyiu1
mwJ5AL0pYF0G7x81prlARURwHo0Yf52kEw1dxpx+JXER7hQRWQki5/NsUEtv+8RT
qn2m6qte5DXLyn83b1qRscSdnCCwKtKWUug5q2ZbwVOCJCtmRwmnP131lWRYfj67
B/xJ1ZA6X3GEf4sNReNAtaucPEelgR2nsN0gKQKBiGoqHWbK1qYvBxX2X3kbPDkv
9C+celgZd2PW7aGYLCHq7nPbmfDV0yHcWjOhXZ8jRMjmANVR/eLQ2EfsRLdW69bn
f3ZD7JS1fwGnO3exGmHO3HZG+6AvberKYVYNHahNFEw5TsAcQWDLRpkGybBcxqZo
81YCqlqidwfeO5YtlO7etx1xLyqa2NsCeG9A86UjG+aeNnXEIDk1PDK+EuiThIUa
/2IxKzJKWl1BKr2d4xAfR0ZnEYuRrbeDQYgTImOlfW6/GuYIxKYgEKCFHFqJATAG
IxHrq1PDOiSwXd2GmVVYyEmhZnbcp8CxaEMQoevxAta0ssMK3w6UsDtvUvYvF22m
qQKBiD5GwESzsFPy3Ga0MvZpn3D6EJQLgsnrtUPZx+z2Ep2x0xc5orneB5fGyF1P
WtP+fG5Q6Dpdz3LRfm+KwBCWFKQjg7uTxcjerhBWEYPmEMKYwTJF5PBG9/ddvHLQ
EQeNC8fHGg4UXU8mhHnSBt3EA10qQJfRDs15M38eG2cYwB1PZpDHScDnDA0=
-----END RSA PRIVATE KEY-----
"""

RFC_PSS_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""

RFC_ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""

RFC_ED25519_PRIVATE = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""

# --- RFC 9421, Appendix B.2 test-request and section 4.3 --------------------------------------------

RFC_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC_BODY = b'{"hello": "world"}'
RFC_CONTENT_DIGEST = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": RFC_CONTENT_DIGEST,
    "Content-Length": "18",
}

B21_INPUT = 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
B21_SIGNATURE = (
    "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7z"
    "FZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezX"
    "ehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mh"
    "ho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:"
)
B21_BASE = (
    '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
)

B22_INPUT = (
    'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473'
    ';keyid="test-key-rsa-pss";tag="header-example"'
)
B22_SIGNATURE = (
    "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8U"
    "CMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKk"
    "jqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk/"
    "/0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:"
)
B22_BASE = (
    '"@authority": example.com\n'
    f'"content-digest": {RFC_CONTENT_DIGEST}\n'
    '"@query-param";name="Pet": dog\n'
    '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet")'
    ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"'
)

B23_INPUT = (
    'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length")'
    ';created=1618884473;keyid="test-key-rsa-pss"'
)
B23_SIGNATURE = (
    "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2vo"
    "Tp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQ"
    "oLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Z"
    "bhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:"
)
B23_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@query": ?param=Value&Pet=dog\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    f'"content-digest": {RFC_CONTENT_DIGEST}\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest"'
    ' "content-length");created=1618884473;keyid="test-key-rsa-pss"'
)

B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473'
    ';keyid="test-key-ed25519"'
)
B26_SIGNATURE = (
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
)
B26_BASE = (
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
    '"@method": POST\n'
    '"@path": /foo\n'
    '"@authority": example.com\n'
    '"content-type": application/json\n'
    '"content-length": 18\n'
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)

# Section 4.3: a proxy re-signs the client's signature with test-key-rsa and rsa-v1_5-sha256.
S43_CLIENT_SIGNATURE = (
    "sig1=:LAH8BjcfcOcLojiuOBFWn0P5keD3xAOuJRGziCLuD8r5MW9S0RoXXLzLSRfGY/3SF8kVIkHjE13SEFdTo4Af/fJ/Pu9wheqoLVd"
    "wXyY/UkBIS1M8Brc8IODsn5DFIrG0IrburbLi0uCc+E2ZIIb6HbUJ+o+jP58JelMTe0QE3IpWINTEzpxjqDf5/Df+InHCAkQCTuKsam"
    "jWXUpyOT1Wkxi7YPVNOjW4MfNuTZ9HdbD2Tr65+BXeTG9ZS/9SWuXAc+BZ8WyPz0QRz//ec3uWXd7bYYODSjRAxHqX+S1ag3LZElYyU"
    "KaAIjZ8MGOt4gXEwCSLDv/zqxZeWLj/PDkn6w==:"
)
S43_CLIENT_INPUT = (
    'sig1=("@method" "@authority" "@path" "content-digest" "content-length" "content-type")'
    ';created=1618884475;keyid="test-key-rsa-pss"'
)
S43_PROXY_INPUT = (
    'proxy_sig=("signature";key="sig1" "forwarded");created=1618884480;expires=1618884540'
    ';keyid="test-key-rsa";alg="rsa-v1_5-sha256"'
)
S43_PROXY_VALUE = (
    "G1WLTL4/9PGSKEQbSAMypZNk+I2dpLJ6qvl2JISahlP31OO/QEUd8/HdO2O7vYLi5k3JIiAK3UPK4U+kvJZyIUidsiXlzRI+Y2se3SGo"
    "0D8dLfhG95bKr6ukYXl60QHpsGRTfSiwdtvYKXGpKNrMlISJYd+oGrGRyI9gbCy0aFhc6I/okIMLeK4g9PgzpC3YTwhUQ98KIBNLWHg"
    "REfBgJxjPbxFlsgJ9ykPviLj8GKJ81HwsK3XM9P7WaS7fMGOt8h1kSqgkZQB9YqiIo+WhHvJa7iPy8QrYFKzx9BBEY6AwfStZAsXXz3"
    "LobZseyxsYcLJLs8rY0wVA9NPsxKrHGA=="
)
S43_URL = "https://origin.host.internal.example/foo?param=Value&Pet=dog"
S43_HEADERS = {
    "Host": "origin.host.internal.example",
    "Date": "Tue, 20 Apr 2021 02:07:56 GMT",
    "Content-Type": "application/json",
    "Content-Digest": RFC_CONTENT_DIGEST,
    "Content-Length": "18",
    "Forwarded": "for=192.0.2.123",
}

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
HTTP_NOW = format_datetime(NOW, usegmt=True)
INBOX = "https://remote.example/users/bob/inbox"
ACTIVITY = b'{"type": "Create", "actor": "https://node.example/actors/club"}'
KEY_ID = "https://node.example/actors/club#main-key"


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def _rsa_pair() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private.decode(), public.decode())


@pytest.fixture(scope="module")
def actor() -> KeyPair:
    return _rsa_pair()


@pytest.fixture(scope="module")
def stranger() -> KeyPair:
    return _rsa_pair()


@pytest.fixture(scope="module")
def ed_actor() -> KeyPair:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(private.decode(), public.decode())


def _signed_post(pair: KeyPair, body: bytes = ACTIVITY, **kwargs: Any) -> dict[str, str]:
    headers = {"Content-Type": "application/activity+json"}
    headers |= sign_request("POST", INBOX, headers, body, KEY_ID, pair.private_pem, now=NOW, **kwargs)
    return headers


def _param(signature_header: str, name: str) -> str:
    return {k.lower(): v for k, v in _httpsig_params(signature_header).items()}[name]


def _httpsig_params(value: str) -> dict[str, str]:
    parsed = parse_signature_header(value)
    return {
        "keyId": parsed.key_id,
        "algorithm": parsed.algorithm,
        "headers": " ".join(parsed.headers),
        "signature": base64.b64encode(parsed.signature).decode(),
    }


# --- draft-cavage vectors -------------------------------------------------------------------------


def test_cavage_c1_default_test_verifies_with_date_as_the_only_header() -> None:
    header = f'keyId="Test",algorithm="rsa-sha256",signature="{C1_SIGNATURE}"'
    for name, value in (("Signature", header), ("Authorization", f"Signature {header}")):
        signature = verify_cavage("POST", CAVAGE_TARGET, CAVAGE_HEADERS | {name: value}, CAVAGE_PUBLIC)
        assert signature.key_id == "Test"
        assert signature.headers == ("date",)


def test_cavage_c1_and_c2_signatures_are_reproduced_byte_for_byte() -> None:
    for signed, expected in ((("date",), C1_SIGNATURE), (("(request-target)", "host", "date"), C2_SIGNATURE)):
        added = sign_request(
            "POST",
            "https://example.com" + CAVAGE_TARGET,
            CAVAGE_HEADERS,
            None,
            "Test",
            CAVAGE_PRIVATE,
            now=NOW,
            signed_headers=signed,
        )
        assert added["Date"] == CAVAGE_DATE  # the given Date wins over now
        assert _param(added["Signature"], "signature") == expected


def test_cavage_c2_basic_test() -> None:
    assert cavage_signing_string(
        "POST", CAVAGE_TARGET, CAVAGE_HEADERS, ["(request-target)", "host", "date"]
    ) == (
        "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"
    )
    header = (
        f'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",signature="{C2_SIGNATURE}"'
    )
    signature = verify_cavage("POST", CAVAGE_TARGET, CAVAGE_HEADERS | {"Signature": header}, CAVAGE_PUBLIC)
    assert signature.headers == ("(request-target)", "host", "date")
    check_digest(CAVAGE_HEADERS, CAVAGE_BODY)


def test_cavage_c3_all_headers_test_signs_the_string_it_shows_not_the_header_it_shows() -> None:
    shown = ["(request-target)", "host", "date", "content-type", "digest", "content-length"]
    assert cavage_signing_string("POST", CAVAGE_TARGET, CAVAGE_HEADERS, shown) == (
        "(request-target): post /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT\n"
        "content-type: application/json\n"
        "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n"
        "content-length: 18"
    )
    header = f'keyId="Test",algorithm="rsa-sha256",headers="{" ".join(shown)}",signature="{C3_SIGNATURE}"'
    verify_cavage("POST", CAVAGE_TARGET, CAVAGE_HEADERS | {"Signature": header}, CAVAGE_PUBLIC)
    # The header as printed lists (created) (expires) with rsa-sha256, which section 2.3 forbids.
    printed = (
        'keyId="Test",algorithm="rsa-sha256",created=1402170695, expires=1402170699,'
        'headers="(request-target) (created) (expires) host date content-type digest content-length",'
        f'signature="{C3_SIGNATURE}"'
    )
    with pytest.raises(SignatureError, match=r"\(created\) is not allowed with the rsa-sha256"):
        verify_cavage("POST", CAVAGE_TARGET, CAVAGE_HEADERS | {"Signature": printed}, CAVAGE_PUBLIC)


def test_cavage_section_2_3_signing_string_example() -> None:
    headers = CIMultiDict(
        [
            ("Host", "example.org"),
            ("Date", "Tue, 07 Jun 2014 20:51:35 GMT"),
            ("X-Example", "Example header\r\n    with some whitespace."),
            ("X-EmptyHeader", ""),
            ("Cache-Control", "max-age=60"),
            ("Cache-Control", "must-revalidate"),
        ]
    )
    names = ["(request-target)", "(created)", "host", "date", "cache-control", "x-emptyheader", "x-example"]
    assert cavage_signing_string("GET", "/foo", headers, names, created=1402170695) == (
        "(request-target): get /foo\n"
        "(created): 1402170695\n"
        "host: example.org\n"
        "date: Tue, 07 Jun 2014 20:51:35 GMT\n"
        "cache-control: max-age=60, must-revalidate\n"
        "x-emptyheader: \n"
        "x-example: Example header with some whitespace."
    )


# --- draft-cavage against httpsig, both ways ------------------------------------------------------


def test_httpsig_signed_post_verifies_here(actor: KeyPair) -> None:
    headers = {
        "Host": "remote.example",
        "Date": HTTP_NOW,
        "Digest": digest_header(ACTIVITY),
        "Content-Type": "application/activity+json",
    }
    for sign_header in ("signature", "authorization"):
        signer = HeaderSigner(
            KEY_ID,
            actor.private_pem,
            algorithm="rsa-sha256",
            headers=["(request-target)", "host", "date", "digest"],
            sign_header=sign_header,
        )
        signed = dict(signer.sign(dict(headers), method="POST", path="/users/bob/inbox"))
        result = verify_request("POST", INBOX, signed, ACTIVITY, actor.public_pem, now=NOW)
        assert result.key_id == KEY_ID
        assert signature_key_id(signed) == KEY_ID


def test_httpsig_rsa_sha256_signature_read_as_hs2019_verifies_here(actor: KeyPair) -> None:
    headers = {"Host": "remote.example", "Date": HTTP_NOW, "Accept": "application/activity+json"}
    signer = HeaderSigner(
        KEY_ID,
        actor.private_pem,
        algorithm="rsa-sha256",
        headers=["(request-target)", "host", "date", "accept"],
        sign_header="signature",
    )
    signed = dict(signer.sign(dict(headers), method="GET", path="/users/bob?page=1"))
    signed["signature"] = signed["signature"].replace('algorithm="rsa-sha256"', 'algorithm="hs2019"')
    result = verify_request("GET", "/users/bob?page=1", signed, b"", actor.public_pem, now=NOW)
    assert result.algorithm == "hs2019"


def test_our_signed_post_verifies_with_httpsig(actor: KeyPair) -> None:
    headers = _signed_post(actor)
    assert headers["Host"] == "remote.example"
    assert headers["Date"] == HTTP_NOW
    assert headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(ACTIVITY).digest()).decode()
    assert parse_signature_header(headers["Signature"]).headers == (
        "(request-target)",
        "host",
        "date",
        "digest",
    )
    verifier = HeaderVerifier(
        headers,
        actor.public_pem,
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path="/users/bob/inbox",
        sign_header="signature",
    )
    assert verifier.verify() is True
    assert verify_request("POST", INBOX, headers, ACTIVITY, actor.public_pem, now=NOW).key_id == KEY_ID


def test_our_signed_get_with_query_and_accept_verifies_with_httpsig(actor: KeyPair) -> None:
    url = "https://remote.example/users/bob/outbox?page=2&min_id=7"
    for algorithm in ("rsa-sha256", "hs2019"):
        headers = {"Accept": "application/activity+json"}
        headers |= sign_request(
            "GET",
            url,
            headers,
            None,
            KEY_ID,
            actor.private_pem,
            algorithm,
            now=NOW,
            signed_headers=("(request-target)", "host", "date", "accept"),
        )
        assert "Digest" not in headers
        as_httpsig = dict(headers)
        as_httpsig["Signature"] = headers["Signature"].replace('algorithm="hs2019"', 'algorithm="rsa-sha256"')
        verifier = HeaderVerifier(
            as_httpsig,
            actor.public_pem,
            required_headers=["(request-target)", "host", "date"],
            method="GET",
            path="/users/bob/outbox?page=2&min_id=7",
            sign_header="signature",
        )
        assert verifier.verify() is True
        verify_request("GET", url, headers, b"", actor.public_pem, now=NOW)


def test_hs2019_with_created_and_expires_pseudo_headers(actor: KeyPair, ed_actor: KeyPair) -> None:
    for pair in (actor, ed_actor):
        headers = _signed_post(
            pair,
            algorithm="hs2019",
            signed_headers=("(request-target)", "(created)", "(expires)", "host", "digest"),
        )
        signature = verify_request("POST", INBOX, headers, ACTIVITY, pair.public_pem, now=NOW)
        assert isinstance(signature.created, int)
        assert signature.created == int(NOW.timestamp())
        assert signature.expires == signature.created + 300
        with pytest.raises(SignatureError, match="expired"):
            verify_request(
                "POST", INBOX, headers, ACTIVITY, pair.public_pem, now=NOW + timedelta(hours=1, minutes=6)
            )


def test_rsa_sha256_refuses_created_pseudo_header(actor: KeyPair) -> None:
    with pytest.raises(SignatureError, match=r"\(created\) is not allowed with the rsa-sha256"):
        _signed_post(actor, signed_headers=("(request-target)", "(created)", "host", "digest"))


def test_ed25519_key_cannot_sign_rsa_sha256(ed_actor: KeyPair) -> None:
    with pytest.raises(SignatureError, match="cannot be used with this kind of private key"):
        _signed_post(ed_actor)


# --- RFC 9421 vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "signature_input", "signature", "base"),
    [
        ("sig-b21", B21_INPUT, B21_SIGNATURE, B21_BASE),
        ("sig-b22", B22_INPUT, B22_SIGNATURE, B22_BASE),
        ("sig-b23", B23_INPUT, B23_SIGNATURE, B23_BASE),
    ],
)
def test_rfc9421_b2_rsa_pss_sha512_vectors(
    label: str, signature_input: str, signature: str, base: str
) -> None:
    headers = RFC_HEADERS | {"Signature-Input": signature_input, "Signature": signature}
    (parsed,) = parse_message_signatures(headers)
    assert signature_base("POST", RFC_URL, headers, parsed.components, parsed.signature_params) == base
    verified = verify_rfc9421("POST", RFC_URL, headers, RFC_PSS_PUBLIC, algorithm="rsa-pss-sha512")
    assert (verified.label, verified.keyid, verified.created) == (label, "test-key-rsa-pss", 1618884473)
    with pytest.raises(SignatureError, match="does not verify"):  # PSS is not v1.5, the default for RSA
        verify_rfc9421("POST", RFC_URL, headers, RFC_PSS_PUBLIC)


def test_rfc9421_b2_2_carries_tag_and_b2_1_nonce() -> None:
    (b21,) = parse_message_signatures({"Signature-Input": B21_INPUT, "Signature": B21_SIGNATURE})
    (b22,) = parse_message_signatures({"Signature-Input": B22_INPUT, "Signature": B22_SIGNATURE})
    assert (b21.components, b21.nonce) == ((), "b3k2pp5k7z-50gnwp.yemd")
    assert b22.tag == "header-example"
    assert b22.components == ('"@authority"', '"content-digest"', '"@query-param";name="Pet"')


def test_rfc9421_b2_6_ed25519_vector_verifies_and_is_reproduced() -> None:
    headers = RFC_HEADERS | {"Signature-Input": B26_INPUT, "Signature": B26_SIGNATURE}
    (parsed,) = parse_message_signatures(headers)
    assert signature_base("POST", RFC_URL, headers, parsed.components, parsed.signature_params) == B26_BASE
    assert verify_rfc9421("POST", RFC_URL, headers, RFC_ED25519_PUBLIC).label == "sig-b26"
    added = sign_rfc9421(
        "POST",
        RFC_URL,
        RFC_HEADERS,
        None,
        "test-key-ed25519",
        RFC_ED25519_PRIVATE,
        "ed25519",
        now=datetime.fromtimestamp(1618884473, UTC),
        components=("date", "@method", "@path", "@authority", "content-type", "content-length"),
        label="sig-b26",
        include_alg=False,
    )
    assert added == {"Signature-Input": B26_INPUT, "Signature": B26_SIGNATURE}


def test_rfc9421_section_4_3_rsa_v1_5_sha256_vector_verifies_and_is_reproduced() -> None:
    headers = S43_HEADERS | {
        "Signature-Input": f"{S43_CLIENT_INPUT}, {S43_PROXY_INPUT}",
        "Signature": f"{S43_CLIENT_SIGNATURE}, proxy_sig=:{S43_PROXY_VALUE}:",
    }
    proxy = verify_rfc9421("POST", S43_URL, headers, RFC_RSA_PUBLIC, label="proxy_sig")
    assert (proxy.alg, proxy.expires) == ("rsa-v1_5-sha256", 1618884540)
    assert signature_base("POST", S43_URL, headers, proxy.components, proxy.signature_params) == (
        f'"signature";key="sig1": {S43_CLIENT_SIGNATURE[5:]}\n'
        '"forwarded": for=192.0.2.123\n'
        '"@signature-params": ("signature";key="sig1" "forwarded");created=1618884480;expires=1618884540'
        ';keyid="test-key-rsa";alg="rsa-v1_5-sha256"'
    )
    added = sign_rfc9421(
        "POST",
        S43_URL,
        S43_HEADERS | {"Signature-Input": S43_CLIENT_INPUT, "Signature": S43_CLIENT_SIGNATURE},
        None,
        "test-key-rsa",
        RFC_RSA_PRIVATE,
        now=datetime.fromtimestamp(1618884480, UTC),
        components=('"signature";key="sig1"', "forwarded"),
        label="proxy_sig",
        expires=datetime.fromtimestamp(1618884540, UTC),
    )
    assert added == {"Signature-Input": S43_PROXY_INPUT, "Signature": f"proxy_sig=:{S43_PROXY_VALUE}:"}


# --- RFC 9421 against http-message-signatures, both ways ------------------------------------------


@dataclass
class OracleRequest:
    method: str
    url: str
    headers: OracleHeaders


def _oracle_signer(
    algorithm: type[hms.HTTPSignatureAlgorithm], key_id: str, private_pem: str
) -> hms.HTTPMessageSigner:
    resolver = hms.MappingKeyResolver(public_keys={}, private_keys={key_id: private_pem.encode()})
    return hms.HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver)


def _oracle_verifier(
    algorithm: type[hms.HTTPSignatureAlgorithm], key_id: str, public_pem: str
) -> hms.HTTPMessageVerifier:
    resolver = hms.MappingKeyResolver(public_keys={key_id: public_pem.encode()}, private_keys={})
    return hms.HTTPMessageVerifier(signature_algorithm=algorithm, key_resolver=resolver)


ALL_DERIVED = (
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
    "date",
)


def test_rfc9421_b2_messages_signed_with_rsa_v1_5_sha256_match_the_oracle_byte_for_byte() -> None:
    created = datetime.fromtimestamp(1618884473, UTC)
    for components in (
        ("@method", "@target-uri", "content-digest"),
        ALL_DERIVED,
        ('"@query-param";name="Pet"',),
    ):
        ours = sign_rfc9421(
            "POST",
            RFC_URL,
            RFC_HEADERS,
            None,
            "test-key-rsa",
            RFC_RSA_PRIVATE,
            now=created,
            components=components,
        )
        request = OracleRequest("POST", RFC_URL, OracleHeaders(RFC_HEADERS))
        _oracle_signer(hms.algorithms.RSA_V1_5_SHA256, "test-key-rsa", RFC_RSA_PRIVATE).sign(
            request,
            key_id="test-key-rsa",
            created=created,
            label="sig1",
            covered_component_ids=components,
            use_existing_digest=True,
        )
        assert ours == {
            "Signature-Input": request.headers["Signature-Input"],
            "Signature": request.headers["Signature"],
        }
        verify_rfc9421("POST", RFC_URL, RFC_HEADERS | ours, RFC_RSA_PUBLIC)


@pytest.mark.parametrize(
    ("algorithm", "oracle_algorithm"),
    [
        ("rsa-v1_5-sha256", hms.algorithms.RSA_V1_5_SHA256),
        ("rsa-pss-sha512", hms.algorithms.RSA_PSS_SHA512),
        ("ed25519", hms.algorithms.ED25519),
    ],
)
def test_oracle_signed_requests_verify_here(
    algorithm: str, oracle_algorithm: type[hms.HTTPSignatureAlgorithm], actor: KeyPair, ed_actor: KeyPair
) -> None:
    pair = ed_actor if algorithm == "ed25519" else actor
    url = "https://Remote.Example:443/users/bob/inbox?x=1&y=a%20b"
    request = OracleRequest(
        "POST", url, OracleHeaders({"Date": HTTP_NOW, "Content-Type": "application/activity+json"})
    )
    _oracle_signer(oracle_algorithm, KEY_ID, pair.private_pem).sign(
        request,
        key_id=KEY_ID,
        created=NOW,
        label="sig1",
        covered_component_ids=(*ALL_DERIVED, "content-type"),
        body=ACTIVITY,
    )
    headers = dict(request.headers.items())
    assert signature_key_id(headers) == KEY_ID
    signature = verify_request("POST", url, headers, ACTIVITY, pair.public_pem, now=NOW)
    assert signature.covers("content-digest") and signature.alg == algorithm


@pytest.mark.parametrize(
    ("algorithm", "oracle_algorithm"),
    [
        ("rsa-v1_5-sha256", hms.algorithms.RSA_V1_5_SHA256),
        ("rsa-pss-sha512", hms.algorithms.RSA_PSS_SHA512),
        ("ed25519", hms.algorithms.ED25519),
    ],
)
def test_our_signed_requests_verify_with_the_oracle(
    algorithm: str, oracle_algorithm: type[hms.HTTPSignatureAlgorithm], actor: KeyPair, ed_actor: KeyPair
) -> None:
    pair = ed_actor if algorithm == "ed25519" else actor
    url = "https://remote.example:8443/users/bob/inbox?page=true"
    headers = {"Date": HTTP_NOW, "Content-Type": "application/activity+json"}
    for components in (None, (*ALL_DERIVED, "content-type", "content-digest")):
        added = sign_rfc9421(
            "POST",
            url,
            headers,
            ACTIVITY,
            KEY_ID,
            pair.private_pem,
            algorithm,
            now=NOW,
            components=components,
        )
        request = OracleRequest("POST", url, OracleHeaders(headers | added))
        (result,) = _oracle_verifier(oracle_algorithm, KEY_ID, pair.public_pem).verify(
            request,
            max_age=None,
            require_components=("@method", "@target-uri", "content-digest"),
            body=ACTIVITY,
        )
        assert result.parameters["keyid"] == KEY_ID
        assert result.covered_components['"@target-uri"'] == url
        if components is not None:
            assert result.covered_components['"@authority"'] == "remote.example:8443"
            assert result.covered_components['"@request-target"'] == "/users/bob/inbox?page=true"


def test_our_signed_get_verifies_with_the_oracle(actor: KeyPair) -> None:
    url = "https://remote.example/users/bob"
    added = sign_rfc9421("GET", url, {}, None, KEY_ID, actor.private_pem, now=NOW)
    assert set(added) == {"Signature-Input", "Signature"}
    assert added["Signature-Input"].startswith('sig1=("@method" "@target-uri");created=')
    _oracle_verifier(hms.algorithms.RSA_V1_5_SHA256, KEY_ID, actor.public_pem).verify(
        OracleRequest("GET", url, OracleHeaders(added)), max_age=None
    )
    verify_request("GET", url, added, b"", actor.public_pem, now=NOW)


def test_derived_component_values() -> None:
    url = "HTTPS://Example.COM:443/a%2Fb/?x=1&y=with+plus&z=%7E"
    components = ("@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query")
    base = signature_base(
        "GET", url, {}, [*components, '"@query-param";name="y"', '"@query-param";name="z"'], "()"
    )
    assert base.splitlines() == [
        '"@method": GET',
        '"@target-uri": https://Example.COM:443/a%2Fb/?x=1&y=with+plus&z=%7E',
        '"@authority": example.com',
        '"@scheme": https',
        '"@request-target": /a%2Fb/?x=1&y=with+plus&z=%7E',
        '"@path": /a%2Fb/',
        '"@query": ?x=1&y=with+plus&z=%7E',
        '"@query-param";name="y": with%20plus',
        '"@query-param";name="z": %7E',
        '"@signature-params": ()',
    ]
    assert signature_base(
        "GET", "http://h.example:8080", {}, ["@authority", "@path", "@query"], "()"
    ).splitlines()[:3] == ['"@authority": h.example:8080', '"@path": /', '"@query": ?']


# --- negative cases -------------------------------------------------------------------------------


def test_tampered_body_fails_the_digest(actor: KeyPair) -> None:
    headers = _signed_post(actor)
    with pytest.raises(SignatureError, match="Digest SHA-256 value does not match the body"):
        check_digest(headers, ACTIVITY + b" ")
    with pytest.raises(SignatureError, match="Digest SHA-256 value does not match the body"):
        verify_request("POST", INBOX, headers, b'{"type": "Delete"}', actor.public_pem, now=NOW)
    modern = {"Content-Type": "application/json"}
    modern |= sign_rfc9421("POST", INBOX, modern, ACTIVITY, KEY_ID, actor.private_pem, now=NOW)
    with pytest.raises(SignatureError, match="Content-Digest SHA-256 value does not match the body"):
        verify_request("POST", INBOX, modern, b'{"type": "Delete"}', actor.public_pem, now=NOW)


def test_tampered_header_fails_the_signature(actor: KeyPair) -> None:
    headers = _signed_post(actor)
    for name, value in (
        ("Date", format_datetime(NOW + timedelta(seconds=1), usegmt=True)),
        ("Host", "evil.example"),
    ):
        with pytest.raises(SignatureError, match="does not verify with the key of"):
            verify_cavage("POST", "/users/bob/inbox", headers | {name: value}, actor.public_pem)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_cavage("POST", "/users/bob/inbox?extra=1", headers, actor.public_pem)
    modern = sign_rfc9421("POST", INBOX, {}, ACTIVITY, KEY_ID, actor.private_pem, now=NOW)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_rfc9421("POST", INBOX.replace("bob", "eve"), modern, actor.public_pem)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_rfc9421("PUT", INBOX, modern, actor.public_pem)


def test_wrong_key_fails(actor: KeyPair, stranger: KeyPair, ed_actor: KeyPair) -> None:
    headers = _signed_post(actor)
    with pytest.raises(SignatureError, match=re.escape(f"does not verify with the key of {KEY_ID}")):
        verify_request("POST", INBOX, headers, ACTIVITY, stranger.public_pem, now=NOW)
    with pytest.raises(SignatureError, match="rsa-sha256 algorithm does not fit the key"):
        verify_cavage("POST", "/users/bob/inbox", headers, ed_actor.public_pem)
    modern = sign_rfc9421("POST", INBOX, {}, ACTIVITY, KEY_ID, actor.private_pem, now=NOW)
    with pytest.raises(SignatureError, match="does not verify"):
        verify_request("POST", INBOX, modern, ACTIVITY, stranger.public_pem, now=NOW)
    with pytest.raises(SignatureError, match="does not fit the key"):
        verify_rfc9421("POST", INBOX, modern, ed_actor.public_pem)
    with pytest.raises(SignatureError, match="not a PEM public key"):
        verify_rfc9421("POST", INBOX, modern, "not a key")


def test_missing_required_headers_in_the_signed_list(actor: KeyPair) -> None:
    no_digest = _signed_post(actor, signed_headers=("(request-target)", "host", "date"))
    with pytest.raises(SignatureError, match="does not cover digest"):
        check_cavage_coverage(cavage_signature(no_digest), "POST")
    with pytest.raises(SignatureError, match="does not cover digest"):
        verify_request("POST", INBOX, no_digest, ACTIVITY, actor.public_pem, now=NOW)
    bare = _signed_post(actor, signed_headers=("date", "digest"))
    with pytest.raises(SignatureError, match=r"does not cover \(request-target\), host"):
        verify_request("POST", INBOX, bare, ACTIVITY, actor.public_pem, now=NOW)
    timeless = _signed_post(actor, signed_headers=("(request-target)", "host", "digest"))
    with pytest.raises(SignatureError, match=r"does not cover date \(or \(created\)\)"):
        verify_request("POST", INBOX, timeless, ACTIVITY, actor.public_pem, now=NOW)
    get = sign_request("GET", INBOX, {}, None, KEY_ID, actor.private_pem, now=NOW, signed_headers=("date",))
    with pytest.raises(SignatureError, match=r"does not cover \(request-target\), host"):
        check_cavage_coverage(cavage_signature(get), "GET")
    with pytest.raises(SignatureError, match="The digest header is signed but missing"):
        verify_cavage(
            "POST",
            "/users/bob/inbox",
            {k: v for k, v in _signed_post(actor).items() if k != "Digest"},
            actor.public_pem,
        )

    modern = sign_rfc9421(
        "POST", INBOX, {}, ACTIVITY, KEY_ID, actor.private_pem, now=NOW, components=("@method", "@target-uri")
    )
    with pytest.raises(SignatureError, match="does not cover content-digest"):
        check_rfc9421_coverage(verify_rfc9421("POST", INBOX, modern, actor.public_pem), "POST")
    with pytest.raises(SignatureError, match="does not cover content-digest"):
        verify_request("POST", INBOX, modern, ACTIVITY, actor.public_pem, now=NOW)
    partial = sign_rfc9421(
        "POST",
        INBOX,
        {},
        ACTIVITY,
        KEY_ID,
        actor.private_pem,
        now=NOW,
        components=("@method", "@path", "content-digest"),
    )
    with pytest.raises(SignatureError, match="does not cover @target-uri"):
        verify_request("POST", INBOX, partial, ACTIVITY, actor.public_pem, now=NOW)
    with pytest.raises(SignatureError, match="The date header is covered but missing"):
        sign_rfc9421("GET", INBOX, {}, None, KEY_ID, actor.private_pem, now=NOW, components=("date",))


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(hours=1), True),  # Date 1 h ahead of us: the skew allows it
        (timedelta(hours=1, seconds=1), False),
        (-timedelta(hours=1, minutes=5), True),  # 5 min validity + 1 h skew
        (-timedelta(hours=1, minutes=5, seconds=1), False),
        (timedelta(0), True),
    ],
)
def test_date_window_both_sides(actor: KeyPair, offset: timedelta, accepted: bool) -> None:
    sent = NOW + offset
    cavage = {"Content-Type": "application/json"}
    cavage |= sign_request("POST", INBOX, cavage, ACTIVITY, KEY_ID, actor.private_pem, now=sent)
    modern = sign_rfc9421("POST", INBOX, {}, ACTIVITY, KEY_ID, actor.private_pem, now=sent)
    for headers in (cavage, modern):
        if accepted:
            verify_request("POST", INBOX, headers, ACTIVITY, actor.public_pem, now=NOW)
        else:
            message = "more than 1 hour after" if offset > timedelta(0) else "expired"
            with pytest.raises(SignatureError, match=message):
                verify_request("POST", INBOX, headers, ACTIVITY, actor.public_pem, now=NOW)


def test_time_window_rule() -> None:
    check_time_window(NOW - timedelta(hours=1, minutes=5), None, NOW)
    # An explicit expiry extends the validity, but never past 12 h after creation.
    check_time_window(NOW - timedelta(hours=10), NOW - timedelta(minutes=30), NOW)
    check_time_window(NOW - timedelta(hours=13), NOW + timedelta(days=3), NOW)
    with pytest.raises(SignatureError, match="expired"):
        check_time_window(NOW - timedelta(hours=13, seconds=1), NOW + timedelta(days=3), NOW)
    with pytest.raises(SignatureError, match="expired"):
        check_time_window(NOW - timedelta(hours=3), NOW - timedelta(hours=1, seconds=1), NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        check_time_window(NOW, None, datetime(2024, 5, 1, 12, 0))


def test_rfc9421_window_uses_created_and_expires() -> None:
    (b23,) = parse_message_signatures({"Signature-Input": B23_INPUT, "Signature": B23_SIGNATURE})
    made = datetime.fromtimestamp(1618884473, UTC)
    check_rfc9421_window(b23, made + timedelta(hours=1, minutes=5))
    with pytest.raises(SignatureError, match="expired"):
        check_rfc9421_window(b23, made + timedelta(hours=1, minutes=5, seconds=1))
    with pytest.raises(SignatureError, match="more than 1 hour after"):
        check_rfc9421_window(b23, made - timedelta(hours=1, seconds=1))
    headers = S43_HEADERS | {
        "Signature-Input": S43_PROXY_INPUT,
        "Signature": f"proxy_sig=:{S43_PROXY_VALUE}:",
    }
    (proxy,) = parse_message_signatures(headers)  # expires 60 s after created
    check_rfc9421_window(proxy, datetime.fromtimestamp(1618884540, UTC) + timedelta(hours=1))
    with pytest.raises(SignatureError, match="expired"):
        check_rfc9421_window(proxy, datetime.fromtimestamp(1618884541, UTC) + timedelta(hours=1))
    (b21,) = parse_message_signatures({"Signature-Input": "sig=()", "Signature": "sig=:AAAA:"})
    with pytest.raises(SignatureError, match="no created parameter"):
        check_rfc9421_window(b21, NOW)


def test_unsigned_created_parameter_does_not_refresh_an_old_signature(actor: KeyPair) -> None:
    headers = {"Content-Type": "application/json"}
    headers |= sign_request(
        "POST", INBOX, headers, ACTIVITY, KEY_ID, actor.private_pem, "hs2019", now=NOW - timedelta(hours=3)
    )
    headers["Signature"] = f"created={int(NOW.timestamp())}," + headers["Signature"]
    signature = verify_cavage("POST", "/users/bob/inbox", headers, actor.public_pem)
    assert signature.created == int(NOW.timestamp())
    with pytest.raises(SignatureError, match="expired"):
        check_cavage_window(signature, headers, NOW)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "malformed at character 0"),
        ('keyId="a" signature="AAAA"', "malformed at character 10"),
        ('keyId="a",signature="AAAA",', "malformed at character 27"),
        ('keyId="unterminated,signature="AAAA"', "malformed"),
        ('keyId=,signature="AAAA"', "malformed at character 0"),
        ('keyId="a",KEYID="b",signature="AAAA"', "gives the parameter 'KEYID' twice"),
        ('keyId="a"', "has no signature parameter"),
        ('signature="AAAA",algorithm="rsa-sha256"', "has no keyId parameter"),
        ('keyId="a",signature="not base64!"', "signature parameter is not valid base64"),
        ('keyId="a",signature="AAAA",headers=""', "empty headers parameter"),
        ('keyId="a",signature="AAAA",created=soon', "created parameter is not an integer"),
        ('keyId="a",signature=AAAA=', "malformed at character 24"),
    ],
)
def test_malformed_signature_header(value: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        parse_signature_header(value)


def test_signature_header_parsing_is_tolerant_where_the_grammar_allows() -> None:
    parsed = parse_signature_header(
        'Signature keyId = "https://x.example/a\\"b#key" , Algorithm=RSA-SHA256,\theaders="(Request-Target) Host",'
        ' extension=token, signature="AAAA"'
    )
    assert parsed.key_id == 'https://x.example/a"b#key'
    assert parsed.algorithm == "rsa-sha256"
    assert parsed.headers == ("(request-target)", "host")
    assert parsed.signature == b"\x00\x00\x00"
    assert parse_signature_header('keyId="k",signature="AAAA"').headers == ("(created)",)  # hs2019 default
    assert parse_signature_header('signature="AAAA",keyId="k"').algorithm == "hs2019"


def test_unknown_algorithm(actor: KeyPair) -> None:
    for algorithm in ("hmac-sha256", "rsa-sha512", "ecdsa-sha256", "rsa-sha1"):
        with pytest.raises(SignatureError, match=f"algorithm '{algorithm}' is not supported"):
            parse_signature_header(f'keyId="k",algorithm="{algorithm}",signature="AAAA"')
    with pytest.raises(SignatureError, match="'rsa-sha512' is not supported"):
        sign_request("GET", INBOX, {}, None, KEY_ID, actor.private_pem, "rsa-sha512", now=NOW)
    modern = sign_rfc9421("GET", INBOX, {}, None, KEY_ID, actor.private_pem, now=NOW)
    forged = modern | {"Signature-Input": modern["Signature-Input"].replace("rsa-v1_5-sha256", "hmac-sha256")}
    with pytest.raises(SignatureError, match="'hmac-sha256' is not supported"):
        verify_rfc9421("GET", INBOX, forged, actor.public_pem)
    with pytest.raises(
        SignatureError, match="claims alg 'rsa-v1_5-sha256' but the key is for 'rsa-pss-sha512'"
    ):
        verify_rfc9421("GET", INBOX, modern, actor.public_pem, algorithm="rsa-pss-sha512")
    with pytest.raises(SignatureError, match="'ecdsa-p256-sha256' is not supported"):
        sign_rfc9421("GET", INBOX, {}, None, KEY_ID, actor.private_pem, "ecdsa-p256-sha256", now=NOW)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"Signature-Input": "sig1=(", "Signature": "sig1=:AAAA:"},
            "Signature-Input header is not a structured dictionary",
        ),
        ({"Signature-Input": 'sig1=("@method")', "Signature": "sig2=:AAAA:"}, "labels \\['sig1'\\] differ"),
        ({"Signature-Input": '"sig1"', "Signature": "sig1=:AAAA:"}, "not a structured dictionary"),
        ({"Signature-Input": 'sig1="@method"', "Signature": "sig1=:AAAA:"}, "is not an inner list"),
        ({"Signature-Input": "sig1=(method)", "Signature": "sig1=:AAAA:"}, "not a lowercase string"),
        ({"Signature-Input": 'sig1=("@Method")', "Signature": "sig1=:AAAA:"}, "not a lowercase string"),
        (
            {"Signature-Input": 'sig1=();created="now"', "Signature": "sig1=:AAAA:"},
            "created parameter .* is not an integer",
        ),
        (
            {"Signature-Input": "sig1=();keyid=1", "Signature": "sig1=:AAAA:"},
            "keyid parameter .* is not a string",
        ),
        ({"Signature-Input": "sig1=()", "Signature": 'sig1="AAAA"'}, "is not a byte sequence"),
        (
            {"Signature-Input": "sig1=(), sig1=()", "Signature": "sig1=:AAAA:"},
            "repeats the dictionary key 'sig1'",
        ),
        ({"Signature": "sig1=:AAAA:"}, "no RFC 9421 signature"),
    ],
)
def test_malformed_rfc9421_headers(headers: dict[str, str], message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        parse_message_signatures(headers)


def test_unsupported_components_are_refused() -> None:
    for component, message in (
        ("@status", "not supported for requests"),
        ('"@method";req', "takes no parameters"),
        ('"content-type";sf', "parameters \\['sf'\\] on content-type are not supported"),
        ('"@query-param";name="missing"', "occurs 0 times"),
        ('"@query-param";name="x"', "occurs 2 times"),
        ("Content-Type", "'Content-Type' is not lowercase"),
        ('"@method', "is malformed"),
    ):
        with pytest.raises(SignatureError, match=message):
            signature_base(
                "GET", "https://h.example/?x=1&x=2", {"Content-Type": "text/plain"}, [component], "()"
            )
    with pytest.raises(SignatureError, match="covered twice"):
        signature_base("GET", "https://h.example/", {}, ["@method", '"@method"'], "()")
    with pytest.raises(SignatureError, match="needs the absolute URL"):
        signature_base("GET", "/relative", {}, ["@path"], "()")


def test_check_digest_variants() -> None:
    body = b"hello"
    sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode()
    check_digest({"Digest": f"md5=XUFAKrxLKna5cZ2REBfFkg==, sha-512={sha512}"}, body)
    check_digest({"Content-Digest": f"sha-512=:{sha512}:, unixsum=:AA==:"}, body)
    check_digest({"content-digest": content_digest_header(body), "DIGEST": digest_header(body)}, body)
    with pytest.raises(SignatureError, match="offers neither SHA-256 nor SHA-512"):
        check_digest({"Digest": "md5=XUFAKrxLKna5cZ2REBfFkg=="}, body)
    with pytest.raises(SignatureError, match="no Digest or Content-Digest header"):
        check_digest({}, body)
    with pytest.raises(SignatureError, match="Content-Digest header is not a structured dictionary"):
        check_digest({"Content-Digest": "sha-256=:AAAA"}, body)
    with pytest.raises(SignatureError, match="Content-Digest sha-256 value is not a byte sequence"):
        check_digest({"Content-Digest": 'sha-256="AAAA"'}, body)
    with pytest.raises(SignatureError, match="Digest sha-256 value is not valid base64"):
        check_digest({"Digest": "sha-256=???"}, body)
    with pytest.raises(SignatureError, match="Content-Digest SHA-256 value does not match"):
        check_digest({"Digest": digest_header(body), "Content-Digest": content_digest_header(b"other")}, body)


def test_unsigned_body_is_refused(actor: KeyPair) -> None:
    get = sign_request("GET", INBOX, {}, None, KEY_ID, actor.private_pem, now=NOW)
    with pytest.raises(SignatureError, match="body is not covered by a signed Digest"):
        verify_request("GET", INBOX, get, b"smuggled", actor.public_pem, now=NOW)
    modern = sign_rfc9421("GET", INBOX, {}, None, KEY_ID, actor.private_pem, now=NOW)
    with pytest.raises(SignatureError, match="body is not covered by a signed Content-Digest"):
        verify_request("GET", INBOX, modern, b"smuggled", actor.public_pem, now=NOW)


def test_line_breaks_in_header_values_are_refused(actor: KeyPair) -> None:
    with pytest.raises(SignatureError, match="contains a line break"):
        sign_request("GET", INBOX, {"Accept": "a\nhost: evil"}, None, KEY_ID, actor.private_pem, now=NOW)
    with pytest.raises(SignatureError, match="needs a Host header"):
        sign_request("GET", "/inbox", {}, None, KEY_ID, actor.private_pem, now=NOW)
    with pytest.raises(SignatureError, match="no Signature header"):
        cavage_signature({"Authorization": "Bearer token"})
    with pytest.raises(SignatureError, match="carries an RFC 9421 signature"):
        cavage_signature(sign_rfc9421("GET", INBOX, {}, None, KEY_ID, actor.private_pem, now=NOW))
