"""seed_demo: the same seed gives the same register; a rerun changes nothing. The demo
policies' seed leaves a finished batch run; a rerun pays nobody twice."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

import qinqing.queueing
from accounts.models import User
from enterprises.models import Enterprise, EnterpriseMembership
from policies.models import PolicyVersion, VersionStatus
from qinqing.celery import app as celery_app
from qinqing.identifiers import is_valid_uscc
from sandbox.city.management.commands.seed_demo_policies import POLICIES
from subsidies.batch import START_TASK, progress
from subsidies.models import BatchRun, Claim, ClaimStatus, Disbursement

pytestmark = pytest.mark.django_db


def register() -> list[tuple]:
    return list(
        Enterprise.objects.order_by("uscc").values_list(
            "uscc",
            "name",
            "district__code",
            "industry_division",
            "registered_capital",
            "bank_account",
        )
    )


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_same_seed_same_register_and_every_code_valid():
    seed(enterprises=60, seed=7)
    first = register()
    assert len(first) == 60
    assert all(is_valid_uscc(row[0]) for row in first)
    EnterpriseMembership.objects.all().delete()
    Enterprise.objects.all().delete()
    seed(enterprises=60, seed=7)
    assert register() == first


def test_a_different_seed_gives_a_different_register():
    seed(enterprises=20, seed=1)
    first = {row[0] for row in register()}
    Enterprise.objects.all().delete()
    seed(enterprises=20, seed=2)
    assert first.isdisjoint({row[0] for row in register()})


def test_rerun_is_idempotent_and_growing_keeps_the_first_ones():
    seed(enterprises=30, seed=5)
    first = register()
    users = User.objects.count()
    output = seed(enterprises=30, seed=5)
    assert "0 enterprises created" in output
    assert register() == first
    assert User.objects.count() == users
    seed(enterprises=45, seed=5)
    grown = register()
    assert len(grown) == 45 and set(first) <= set(grown)


def test_prints_every_demo_login_and_they_work(client):
    output = seed(enterprises=10, seed=3)
    for username in ("enterprise", "tax_city", "market_xihu", "auditor", "admin"):
        assert username in output
    assert "qinqing-demo-2026" in output
    enterprise_user = User.objects.get(username="enterprise")
    assert enterprise_user.enterprises.count() == 2
    response = client.post(
        "/accounts/login/", {"username": "market_xihu", "password": "qinqing-demo-2026"}
    )
    assert response.status_code == 302
    assert User.objects.get(username="market_xihu").district.code == "xihu"


def paid_by_batch() -> tuple:
    claims = Claim.objects.filter(origin="batch")
    return (
        claims.count(),
        claims.filter(status=ClaimStatus.PAID).count(),
        claims.filter(status=ClaimStatus.PAID).aggregate(total=Sum("amount"))["total"],
        Disbursement.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_rows")
def test_the_demo_policies_seed_leaves_a_finished_batch_run_and_a_rerun_pays_nobody_twice(
    monkeypatch,
):
    """As `make seed` runs (no worker yet: a queued task waits on the broker), the automatic
    demo policy's batch run is done and has paid; seeding again, or the worker taking the
    run's queued start later, makes no second run and pays no one twice."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    # No worker: what is queued outside the seed's own inline run is not delivered (with a
    # broker and a worker running, as in CI, a worker would otherwise race the seed).
    monkeypatch.setattr(qinqing.queueing, "paused", lambda: True)
    out = StringIO()
    seed(enterprises=300, seed=2021)
    call_command("refresh_extracts", purpose="test", stdout=out)
    call_command("seed_demo_policies", stdout=out)
    automatic = PolicyVersion.objects.get(
        policy__delivery_mode="automatic", status=VersionStatus.PUBLISHED,
        policy__code__in=[spec["code"] for spec in POLICIES],
    )  # fmt: skip
    run = BatchRun.objects.get(version=automatic)
    assert run.status == BatchRun.Status.DONE and run.finished_at is not None
    first = paid_by_batch()
    assert first[1] > 0 and first[2] > 0 and first[3] >= first[1]
    assert progress(run)["amount_paid"] == first[2]
    call_command("seed_demo_policies", stdout=out)
    assert BatchRun.objects.filter(version=automatic).count() == 1
    assert paid_by_batch() == first
    # The start queued at publication, delivered to a worker afterwards.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    celery_app.tasks[START_TASK].delay(automatic.pk)
    assert BatchRun.objects.filter(version=automatic).count() == 1
    assert paid_by_batch() == first
