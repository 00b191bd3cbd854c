"""The tallies kept current by recorded changes (dashboards.deltas, PostgreSQL) equal a
full rebuild after the city changes: claims moving state, new claims, deleted ones,
payments confirmed and corrected, an enterprise moving district, data calls and
commitments (the small city is in conftest.py)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from credit.commitments.models import Commitment, CommitmentStatus
from dashboards import deltas
from dashboards.models import Change, Refresh, Tally
from dashboards.refresh import differences, keep_current, refresh_all, refresh_changes
from datahub.models import DataCall
from enterprises.models import Enterprise
from subsidies.models import Claim, Disbursement
from tests.factories import EnterpriseFactory, department, district

from .conftest import at, paid_claim

postgres = pytest.mark.postgres


def tallies() -> list[tuple]:
    """Every tally row, as values (ids differ between a kept table and a rebuilt one)."""
    return sorted(Tally.objects.values_list(*deltas.KEY, "n", "amount"), key=lambda row: repr(row))


def change_the_city(city) -> None:
    """What a day brings, written the way batch runs and services write: set-based."""
    e1, e2, e3, p1, p2 = (city[name] for name in ("e1", "e2", "e3", "p1", "p2"))
    # A batch decides claims: awaiting data → eligible → paying, in set-based UPDATEs.
    Claim.objects.filter(status="awaiting_data").update(status="eligible")
    Claim.objects.filter(status="eligible").update(status="paying")
    # New claims, one batch-inserted, one paid at once.
    e4 = EnterpriseFactory(district=district("binjiang"), industry_section="I")
    Claim.objects.bulk_create(
        [
            Claim(enterprise=e4, policy=p1, version=p1.versions.get(), period="2026"),
            Claim(enterprise=e4, policy=p2, version=p2.versions.get(), period="2026"),
        ]
    )
    e5 = EnterpriseFactory(district=district("xihu"), industry_section="C")
    paid_claim(e5, p2, "75.25", at(date(2026, 11, 20)), 7)
    # The paying claim is paid: its disbursement confirmed by the treasury.
    paying = Claim.objects.get(status="paying")
    Disbursement.objects.create(
        claim=paying, idempotency_key=f"qinqing-claim-{paying.pk}", amount=Decimal("640.00"),
        bank_name="杭州银行", bank_account="6222020200112233445", status="sent",
    )  # fmt: skip
    Disbursement.objects.filter(claim=paying).update(
        status="confirmed", confirmed_at=at(date(2026, 11, 21), 9)
    )
    Claim.objects.filter(pk=paying.pk).update(status="paid")
    # A payment corrected, and a claim's time corrected (claim to cash moves bucket).
    Disbursement.objects.filter(claim__enterprise=e3).update(amount=Decimal("499.50"))
    Claim.objects.filter(enterprise=e1, policy=p2).update(created_at=at(date(2026, 11, 1)))
    # A claim withdrawn and deleted; an ineligible one too.
    Claim.objects.filter(enterprise=e4, policy=p1).delete()
    Claim.objects.filter(status="ineligible").delete()
    # An enterprise moves from Xihu to Binjiang and changes industry: its claims, payments,
    # data calls and commitments move with it.
    Enterprise.objects.filter(pk=e2.pk).update(district=district("binjiang"), industry_section="I")
    # Data calls: new ones, one outcome corrected, one deleted; commitments move on.
    taxation = department("taxation")
    DataCall.objects.bulk_create(
        [
            DataCall(
                department=taxation,
                interface="x",
                enterprise=enterprise,
                purpose="t",
                transport="inprocess",
                started_at=at(date(2026, 11, 6)),
                latency_ms=ms,
                outcome=outcome,
            )
            for enterprise, ms, outcome in ((e1, 12, "ok"), (e4, 900, "error"), (None, 5, "ok"))
        ]
    )
    DataCall.objects.filter(outcome="timeout").update(outcome="ok", latency_ms=40)
    DataCall.objects.filter(latency_ms=50).delete()
    Commitment.objects.filter(status=CommitmentStatus.MADE).update(
        status=CommitmentStatus.FULFILLED
    )
    # Columns no tally reads: recorded as nothing.
    Claim.objects.update(checks=7, next_check_at=at(date(2026, 11, 22)))


@postgres
def test_changes_applied_equal_a_full_rebuild(small_city):
    refresh_all()
    assert not Change.objects.exists()
    change_the_city(small_city)
    assert Change.objects.exists()
    assert refresh_changes() is not None
    assert not Change.objects.exists()
    kept = tallies()
    assert differences() == []
    refresh_all()
    assert kept == tallies()


@postgres
def test_the_figures_move_as_the_claims_do(small_city):
    """Not only equal to a rebuild: the rows a change touches hold the new counts."""
    refresh_all()
    p1 = small_city["p1"]
    xihu = district("xihu").pk

    def paid_in_xihu_p1() -> int:
        row = Tally.objects.filter(
            subject="claims", grain="di", policy_id=p1.pk, district_id=xihu, key="paid"
        ).values_list("n", flat=True)
        return sum(row)

    assert paid_in_xihu_p1() == 2
    Claim.objects.filter(policy=p1, enterprise__district_id=xihu, status="paid").update(
        status="payment_failed"
    )
    refresh_changes(clocked=())
    assert paid_in_xihu_p1() == 0  # the emptied rows are gone, as a rebuild has none
    assert not Tally.objects.filter(subject="claims", n=0).exists()
    failed = Tally.objects.filter(
        subject="claims", grain="", policy_id=p1.pk, key="payment_failed"
    ).values_list("n", flat=True)
    assert sorted(failed) == [1, 1]  # October's and November's, city-wide


@postgres
def test_an_update_that_no_tally_reads_records_nothing(small_city):
    assert Change.objects.exists()  # the small city's own rows, recorded as written
    refresh_all()  # which counts them and empties the log
    assert not Change.objects.exists()
    Claim.objects.update(checks=3, review_note="seen")
    Enterprise.objects.update(name="x")
    assert not Change.objects.exists()


@postgres
def test_the_check_finds_a_tally_that_drifted(small_city):
    """differences() can fail: a kept row off by one is reported, on both sides."""
    refresh_all()
    row = Tally.objects.filter(subject="claims", grain="di").first()
    Tally.objects.filter(pk=row.pk).update(n=row.n + 1)
    found = differences()
    assert {side for side, *_rest in found} == {"kept", "rebuilt"}
    assert differences(("payments",)) == []


@postgres
def test_beat_brings_them_current_and_rebuilds_in_full_when_due(small_city):
    assert keep_current() is not None  # no full rebuild yet: one now
    assert Refresh.objects.latest().kind == Refresh.Kind.FULL
    Claim.objects.filter(status="awaiting_data").update(status="eligible")
    assert keep_current() is not None
    assert Refresh.objects.latest().kind == Refresh.Kind.CHANGES
    Refresh.objects.update(finished_at=at(date(2026, 1, 1)) - timedelta(days=1))
    assert keep_current() is not None
    assert Refresh.objects.filter(kind=Refresh.Kind.FULL).count() == 2


def test_elsewhere_beat_rebuilds_in_full(small_city):
    """SQLite (the embedded default) has no triggers: every tick is a full rebuild, and the
    figures still follow the claims."""
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite path")
    refresh_all()
    Claim.objects.filter(status="awaiting_data").update(status="eligible")
    assert keep_current() is not None
    assert Refresh.objects.latest().kind == Refresh.Kind.FULL
    assert Tally.objects.filter(subject="claims", key="eligible", grain="").get().n == 1
    assert not Change.objects.exists()


def kept_equals_rebuilt() -> list[tuple]:
    """The changes applied, checked against a rebuild and compared row by row with one."""
    assert refresh_changes(clocked=()) is not None
    kept = tallies()
    assert differences() == []
    refresh_all()
    assert kept == tallies()
    return kept


@postgres
def test_a_claims_time_moves_claim_to_cash_and_leaves_the_payments(small_city):
    """Payments and claim to cash share one source (the confirmed disbursements with their
    claim, policy and enterprise), joined once: a claim's creation time, read by claim to
    cash only, moves that subject's bucket, and the payments' -1 and +1 cancel."""
    refresh_all()
    before = {row for row in tallies() if row[0] == "payments"}
    e2, p2 = small_city["e2"], small_city["p2"]  # created 11-13, paid 60 s later
    Claim.objects.filter(enterprise=e2, policy=p2).update(created_at=at(date(2026, 11, 1)))
    # The same month for the claims by state: only claim to cash has a change to record.
    assert set(Change.objects.values_list("subject", flat=True)) == {"claim_to_cash"}
    kept = kept_equals_rebuilt()
    assert {row for row in kept if row[0] == "payments"} == before


@postgres
def test_a_payments_amount_moves_the_payments_and_leaves_claim_to_cash(small_city):
    """The other way round: an amount, read by the payments only."""
    refresh_all()
    before = {row for row in tallies() if row[0] == "claim_to_cash"}
    Disbursement.objects.filter(claim__enterprise=small_city["e3"]).update(amount=Decimal("499.50"))
    assert set(Change.objects.values_list("subject", flat=True)) == {"payments"}
    kept = kept_equals_rebuilt()
    assert {row for row in kept if row[0] == "claim_to_cash"} == before
    assert sum(row[-1] for row in kept if row[0] == "payments" and row[1] == "") == (
        Decimal("3949.50")  # 1,000 + 2,000 + 499.50 + 300 + 150, city-wide
    )


@postgres
def test_the_disbursements_trigger_joins_their_claims_once_per_image(small_city):
    """Payments and claim to cash read one CTE per image of the statement: the claims are
    joined once for the old rows and once for the new ones, not once per subject."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE t.tgrelid = 'subsidies_disbursement'::regclass"
            " AND t.tgname = 'dashboards_delta_update'"
        )
        (body,) = cursor.fetchone()
    update = body[body.index("IF TG_OP = 'UPDATE'") : body.index("IF TG_OP = 'DELETE'")]
    images = update.count("FROM dashboards_old s JOIN") + update.count("FROM dashboards_new s JOIN")
    assert images == update.count(" AS MATERIALIZED (") == 2
    assert update.count('JOIN "subsidies_claim" ON') == images
    assert update.count("'payments'") == update.count("'claim_to_cash'") == images
    # And the whole function (an INSERT's new rows, an UPDATE's two images, a DELETE's old).
    assert body.count('JOIN "subsidies_claim" ON') == body.count(" AS MATERIALIZED (") == 4
