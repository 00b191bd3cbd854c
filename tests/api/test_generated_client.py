"""A client generated from the committed schema works against the running API.

openapi-python-client (a dev extra) generates a Python package from docs/openapi.yaml;
the test imports every module of it (a schema that offers one body three ways gave a
client that failed at import: issue 19, item 10), then drives the live test server with
it the way a partner's script would: token -> policies -> claim with an Idempotency-Key ->
poll until decided -> the same key again gives the same answer, and no second claim.

Marked `worker` on purpose in the second run: the claim is then decided by a real Celery
worker (CI's stack), so "poll until decided" polls.
"""

import importlib
import json
import pkgutil
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from subsidies.models import Claim
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
PASSWORD = "correct horse battery staple 19"
# Statuses a claim passes through before it is decided.
UNDECIDED = {"submitted", "checking", "awaiting_data", "eligible", "paying"}
POLL_SECONDS = 60


def generator() -> str:
    """The openapi-python-client command: next to this interpreter (the dev extras), or on
    PATH."""
    found = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    found = found or shutil.which("openapi-python-client")
    if found is None:
        pytest.fail("openapi-python-client is not installed: pip install -e '.[dev]'")
    return found


@pytest.fixture(scope="module")
def client_package(tmp_path_factory):
    """The generated client, imported under a name of its own; every module imports."""
    root = tmp_path_factory.mktemp("generated")
    name = f"qinqing_client_{uuid.uuid4().hex[:8]}"
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")  # no ruff run over the output
    run = subprocess.run(
        [generator(), "generate", "--path", str(SCHEMA), "--meta", "none", "--config",
         str(config), "--output-path", str(root / name), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, cwd=root,
    )  # fmt: skip
    assert run.returncode == 0, f"generation failed:\n{run.stdout}\n{run.stderr}"
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(name)
        api = importlib.import_module(f"{name}.api")
        modules = [
            importlib.import_module(info.name)
            for info in pkgutil.walk_packages(api.__path__, f"{name}.api.")
        ]
        assert len(modules) > 100  # one per operation, and the tags' packages
        yield package
    finally:
        sys.path.remove(str(root))
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def _module(package, dotted: str):
    return importlib.import_module(f"{package.__name__}.{dotted}")


def _policy_for_everyone() -> str:
    """Apply mode: the claim is checked (decided eligible), then waits for an official."""
    from policies.models import DeliveryMode
    from tests.subsidies.conftest import policy_for_everyone

    hrss = lambda: OfficialFactory(department=department("hrss"), district=None)  # noqa: E731
    policy = policy_for_everyone(code="jobs-client", title="稳岗补贴", author=hrss(),
                                 approver=hrss(), benefit_type="employment_subsidy",
                                 mode=DeliveryMode.APPLY)  # fmt: skip
    return policy.code


def _drive(package, base_url: str) -> None:
    models = _module(package, "models")
    token_create = _module(package, "api.auth.auth_token_create")
    policies_list = _module(package, "api.policies.policies_list")
    claims_create = _module(package, "api.claims.claims_create")
    claims_retrieve = _module(package, "api.claims.claims_retrieve")

    enterprise = EnterpriseFactory()
    user = member_of(enterprise)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    code = _policy_for_everyone()

    anonymous = package.Client(base_url=base_url, headers={"Accept-Language": "en"})
    answer = token_create.sync_detailed(
        client=anonymous, body=models.AuthTokenRequest(username=user.username, password=PASSWORD)
    )
    assert answer.status_code == 200, answer.content
    client = package.AuthenticatedClient(
        base_url=base_url, token=answer.parsed.token, prefix="Token",
        headers={"Accept-Language": "en"}, raise_on_unexpected_status=True,
    )  # fmt: skip

    page = policies_list.sync(client=client)
    assert isinstance(page, models.PaginatedPolicyList), page
    assert code in [policy.code for policy in page.results]

    key = str(uuid.uuid4())
    body = models.ClaimRequestRequest(policy=code, uscc=enterprise.uscc)
    first = claims_create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert first.status_code in (200, 201), first.content
    claim = first.parsed
    assert isinstance(claim, models.Claim), first.content

    deadline = time.monotonic() + POLL_SECONDS
    while str(claim.status) in UNDECIDED and time.monotonic() < deadline:
        time.sleep(0.2)
        claim = claims_retrieve.sync(client=client, id=claim.id)
        assert isinstance(claim, models.Claim), claim
    assert str(claim.status) not in UNDECIDED, f"claim still {claim.status} after polling"
    assert str(claim.status) == "in_review"  # eligible; an apply-mode policy's official decides

    again = claims_create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert again.status_code == first.status_code
    assert again.headers.get("Idempotent-Replayed") == "true"
    # The first answer, replayed (kept as JSON: PostgreSQL's jsonb keeps no key order).
    assert json.loads(again.content) == json.loads(first.content)
    assert again.parsed.id == first.parsed.id
    assert Claim.objects.filter(enterprise=enterprise).count() == 1


def test_a_generated_client_claims_and_replays(client_package, live_server):
    """Tasks run in the server's process (the suite's default)."""
    _drive(client_package, live_server.url)


@pytest.mark.worker
def test_a_generated_client_claims_and_replays_with_a_worker(
    client_package, live_server, celery_worker_process
):
    """CI's stack: the claim is decided by a separate Celery worker while the client polls."""
    _drive(client_package, live_server.url)
