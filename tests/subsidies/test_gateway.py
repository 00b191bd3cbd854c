"""The payment gateway is chosen by name from a registry (subsidies.gateway.GATEWAYS): the
domain's HTTP adapter, the sandbox's simulated treasury. A name nothing answers to is a
configuration mistake that must never lose a claim or pay one twice: the claim waits in
"paying" with the reason, and is paid once a gateway is there."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sandbox.treasury.models import TreasuryRecord
from sandbox.treasury.simulation import SimulatedTreasury
from subsidies.claims import submit_claim
from subsidies.gateway import GATEWAYS, GatewayNotConfigured, HttpTreasury, gateway
from subsidies.models import ClaimStatus, Disbursement, LedgerEntry
from subsidies.payments import resume_stalled_payments
from tests.conftest import ROOT
from tests.factories import EnterpriseFactory, member_of

from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_transport_is_a_registered_gateway(settings):
    settings.TREASURY_TRANSPORT = "inprocess"
    assert isinstance(gateway(), SimulatedTreasury)  # registered by the sandbox
    settings.TREASURY_TRANSPORT = "http"
    assert isinstance(gateway(), HttpTreasury)  # the domain's production adapter
    assert gateway() is gateway()  # one HTTP client, its connections reused
    assert {"http", "inprocess"} <= set(GATEWAYS)


def test_a_city_registers_its_own_treasury_without_touching_the_domain(settings):
    class CityBank(SimulatedTreasury):
        transport = "citybank"

    GATEWAYS.register("citybank", CityBank)
    try:
        settings.TREASURY_TRANSPORT = "citybank"
        assert gateway().transport == "citybank"
    finally:
        GATEWAYS.unregister("citybank")


def test_without_a_gateway_a_claim_waits_in_paying_and_is_paid_once_later(policy, settings):  # noqa: F811
    settings.TREASURY_TRANSPORT = "nowhere"
    with pytest.raises(GatewayNotConfigured, match="payment gateway not configured"):
        gateway()
    enterprise = EnterpriseFactory()
    claim, _ = submit_claim(enterprise=enterprise, policy=policy, actor=member_of(enterprise))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAYING  # neither lost nor failed
    disbursement = Disbursement.objects.get(claim=claim)
    assert "payment gateway not configured" in disbursement.last_error
    assert disbursement.status == "pending"  # nothing was sent
    assert not TreasuryRecord.objects.exists()

    settings.TREASURY_TRANSPORT = "inprocess"
    assert resume_stalled_payments(now=timezone.now() + timedelta(minutes=6)) == [claim.pk]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert TreasuryRecord.objects.count() == 1 and LedgerEntry.objects.count() == 2


def test_without_the_sandbox_the_domain_runs_and_no_gateway_is_configured():
    """Production settings, sandbox off: Django starts, nothing of sandbox/ is imported,
    there is no /mock/ endpoint, and asking for the gateway says why there is none."""
    script = (
        "import sys, django; django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "from subsidies.gateway import GATEWAYS, GatewayNotConfigured, gateway\n"
        "import subsidies.payments, subsidies.tasks, integrations.dispatching\n"
        "import integrations.delivering, integrations.signing, integrations.subscribing\n"
        "assert not [m for m in sys.modules if m.startswith('sandbox')], 'sandbox imported'\n"
        "assert list(GATEWAYS) == ['http'], list(GATEWAYS)\n"
        "for url in ('/mock/treasury/payments/', '/mock/partner/webhooks/'):\n"
        "    try:\n"
        "        resolve(url)\n"
        "        raise AssertionError(url + ' is served')\n"
        "    except Resolver404:\n"
        "        pass\n"
        "try:\n"
        "    gateway()\n"
        "except GatewayNotConfigured as error:\n"
        "    print(error)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="qinqing.settings", QINQING_SANDBOX="false",
               DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="x")  # fmt: skip
    env.pop("TREASURY_TRANSPORT", None)
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "payment gateway not configured" in run.stdout


@pytest.mark.long
def test_the_treasury_books_move_to_the_sandbox_with_their_rows():
    """subsidies 0007 and sandbox_treasury 0001 move the model by state only: a payment
    booked before the move is still in the books after it, in the same table."""
    before = [("subsidies", "0006_idempotent_requests_moved"), ("sandbox_treasury", None)]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor.loader.build_graph()
    old = executor.loader.project_state(before[:1]).apps.get_model("subsidies", "TreasuryRecord")
    old.objects.create(key="paid-before-the-move", amount="12.34", account="6222", reference="R1")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to every app's latest
    record = TreasuryRecord.objects.get(key="paid-before-the-move")
    assert (str(record.amount), record.reference) == ("12.34", "R1")
    assert TreasuryRecord._meta.db_table == old._meta.db_table == "subsidies_treasuryrecord"


def test_the_simulated_treasury_pays_a_key_once_when_another_file_booked_it_meanwhile(
    settings, monkeypatch
):
    """A file whose key another file booked between the read of the books and the write
    (two workers paying the same claim at once): the key keeps its first record and
    reference, the rest of the file is booked, and an order for another amount under a
    booked key is refused."""
    from decimal import Decimal

    from subsidies.gateway import PaymentOrder

    settings.TREASURY_SIMULATION = {"latency_ms": 0}
    TreasuryRecord.objects.create(key="k-booked", amount=Decimal("10.00"), account="6222",
                                  reference="HZTFIRST")  # fmt: skip
    treasury = SimulatedTreasury()
    read = SimulatedTreasury._books_of
    calls = []

    def not_yet_booked(keys):  # the first read misses what the other file is booking
        calls.append(keys)
        return {} if len(calls) == 1 else read(keys)

    monkeypatch.setattr(SimulatedTreasury, "_books_of", staticmethod(not_yet_booked))
    orders = [PaymentOrder("k-booked", Decimal("10.00"), "6222"),
              PaymentOrder("k-new", Decimal("20.00"), "6223"),
              PaymentOrder("k-other-amount", Decimal("5.00"), "6224")]  # fmt: skip
    TreasuryRecord.objects.create(key="k-other-amount", amount=Decimal("7.00"), account="6224",
                                  reference="HZTOTHER")  # fmt: skip
    answers = {answer.key: answer for answer in treasury.pay_many(orders)}
    assert len(calls) == 2  # the write met the booked keys: booked again, skipping them
    assert (answers["k-booked"].status, answers["k-booked"].reference) == ("confirmed", "HZTFIRST")
    assert answers["k-new"].status == "confirmed" and answers["k-new"].reference
    assert answers["k-other-amount"].status == "refused"
    assert (
        TreasuryRecord.objects.filter(key__in=["k-booked", "k-new", "k-other-amount"]).count() == 3
    )
