"""An approval item's decision yields a signed receipt (page and API, scoped like the
item) that tools/verify.py checks without Django; before the decision there is none."""

import json

import pytest

from approvals.services.decisions import approve_item
from qinqing import signing
from tests.approvals.conftest import officials_for, submitted_project
from tests.factories import EnterpriseFactory, member_of
from tests.tools.verifier import run_verifier

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing(applicant, project_package):
    project = submitted_project(applicant, project_package)
    return project.items.get(item_type__code="project-filing")


def test_a_decided_item_has_a_receipt_that_verifies(client, api_client, applicant, filing,
                                                    tmp_path):  # fmt: skip
    member = applicant[0]
    client.force_login(member)
    assert client.get(f"/approvals/items/{filing.pk}/receipt/").status_code == 409
    approve_item(filing.pk, actor=officials_for("ndrc"), note="In order.")
    answer = client.get(f"/approvals/items/{filing.pk}/receipt/")
    assert answer.status_code == 200
    # The applicant finds it on the application's tracker, beside the decided item.
    tracker = client.get(f"/approvals/{filing.application_id}/").content.decode()
    assert f'href="/approvals/items/{filing.pk}/receipt/" download' in tracker
    receipt = json.loads(answer.content)
    payload = receipt["payload"]
    assert payload["kind"] == "qinqing.approval-decision" and payload["decision"] == "approved"
    assert payload["enterprise"]["uscc"] == applicant[1].uscc and payload["note"] == "In order."
    (tmp_path / "receipt.json").write_text(json.dumps(receipt, ensure_ascii=False))
    (tmp_path / "jwks.json").write_text(json.dumps(signing.jwks()))
    done = run_verifier("receipt", "receipt.json", "--jwks", "jwks.json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "decided by an official" in done.stdout
    api_client.force_authenticate(member)
    assert api_client.get(f"/api/v1/approvals/items/{filing.pk}/receipt/").status_code == 200
    api_client.force_authenticate(member_of(EnterpriseFactory()))
    assert api_client.get(f"/api/v1/approvals/items/{filing.pk}/receipt/").status_code == 404
