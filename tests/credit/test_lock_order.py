"""One lock order for every path that touches commitments, applications and items
(issue 19, item 9): application → item → commitment → enterprise. A breach recorded from
credit's pages used to lock commitment → enterprise → application → item while approvals
locked application → item → commitment: two officials acting at once deadlocked (a 500)."""

import threading
import time

import pytest
from django.db import OperationalError, connections

from approvals.models import ItemStatus
from approvals.services.commitments import verify_commitment
from credit.commitments import services as commitment_services
from credit.commitments.models import Commitment, CommitmentStatus
from credit.commitments.services import breach_commitment, start_verification
from qinqing.errors import ServiceError
from qinqing.transitions import IllegalTransition
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    applicant,
    officials_for,
    project_package,
    submitted_project,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_breach_from_credit_and_a_verification_in_approvals_at_once_never_deadlock(
    applicant,  # noqa: F811 - a fixture
    project_package,  # noqa: F811 - a fixture
    monkeypatch,
):
    application = submitted_project(applicant, project_package, on_commitment=True)
    planning = application.items.get(item_type__code="planning-permit")
    official = officials_for("planning")
    start_verification(planning.commitment_id, actor=official)

    credit_holds_its_first_locks = threading.Event()
    approvals_started = threading.Event()
    real_lock_enterprise = commitment_services.lock_enterprise

    def slow_lock_enterprise(enterprise_id):
        # The credit path, past its first locks: let approvals take its own meanwhile.
        if threading.current_thread().name == "credit":
            credit_holds_its_first_locks.set()
            approvals_started.wait(5)
            time.sleep(0.5)
        return real_lock_enterprise(enterprise_id)

    monkeypatch.setattr(commitment_services, "lock_enterprise", slow_lock_enterprise)
    outcomes: dict[str, str] = {}

    def from_credit():
        try:
            breach_commitment(planning.commitment_id, actor=official, reason="规划条件不符")
            outcomes["credit"] = "breached"
        except (ServiceError, IllegalTransition) as refusal:
            outcomes["credit"] = f"refused: {refusal}"
        except OperationalError as error:
            outcomes["credit"] = f"database error: {error}"
        finally:
            credit_holds_its_first_locks.set()
            connections.close_all()

    def from_approvals():
        credit_holds_its_first_locks.wait(5)
        approvals_started.set()
        try:
            verify_commitment(planning.pk, actor=official, passed=False, note="现场核查不符")
            outcomes["approvals"] = "breached"
        except (ServiceError, IllegalTransition) as refusal:
            outcomes["approvals"] = f"refused: {refusal}"
        except OperationalError as error:
            outcomes["approvals"] = f"database error: {error}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=from_credit, name="credit"),
               threading.Thread(target=from_approvals, name="approvals")]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any("database error" in outcome for outcome in outcomes.values()), outcomes
    assert sorted(outcomes) == ["approvals", "credit"]
    assert "breached" in outcomes.values()
    planning.refresh_from_db()
    assert planning.status == ItemStatus.REVOKED
    assert Commitment.objects.get(pk=planning.commitment_id).status == CommitmentStatus.BREACHED
