#!/usr/bin/env python3
"""Check Qinqing's inspection draws and decision receipts yourself (docs/transparency.md).

Needs Python 3.11+ and the `cryptography` package; no Django, no database, no network
(except to fetch a JWK Set given by URL).

    python tools/verify.py draw draw.json population.txt selection.txt [--uscc USCC]
    python tools/verify.py receipt receipt.json --jwks jwks.json|https://…/.well-known/jwks.json

draw: recomputes the draw from the published files and the revealed values, and says
whether the published selection is exactly it. receipt: checks the JWS (EdDSA, Ed25519)
against the JWK Set, then evaluates the published rules again, with the portal's own rule
engine (policies/rules/ and policies/engine.py of this repository, loaded by path: they
are pure Python), on the receipt's facts, and compares the outcome and the amount.

Exit status: 0 verified; 1 does not verify (the reason is printed); 2 unreadable input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import importlib.util
import json
import sys
import types
import urllib.request
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ROOT = Path(__file__).resolve().parents[1]
FORMAT = "qinqing-draw-publication-1"
GRADES = ("A", "B", "C", "D")


class Failed(Exception):
    """The thing checked does not verify (exit 1)."""


class Unreadable(Exception):
    """The input cannot be read as what it should be (exit 2)."""


# --- Draws ---------------------------------------------------------------------------------


def seed_input(public_value: str, parties: list[str], reveals: dict[str, Any]) -> str:
    if not parties:
        return public_value
    fallback = "fallback:" + hashlib.sha256(public_value.encode()).hexdigest()
    return "\n".join([public_value, *(f"{p}={reveals.get(p) or fallback}" for p in parties)])


def quota(ratio: str, size: int) -> int:
    hundredths = int((Decimal(ratio) * 100).to_integral_value())
    return -(-hundredths * size // 10_000)


def read_lines(path: Path, fields: int) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise Unreadable(f"{path}: {error}") from None
    rows = [line.split("\t") for line in text.splitlines()]
    for number, row in enumerate(rows, 1):
        if len(row) != fields or row[0] not in GRADES:
            raise Unreadable(f"{path}, line {number}: not a line of this file's format")
    return rows


def check_draw(description: Path, population: Path, selection: Path, uscc: str | None) -> list[str]:
    try:
        body = json.loads(description.read_bytes())
        campaign, drawn, files = body["campaign"], body["draw"], body["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Unreadable(f"{description}: not a draw description ({error})") from None
    if body.get("format") != FORMAT:
        raise Unreadable(f"{description}: format {body.get('format')!r}, expected {FORMAT}")
    if drawn is None:
        raise Failed("This campaign has not been drawn yet: there is nothing to recompute.")
    said = []
    for name, path in (("population", population), ("selection", selection)):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != files[name]["sha256"]:
            raise Failed(
                f"{path}: its SHA-256 is {digest}, but draw.json publishes "
                f"{files[name]['sha256']} for {name}.txt: the file was changed or is not this "
                "draw's."
            )
    said.append("files: both match the SHA-256 published in draw.json")
    parties = campaign["parties"]
    for party in parties:
        reveal, committed = drawn["reveals"].get(party), campaign["commitments"][party]
        if reveal is None:
            said.append(f"{party}: did not reveal; the published fallback rule stands in")
        elif hashlib.sha256(reveal.encode()).hexdigest() != committed:
            raise Failed(
                f"{party}'s reveal {reveal!r} does not match its commitment {committed} "
                f"(its SHA-256 is {hashlib.sha256(reveal.encode()).hexdigest()})."
            )
        else:
            said.append(f"{party}: the revealed secret matches the commitment")
    for grade, (low, high) in campaign["bands"].items():
        if not Decimal(low) <= Decimal(campaign["ratios"][grade]) <= Decimal(high):
            raise Failed(f"grade {grade}: ratio {campaign['ratios'][grade]} % outside {low}–{high}")
    text = seed_input(drawn["public_value"], parties, drawn["reveals"])
    seed = hashlib.sha256(
        f"{campaign['id']}\n{campaign['snapshot_sha256']}\n{text}".encode()
    ).digest()
    if seed.hex() != drawn["seed"]:
        raise Failed(f"The seed recomputed is {seed.hex()}, the published one {drawn['seed']}.")
    said.append(f"seed: {seed.hex()} (recomputed)")
    keys: dict[str, list[str]] = {grade: [] for grade in GRADES}
    for grade, key in read_lines(population, 2):
        keys[grade].append(key)
    chosen: dict[str, list[tuple[str, str]]] = {grade: [] for grade in GRADES}
    for grade, rank, key in read_lines(selection, 3):
        chosen[grade].append((rank, key))
    for grade in GRADES:
        stratum = drawn["strata"].get(grade, {"population": 0, "k": 0, "ratio": "0.00"})
        size = len(keys[grade])
        expected_size = campaign.get("strata_sizes", {}).get(grade, stratum["population"])
        if size != stratum["population"] or size != expected_size:
            raise Failed(
                f"grade {grade}: population.txt lists {size} enterprises; the campaign published "
                f"{expected_size} at publication and the draw {stratum['population']}."
            )
        k = quota(campaign["ratios"][grade], size)
        if k != stratum["k"]:
            raise Failed(
                f"grade {grade}: ceil(ratio × {size}) is {k}, the draw says {stratum['k']}"
            )
        expected = [(str(rank), key) for rank, key in enumerate(sorted(keys[grade])[:k], 1)]
        if chosen[grade] != expected:
            have, want = {key for _r, key in chosen[grade]}, {key for _r, key in expected}
            raise Failed(
                f"grade {grade}: the published selection is not the draw's: {len(want - have)} "
                f"drawn enterprises missing, {len(have - want)} listed that were not drawn"
                + (", ranks differ" if have == want else "")
                + "."
            )
        said.append(f"grade {grade}: {k} of {size} selected, exactly the lowest keys")
    if uscc:
        key = hmac.new(seed, uscc.strip().upper().encode("ascii"), "sha256").hexdigest()
        where = [grade for grade in GRADES if key in set(keys[grade])]
        picked = any(key == k for grade in GRADES for _r, k in chosen[grade])
        said.append(
            f"{uscc}: key {key}; "
            + (f"in the population (grade {where[0]})" if where else "NOT in the population")
            + ("; selected" if picked else "; not selected")
        )
    return said


# --- Receipts ------------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) for what receipts hold: no floats."""

    def encode(item: Any) -> str:
        if isinstance(item, dict):
            pairs = sorted(item.items(), key=lambda pair: pair[0].encode("utf-16-be"))
            return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{encode(v)}"
                                  for k, v in pairs) + "}"  # fmt: skip
        if isinstance(item, list):
            return "[" + ",".join(encode(part) for part in item) + "]"
        if isinstance(item, float):
            raise Unreadable("a receipt holds no floating-point number")
        return json.dumps(item, ensure_ascii=False)

    return encode(value).encode("utf-8")


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def read_jwks(source: str) -> dict[str, Any]:
    try:
        if source.startswith(("https://", "http://")):
            with urllib.request.urlopen(source, timeout=20) as answer:  # noqa: S310
                return json.loads(answer.read())
        return json.loads(Path(source).read_bytes())
    except (OSError, ValueError) as error:
        raise Unreadable(f"JWK Set {source}: {error}") from None


def check_signature(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    try:
        head, body, signature = token.strip().split(".")
        header = json.loads(b64decode(head))
        payload_bytes = b64decode(body)
    except ValueError:
        raise Unreadable("not a compact JWS (three base64url parts)") from None
    if header.get("alg") != "EdDSA":
        raise Failed(f"the JWS says alg {header.get('alg')!r}; receipts are signed with EdDSA")
    keys = {key.get("kid"): key for key in jwks.get("keys", [])}
    key = keys.get(header.get("kid"))
    if key is None:
        raise Failed(
            f"signed with key {header.get('kid')!r}, which this JWK Set does not list "
            f"(it lists {', '.join(map(str, keys)) or 'none'}): fetch the current set."
        )
    if key.get("kty") != "OKP" or key.get("crv") != "Ed25519":
        raise Failed(f"key {header['kid']} is not an Ed25519 key")
    try:
        Ed25519PublicKey.from_public_bytes(b64decode(key["x"])).verify(
            b64decode(signature), f"{head}.{body}".encode("ascii")
        )
    except (InvalidSignature, ValueError):
        raise Failed(
            f"the signature does not verify with key {header['kid']}: the receipt was altered "
            "after signing, or not signed by this key."
        ) from None
    payload = json.loads(payload_bytes)
    if canonical(payload) != payload_bytes:
        raise Failed("the signed payload is not in its canonical (RFC 8785) form")
    return payload


def load_engine(root: Path) -> tuple[Any, Any, Any, Any]:
    """policies/rules/ and engine.py with what they import (datahub/facttypes.py,
    qinqing/guard.py), by path, under empty packages: nothing else of the project runs.
    Returns facttypes, the rules' facts (its CATALOGUE), the rules' ruleset and engine."""
    for package in ("datahub", "qinqing", "policies", "policies.rules"):
        module = types.ModuleType(package)
        module.__path__ = []
        sys.modules.setdefault(package, module)
    loaded = {}
    for name, path in (("datahub.facttypes", "datahub/facttypes.py"),
                       ("qinqing.guard", "qinqing/guard.py"),
                       ("policies.rules.errors", "policies/rules/errors.py"),
                       ("policies.rules.facts", "policies/rules/facts.py"),
                       ("policies.rules.literals", "policies/rules/literals.py"),
                       ("policies.rules.parameters", "policies/rules/parameters.py"),
                       ("policies.rules.size_limits", "policies/rules/size_limits.py"),
                       ("policies.rules.criteria", "policies/rules/criteria.py"),
                       ("policies.rules.formulas", "policies/rules/formulas.py"),
                       ("policies.rules.ruleset", "policies/rules/ruleset.py"),
                       ("policies.engine", "policies/engine.py")):  # fmt: skip
        spec = importlib.util.spec_from_file_location(name, root / path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        loaded[name] = module
    return (loaded["datahub.facttypes"], loaded["policies.rules.facts"],
            loaded["policies.rules.ruleset"], loaded["policies.engine"])  # fmt: skip


def check_receipt(path: Path, jwks_source: str, root: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if text.lstrip().startswith("{") else {"jws": text}
        token = document["jws"]
    except (OSError, ValueError, KeyError) as error:
        raise Unreadable(f"{path}: not a receipt ({error})") from None
    payload = check_signature(token, read_jwks(jwks_source))
    said = [f"signature: valid (key {json.loads(b64decode(token.split('.')[0]))['kid']})"]
    readable = document.get("payload")
    if readable is not None and readable != payload:
        changed = sorted(
            k for k in set(readable) | set(payload) if readable.get(k) != payload.get(k)
        )
        raise Failed(
            f"the readable copy in {path.name} differs from what was signed, in: "
            f"{', '.join(changed)}. Only the signed payload counts."
        )
    rules = payload["rules"]
    if hashlib.sha256(canonical(rules)).hexdigest() != payload["rules_sha256"]:
        raise Failed("the rules' SHA-256 in the receipt is not that of the rules it carries")
    said.append(f"rules: SHA-256 {payload['rules_sha256']}")
    if payload.get("kind") == "qinqing.approval-decision":
        said.append(f"decision: {payload['decision']} at {payload['decided_at']}, decided by an "
                    "official (no formula to evaluate again)")  # fmt: skip
        return said
    facttypes, rule_facts, rule_sets, engine = load_engine(root)
    rule_facts.CATALOGUE = {
        fact["name"]: types.SimpleNamespace(
            name=fact["name"], type=facttypes.FactType(fact["type"]),
            department=fact["department"], choices=tuple(fact.get("choices") or ()),
        )
        for fact in payload["facts"]
    }  # fmt: skip
    try:
        ruleset = rule_sets.parse_rules(
            criteria=rules["criteria"], benefit=rules["benefit"],
            parameters=rules["parameters"], rounding=rules["rounding"],
        )  # fmt: skip
        values = {fact["name"]: facttypes.from_json(facttypes.FactType(fact["type"]), fact["value"])
                  for fact in payload["facts"]}  # fmt: skip
    except (ValueError, ArithmeticError) as error:
        raise Failed(f"the receipt's rules or facts cannot be read: {error}") from None
    cap = None if rules.get("cap") is None else Decimal(rules["cap"])
    outcome = engine.evaluate(ruleset, values, date.fromisoformat(payload["rules_on"]), cap)
    if outcome.status != payload["outcome"]:
        raise Failed(
            f"evaluating the rules on the receipt's facts gives {outcome.status!r}; the receipt "
            f"says {payload['outcome']!r}."
        )
    amount = None if outcome.amount is None else str(outcome.amount)
    if payload["outcome"] == "eligible" and amount != payload["amount"]:
        raise Failed(f"the rules on these facts give the amount {amount}; the receipt says "
                     f"{payload['amount']}.")  # fmt: skip
    recorded = {row["id"]: row["result"] for row in payload.get("criteria", [])}
    for criterion in outcome.criteria:
        if criterion.id in recorded and recorded[criterion.id] != criterion.result:
            raise Failed(f"criterion {criterion.id}: recomputed {criterion.result}, receipt "
                         f"{recorded[criterion.id]}")  # fmt: skip
    said.append(f"outcome: {outcome.status}, amount {amount} (recomputed from the facts)")
    said.append(f"decision: {payload['decision']} at {payload['decided_at']}")
    return said


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("draw", help="recompute a draw from its published files")
    draw.add_argument("description", type=Path, help="draw.json")
    draw.add_argument("population", type=Path, help="population.txt")
    draw.add_argument("selection", type=Path, help="selection.txt")
    draw.add_argument("--uscc", help="also say whether this enterprise is in it")
    receipt = commands.add_parser("receipt", help="check a signed decision receipt")
    receipt.add_argument("file", type=Path)
    receipt.add_argument("--jwks", required=True, help="the JWK Set: a file or a URL")
    receipt.add_argument("--engine", type=Path, default=ROOT, help="the repository's root")
    args = parser.parse_args(argv)
    try:
        if args.command == "draw":
            said = check_draw(args.description, args.population, args.selection, args.uscc)
        else:
            said = check_receipt(args.file, args.jwks, args.engine)
    except Failed as failure:
        say(f"DOES NOT VERIFY: {failure}")
        return 1
    except (Unreadable, OSError, KeyError, TypeError, ValueError) as problem:
        say(f"CANNOT READ: {problem}")
        return 2
    say("\n".join(said))
    say("VERIFIED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
