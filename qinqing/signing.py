"""The one signer of decision receipts (subsidies/receipts.py, approvals/receipts.py).

A receipt is a JSON object canonicalised by the JSON Canonicalization Scheme (RFC 8785) and
signed as a compact JWS with EdDSA over Ed25519 (RFC 8037): any JOSE library checks it
against the JWK Set published at /.well-known/jwks.json, and tools/verify.py does with
`cryptography` alone. The header names the key (`kid`, its RFC 7638 thumbprint), so a key
can be rotated: settings hold the current private key and the public keys of retired ones,
all published, and a receipt signed before a rotation still verifies.

Receipts hold strings, integers, booleans, null, lists and objects only (amounts and
quantities as decimal strings, never floats), so the canonical form is JSON without
whitespace, object members sorted by their names' UTF-16 code units, strings escaped as
ECMAScript's JSON.stringify does (which Python's json module matches for these types).
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from jwcrypto import jwk, jws

from .errors import Unavailable

HEADER_TYPE = "qinqing-receipt+jws"


def canonical(value: Any) -> bytes:
    """RFC 8785 for the receipt's value types; floats are refused (no receipt has one)."""
    return _canonical(value).encode("utf-8")


def _canonical(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return "{" + ",".join(f"{_string(k)}:{_canonical(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool | int):
        return json.dumps(value)
    raise TypeError(f"a receipt holds no {type(value).__name__} (write numbers as strings)")


def _string(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError("object member names are strings")
    return json.dumps(text, ensure_ascii=False)


def _public(key: jwk.JWK) -> dict[str, Any]:
    public = json.loads(key.export_public())
    return {**public, "kid": key.thumbprint(), "use": "sig", "alg": "EdDSA"}


def _read_key(text: str) -> jwk.JWK:
    key = jwk.JWK.from_json(text)
    if key.get("kty") != "OKP" or key.get("crv") != "Ed25519":
        raise ValueError("receipt keys are Ed25519 (OKP) JWKs")
    return key


def _development_key(path: Path) -> str:
    """The key `make run` and the tests sign with: generated once into var/."""
    if path.exists():
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = jwk.JWK.generate(kty="OKP", crv="Ed25519").export_private()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".receipt-key-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    try:
        os.link(temporary, path)  # the first writer wins; a concurrent one reads its key
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return path.read_text()


@lru_cache(maxsize=4)
def _keys(current: str, retired: str, dev_file: str, dev: bool) -> tuple[jwk.JWK, list[dict]]:
    if not current:
        if not dev:
            raise Unavailable(
                "Receipts cannot be signed: RECEIPT_SIGNING_KEY is not set (docs/operations.md)."
            )
        current = _development_key(Path(dev_file))
    key = _read_key(current)
    published = [_public(key)]
    for text in json.loads(retired) if retired else []:
        old = _read_key(json.dumps(text) if isinstance(text, dict) else text)
        if old.thumbprint() != key.thumbprint():
            published.append(_public(old))
    return key, published


def keys() -> tuple[jwk.JWK, list[dict]]:
    """The current private key and every published public key (current first)."""
    return _keys(
        settings.RECEIPT_SIGNING_KEY,
        settings.RECEIPT_RETIRED_KEYS,
        str(settings.RECEIPT_DEV_KEY_FILE),
        settings.RECEIPT_DEV_KEY,
    )


def jwks() -> dict[str, Any]:
    return {"keys": keys()[1]}


def sign(payload: dict[str, Any]) -> str:
    """The compact JWS of the payload's canonical form, with the current key's id."""
    key, _published = keys()
    token = jws.JWS(canonical(payload))
    header = {"alg": "EdDSA", "kid": key.thumbprint(), "typ": HEADER_TYPE}
    token.add_signature(key, alg="EdDSA", protected=canonical(header).decode())
    return token.serialize(compact=True)


def receipt_document(payload: dict[str, Any]) -> dict[str, Any]:
    """A receipt as the page and the API hand it out: the signed JWS and, beside it, the
    payload readable and where the keys are."""
    return {"jws": sign(payload), "payload": payload, "jwks_url": "/.well-known/jwks.json"}


def receipt_file(payload: dict[str, Any]) -> bytes:
    """What an enterprise downloads (receipt_document as a file)."""
    return json.dumps(receipt_document(payload), ensure_ascii=False, indent=1).encode()


@require_GET
def jwks_view(request: HttpRequest) -> JsonResponse:
    """GET /.well-known/jwks.json: anyone, the keys that sign receipts (current and retired)."""
    response = JsonResponse(jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
