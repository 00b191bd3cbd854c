"""The worker's side of an instant claim, counted (issue #24): the check task's whole path
(facts, decision, reservation, disbursement, the simulated treasury's file, confirmation,
ledger, audit, outbox, notification) for one claim, and for claims checked together as
the check queue hands them out. A ceiling for each, so that a change adding statements
to every claim shows here."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subsidies.claims import submit_claim
from subsidies.models import Claim, ClaimStatus
from subsidies.pipeline import check_many
from tests.factories import EnterpriseFactory, UserFactory

from .test_instant_path_statements import automatic_policy  # noqa: F401 - fixture

# The claims with what they name (1); the policy's districts (1); the departments' keys
# (1); the call log (1); corrections (1); BEGIN, the claims locked (2); a savepoint, the
# deductions owed, the disbursements, the claims paying with their trail, the budget, its
# release, COMMIT (7); the simulated treasury's file (7, the sandbox's); BEGIN, plan by
# keys, the claims locked with policy and version, their enterprises, the disbursements
# confirmed, the ledger legs, the claims paid with their trail, the outbox, COMMIT (9);
# the notices (1). Was 42: the subscriptions asked twice, the claims and what they name
# read three times more, the call log in a transaction of its own.
ONE_CLAIM = 31
# The same statements for eight claims checked together.
EIGHT_CLAIMS = ONE_CLAIM


@pytest.fixture
def quick_simulators(settings, simulate):
    settings.TREASURY_SIMULATION = {"latency_ms": 0, "error_rate": 0.0, "lost_answer_rate": 0.0}
    for code in ("hrss", "market"):
        simulate(code, latency_ms=0, jitter_ms=0)


def submitted(policy, count: int) -> list[int]:
    actor = UserFactory()
    return [submit_claim(enterprise=enterprise, policy=policy, actor=actor, member=True)[0].pk
            for enterprise in EnterpriseFactory.create_batch(count)]  # fmt: skip


@pytest.mark.postgres
def test_a_claim_checked_and_paid_takes_a_fixed_handful_of_statements(
    automatic_policy,  # noqa: F811
    quick_simulators,
    monkeypatch,
):
    monkeypatch.setattr("subsidies.checkqueue.enqueue", lambda claim_id: None)
    warm_up, alone, together = (submitted(automatic_policy, n) for n in (1, 1, 8))
    check_many(warm_up)  # the process's first claim reads what it then keeps
    with CaptureQueriesContext(connection) as one:
        check_many(alone)
    with CaptureQueriesContext(connection) as eight:
        check_many(together)

    assert set(Claim.objects.filter(pk__in=[*alone, *together])
               .values_list("status", flat=True)) == {ClaimStatus.PAID}  # fmt: skip
    statements = [query["sql"][:120] for query in one.captured_queries]
    assert len(statements) <= ONE_CLAIM, "\n".join(statements)
    statements = [query["sql"][:120] for query in eight.captured_queries]
    assert len(statements) <= EIGHT_CLAIMS, "\n".join(statements)
