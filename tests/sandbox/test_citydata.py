"""generate_city_data: a small city written by the benchmark's generator must look like a
real one to the dashboards (counts, status mix) and keep every rule the services keep."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q, Sum

from approvals.models import Application, Item, ItemPause
from credit.commitments.models import Commitment
from credit.grades.models import CreditGrade
from credit.inspections.models import InspectionDraw, InspectionSelection
from datahub.models import DataCall
from directline.models import Request
from enterprises.models import Enterprise
from policies.models import Policy
from subsidies.models import Budget, Claim, Disbursement, LedgerEntry

AS_OF = date(2026, 11, 27)
VOLUMES = [
    "--enterprises", "2000", "--claims", "3000", "--items", "300", "--requests", "300",
    "--data-calls", "2000", "--selections", "60",
]  # fmt: skip


@pytest.fixture
def city(db):
    out = StringIO()
    call_command("generate_city_data", *VOLUMES, "--as-of", AS_OF.isoformat(), stdout=out)
    return out.getvalue()


def test_volumes_and_summary(city):
    assert Enterprise.objects.count() == 2000
    assert CreditGrade.objects.count() == 2000
    # A few draws fall on the same enterprise, policy and period and are dropped.
    assert 2900 <= Claim.objects.count() <= 3000
    assert 300 <= Item.objects.count() <= 310
    assert Request.objects.count() == 300
    assert DataCall.objects.count() == 2000
    assert "generation 1" in city and "claims_paid" in city


def test_status_mix_is_a_citys(city):
    claims = Claim.objects.count()
    share = {row["status"]: row["n"] / claims
             for row in Claim.objects.values("status").annotate(n=Count("pk"))}  # fmt: skip
    assert 0.74 <= share["paid"] <= 0.86
    assert 0.05 <= share["ineligible"] <= 0.12
    assert 0.01 <= share["awaiting_data"] <= 0.06
    assert share.get("in_review", 0) > 0 and share.get("payment_failed", 0) > 0
    grades = {row["grade"]: row["n"] / 2000
              for row in CreditGrade.objects.values("grade").annotate(n=Count("pk"))}  # fmt: skip
    assert 0.5 <= grades["B"] <= 0.6 and 0.07 <= grades["D"] <= 0.13
    items = set(Item.objects.values_list("status", flat=True))
    assert {"approved", "committed", "verified", "pending", "rejected", "withdrawn"} <= items
    outcomes = dict(DataCall.objects.values_list("outcome").annotate(n=Count("pk")))
    assert outcomes["ok"] > 0.8 * 2000 and outcomes.get("timeout", 0) > 0


def test_every_paid_claim_has_one_confirmed_disbursement_within_its_budget(city):
    paid = Claim.objects.filter(status="paid")
    assert paid.exists()
    assert not paid.exclude(disbursement__status="confirmed").exists()
    assert (
        not Disbursement.objects.filter(status="confirmed").exclude(claim__status="paid").exists()
    )
    mismatched = paid.exclude(disbursement__amount=F("amount"))
    assert not mismatched.exists()
    assert not paid.filter(disbursement__confirmed_at__lt=F("created_at")).exists()
    for budget in Budget.objects.select_related("version__policy"):
        paid_sum = Disbursement.objects.filter(
            claim__version=budget.version, status="confirmed"
        ).aggregate(s=Sum("amount"))["s"] or Decimal("0")
        assert paid_sum <= budget.reserved <= budget.total
        # The ledger agrees: what the budget account paid is what was confirmed.
        assert budget.paid == paid_sum


def test_ledger_is_double_entry(city):
    legs = LedgerEntry.objects.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    assert legs["debit"] == legs["credit"] > 0
    per_claim = LedgerEntry.objects.values("claim").annotate(n=Count("pk")).filter(~Q(n=2))
    assert not per_claim.exists()


def test_open_work_has_deadlines_and_some_is_overdue(city):
    pending = Item.objects.filter(status="pending")
    assert pending.exists() and not pending.filter(deadline__isnull=True).exists()
    supplement = Item.objects.filter(status="supplement")
    assert not supplement.exclude(pauses__ended_at__isnull=True).exists()
    assert ItemPause.objects.filter(ended_at__isnull=True).count() == supplement.count()
    committed = Item.objects.filter(status__in=["committed", "verified", "revoked"])
    ids = set(committed.values_list("commitment_id", flat=True))
    assert None not in ids and ids == set(Commitment.objects.values_list("pk", flat=True))
    assert Commitment.objects.filter(status="fulfilled").count() == (
        Item.objects.filter(status="verified").count()
    )
    answered = Request.objects.filter(status__in=["answered", "closed"])
    assert not answered.filter(answered_at__isnull=True).exists()
    assert Request.objects.filter(status="closed").exclude(rating="").exists()
    assert Application.objects.filter(status="approved").exists()


def test_one_inspection_draw_with_results(city):
    draw = InspectionDraw.objects.get()
    selections = InspectionSelection.objects.filter(draw=draw)
    assert selections.count() > 0
    assert selections.exclude(result="pending").exists()
    assert draw.campaign.status == "drawn"


def test_a_second_run_is_refused_without_force(city):
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_city_data", *VOLUMES, stdout=StringIO())
    assert Enterprise.objects.count() == 2000


def test_force_adds_a_second_generation_beside_the_first(city):
    policies = Policy.objects.count()
    call_command(
        "generate_city_data", "--scale", "0.0002", "--enterprises", "0", "--force",
        "--as-of", AS_OF.isoformat(), stdout=StringIO(),
    )  # fmt: skip
    assert Policy.objects.count() == 2 * policies
    assert Policy.objects.filter(code__startswith="citydata-2-").count() == policies
    assert Enterprise.objects.count() == 2000  # --enterprises 0: the register is reused
    assert Claim.objects.filter(policy__code__startswith="citydata-2-").count() == 200
