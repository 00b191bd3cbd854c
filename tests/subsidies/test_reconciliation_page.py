"""Every reconciliation run is stored with its figures and mismatches; auditors and
administrators see the report (city-wide money), an administrator may queue a run now;
officials and enterprise users may do neither."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from qinqing.notifications.models import Notification
from subsidies.models import (
    ClaimStatus,
    DisbursementStatus,
    ReconciliationRun,
)
from subsidies.reconciliation import reconcile
from subsidies.tasks import reconcile_payments
from tests.factories import (
    AdminFactory,
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)
from tests.subsidies.conftest import paying_claim

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_run_is_stored_with_what_it_settled(apply_policy):
    claim = paying_claim(apply_policy, treasury_paid=True)
    run = reconcile()
    assert isinstance(run, ReconciliationRun) and run.finished_at is not None
    assert (run.checked, run.settled, run.problems, run.triggered_by) == (1, 1, [], None)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert reconcile_payments() == []  # the beat task: the mismatches, JSON-friendly
    assert ReconciliationRun.objects.count() == 2


def test_a_mismatch_is_recorded_shown_and_auditors_are_told(client, apply_policy):
    auditor = AuditorFactory()
    paying_claim(apply_policy, treasury_paid=False, status=DisbursementStatus.CONFIRMED)
    with pytest.raises(CommandError):
        call_command("reconcile_payments")
    run = ReconciliationRun.objects.get()
    assert len(run.problems) == 2  # no ledger legs, and unknown to the treasury
    told = Notification.objects.filter(kind="reconciliation.mismatch")
    assert list(told.values_list("recipient", flat=True)) == [auditor.pk]
    client.force_login(auditor)
    page = client.get(reverse("subsidies:reconciliation"))
    assert run.problems[0] in page.content.decode()


def test_who_may_see_and_run_it(client, reference_data):
    url = reverse("subsidies:reconciliation")
    refused = [
        member_of(EnterpriseFactory()),
        OfficialFactory(department=department("taxation"), district=None),
        OfficialFactory(department=department("hrss"), district=district("binjiang")),
    ]
    for user in refused:
        client.force_login(user)
        assert client.get(url).status_code == 403, user
        assert client.post(url).status_code == 403, user
    auditor = AuditorFactory()
    client.force_login(auditor)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 403  # auditors read, never write
    assert not ReconciliationRun.objects.exists()
    admin = AdminFactory()
    client.force_login(admin)
    assert client.get(url).status_code == 200
    assert client.post(url)["Location"] == url  # queued; tasks run in-process in tests
    assert ReconciliationRun.objects.get().triggered_by == admin
    client.logout()
    assert client.get(url).status_code == 302  # to the log-in page
