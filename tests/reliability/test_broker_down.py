"""Redis down (restarting, unreachable): what the fault-injection run (bench/faults.py)
found answering 500. The request's own work is committed, so the user gets its answer;
what could not be queued is picked up by the periodic sweeps."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from approvals.models import Application, ApplicationStatus, Item, ItemStatus
from qinqing.cache import TolerantRedisCache
from subsidies.models import Claim, ClaimStatus, Disbursement, DisbursementStatus
from subsidies.payments import resume_stalled_payments
from subsidies.pipeline import due_rechecks
from tests.factories import EnterpriseFactory, member_of

from ..approvals.conftest import ESTABLISHMENT, establishment_package  # noqa: F401
from ..subsidies.conftest import apply_policy, claim_in_review, hrss_official  # noqa: F401
from ..subsidies.test_api_and_pages import claim_via_api
from ..subsidies.test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_claim_made_while_the_broker_is_down_is_recorded_and_checked_later(
    api_client,
    policy,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr("subsidies.checkqueue.enqueue", broker_down)
    enterprise = EnterpriseFactory()
    answer = claim_via_api(api_client, member_of(enterprise), enterprise, key="k-1")
    assert answer.status_code == 201, answer.content
    claim = Claim.objects.get()
    assert answer.json()["status"] == claim.status == ClaimStatus.CHECKING
    # The check never queued: the sweep finds the claim once it has waited ten minutes.
    assert due_rechecks() == []
    monkeypatch.undo()
    assert due_rechecks(now=timezone.now() + timedelta(minutes=11)) == [claim.pk]


def test_an_approval_while_the_broker_is_down_leaves_the_payment_to_the_sweep(
    api_client,
    claim_in_review,  # noqa: F811
    hrss_official,  # noqa: F811
    monkeypatch,
):
    claim, _member = claim_in_review()
    monkeypatch.setattr("subsidies.tasks.pay_claim.apply_async", broker_down)
    api_client.force_authenticate(hrss_official)
    answer = api_client.post(f"/api/v1/claims/{claim.pk}/approve/")
    assert answer.status_code == 200, answer.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYING
    assert Disbursement.objects.get(claim=claim).status == DisbursementStatus.PENDING
    # The broker is back: the stalled-payment sweep queues it again, with the same key.
    queued = []
    monkeypatch.setattr("subsidies.tasks.pay_claim.apply_async", lambda args, **kw: queued.append(args[0]))
    with transaction.atomic():
        assert resume_stalled_payments(now=timezone.now() + timedelta(minutes=6)) == [claim.pk]
    assert queued == [claim.pk]


def test_an_application_submitted_while_the_broker_is_down_is_submitted(
    establishment_package,  # noqa: F811
    monkeypatch,
):
    """Its automatic checks could not be queued: the items wait for their officials."""
    from approvals.services.applications import save_answers, start_application, submit_application
    from tests.factories import UserFactory

    monkeypatch.setattr("approvals.services.applications._enqueue_auto_decisions", broker_down)
    founder = UserFactory()
    draft = start_application(package=establishment_package, actor=founder)
    save_answers(draft.pk, actor=founder, answers=ESTABLISHMENT)
    submit_application(draft.pk, actor=founder)
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.IN_REVIEW
    assert set(Item.objects.values_list("status", flat=True)) == {ItemStatus.PENDING}


def test_the_cache_reads_as_empty_while_redis_is_unreachable():
    with socket_closed_port() as port:
        cache = TolerantRedisCache(
            f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 0.5}}
        )
        assert cache.get("k", "fallback") == "fallback"
        assert cache.get_many(["a", "b"]) == {}
        assert not cache.has_key("k")
        cache.set("k", 1)
        cache.set_many({"a": 1})
        cache.delete("k")
        cache.delete_many(["a"])
        assert cache.add("k", 1) is False  # nobody gets a lock the cache did not give
        with pytest.raises(ValueError):
            cache.incr("k")  # as a missing key: the callers' fallback
        assert cache.get_or_set("k", lambda: 5) == 5


def socket_closed_port():
    """A port with nothing listening on it."""
    import contextlib
    import socket

    @contextlib.contextmanager
    def closed():
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        yield port

    return closed()
