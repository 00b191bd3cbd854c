"""Signed decision receipts: a claim's receipt verifies with any JOSE library and with
tools/verify.py (no Django), and fails precisely when a fact, the amount or the signature
is changed; a receipt signed before a key rotation still verifies; the JWK Set is JSON."""

import base64
import json

import pytest
from django.test import override_settings
from jwcrypto import jwk, jws

from qinqing import signing
from subsidies.claims import submit_claim
from subsidies.models import ClaimStatus
from tests.factories import EnterpriseFactory, member_of
from tests.tools.verifier import run_verifier

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid(policy):
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    claim, _created = submit_claim(enterprise=enterprise, policy=policy, actor=member)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    return claim, member


def download(client, claim, member):
    client.force_login(member)
    answer = client.get(f"/claims/{claim.pk}/receipt/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    return json.loads(answer.content)


def check(tmp_path, receipt, jwks=None):
    (tmp_path / "receipt.json").write_text(json.dumps(receipt, ensure_ascii=False))
    (tmp_path / "jwks.json").write_text(json.dumps(jwks or signing.jwks()))
    return run_verifier("receipt", "receipt.json", "--jwks", "jwks.json", cwd=tmp_path)


def resigned(receipt, change):
    """The receipt's payload changed, then signed again with the portal's key: what a
    portal that misapplied its own rules would hand out."""
    payload = json.loads(json.dumps(receipt["payload"]))
    change(payload)
    return {"jws": signing.sign(payload), "payload": payload}


def test_a_receipt_verifies_with_a_jose_library_and_the_tool(client, paid, tmp_path):
    claim, member = paid
    receipt = download(client, claim, member)
    payload = receipt["payload"]
    assert payload["enterprise"]["uscc"] == claim.enterprise.uscc
    assert payload["amount"] == "5000.00" and payload["outcome"] == "eligible"
    assert {fact["name"] for fact in payload["facts"]} == set(claim.facts)
    assert all(fact["department"] and fact["read_at"] for fact in payload["facts"])
    assert len(payload["rules_sha256"]) == 64 and payload["decision"] == "paid"
    # Any JOSE library: jwcrypto, against the published JWK Set.
    keys = jwk.JWKSet.from_json(client.get("/.well-known/jwks.json").content)
    token = jws.JWS()
    token.deserialize(receipt["jws"])
    token.verify(keys)
    assert json.loads(token.payload) == payload
    assert token.jose_header["alg"] == "EdDSA" and token.jose_header["kid"]
    done = check(tmp_path, receipt)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "outcome: eligible, amount 5000.00" in done.stdout and "VERIFIED" in done.stdout


def test_the_api_gives_the_same_receipt_to_whoever_sees_the_claim(api_client, paid):
    claim, member = paid
    api_client.force_authenticate(member)
    answer = api_client.get(f"/api/v1/claims/{claim.pk}/receipt/")
    assert answer.status_code == 200 and answer.json()["payload"]["claim"] == claim.pk
    api_client.force_authenticate(member_of(EnterpriseFactory()))
    assert api_client.get(f"/api/v1/claims/{claim.pk}/receipt/").status_code == 404


def test_a_fact_changed_after_signing_breaks_the_signature(client, paid, tmp_path):
    claim, member = paid
    receipt = download(client, claim, member)
    head, body, signature = receipt["jws"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["facts"][0]["value"] = 999
    forged = base64.urlsafe_b64encode(signing.canonical(payload)).rstrip(b"=").decode()
    done = check(tmp_path, {"jws": f"{head}.{forged}.{signature}"})
    assert done.returncode == 1 and "the signature does not verify" in done.stdout


def test_a_changed_readable_copy_is_named(client, paid, tmp_path):
    claim, member = paid
    receipt = download(client, claim, member)
    receipt["payload"]["amount"] = "50000.00"
    done = check(tmp_path, receipt)
    assert done.returncode == 1 and "differs from what was signed, in: amount" in done.stdout


def test_a_signed_fact_that_does_not_give_the_outcome_fails(client, paid, tmp_path):
    claim, member = paid
    receipt = download(client, claim, member)

    def fewer_staff(payload):
        fact = next(f for f in payload["facts"] if f["name"] == "hrss.insured_employees")
        fact["value"] = -1  # the policy asks for at least 0

    done = check(tmp_path, resigned(receipt, fewer_staff))
    assert done.returncode == 1
    assert "gives 'ineligible'; the receipt says 'eligible'" in done.stdout


def test_a_signed_amount_the_rules_do_not_give_fails(client, paid, tmp_path):
    claim, member = paid
    receipt = download(client, claim, member)
    done = check(tmp_path, resigned(receipt, lambda p: p.update(amount="9000.00")))
    assert done.returncode == 1
    assert "give the amount 5000.00; the receipt says 9000.00" in done.stdout


def test_rules_that_are_not_the_published_ones_fail(client, paid, tmp_path):
    claim, member = paid
    receipt = download(client, claim, member)
    done = check(tmp_path, resigned(receipt, lambda p: p["rules"].update(rounding="down")))
    assert done.returncode == 1 and "rules' SHA-256" in done.stdout


def test_a_receipt_signed_before_a_rotation_still_verifies(client, paid, tmp_path):
    claim, member = paid
    old, new = (jwk.JWK.generate(kty="OKP", crv="Ed25519") for _ in range(2))
    with override_settings(RECEIPT_SIGNING_KEY=old.export_private()):
        receipt = download(client, claim, member)
    retired = json.dumps([json.loads(old.export_public())])
    with override_settings(RECEIPT_SIGNING_KEY=new.export_private(), RECEIPT_RETIRED_KEYS=retired):
        published = client.get("/.well-known/jwks.json")
        assert published.status_code == 200 and published["Content-Type"] == "application/json"
        keys = published.json()["keys"]
        assert [key["kid"] for key in keys] == [new.thumbprint(), old.thumbprint()]
        assert all("d" not in key for key in keys)  # public parts only
        done = check(tmp_path, receipt, published.json())
        assert done.returncode == 0, done.stdout
        # A set that no longer lists the old key: the answer says which key is missing.
        done = check(tmp_path, receipt, {"keys": keys[:1]})
        assert done.returncode == 1
        assert f"signed with key '{old.thumbprint()}', which this JWK Set does not list" in (
            done.stdout
        )


def test_an_undecided_claim_has_no_receipt_yet(client, paid):
    claim, member = paid
    claim.__class__.objects.filter(pk=claim.pk).update(decision=None)
    client.force_login(member)
    answer = client.get(f"/claims/{claim.pk}/receipt/")
    assert answer.status_code == 409
    assert client.get(f"/api/v1/claims/{claim.pk}/receipt/").status_code == 409


def test_canonical_form_follows_rfc_8785():
    value = {"b": [1, True, None], "a": "é\n", "\u20ac": "x", "\U0001f600": "y", "\ufb33": "z"}
    # Members sorted by UTF-16 code units: U+1F600 (D83D…) comes before U+FB33 in UTF-16.
    expected = '{"a":"\u00e9\\n","b":[1,true,null],"\u20ac":"x","\U0001f600":"y","\ufb33":"z"}'
    assert signing.canonical(value) == expected.encode()
    with pytest.raises(TypeError):
        signing.canonical({"a": 1.5})
