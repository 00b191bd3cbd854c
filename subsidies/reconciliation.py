"""Reconciliation: payments whose answer was lost are settled by asking the treasury about
their keys, and the disbursements, the ledger and the treasury's records are compared.
Every run is stored (started first, so a run that dies midway shows as unfinished)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from qinqing.audit.services import record_event
from qinqing.iterables import chunked
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message
from subsidies.notification_kinds import NotificationKind

from .deductions import RECONCILERS
from .gateway import gateway
from .models import Disbursement, DisbursementStatus, LedgerEntry, ReconciliationRun
from .payments import confirm_many

RECONCILE_SLICE = 5000


def reconcile(*, triggered_by: Any = None) -> ReconciliationRun:
    """Settle payments whose answer was lost, and report any mismatch between the
    disbursements, the ledger and the treasury's records."""
    run = ReconciliationRun.objects.create(
        triggered_by=triggered_by if getattr(triggered_by, "is_authenticated", False) else None
    )
    problems: list[str] = []
    checked: set[int] = set()
    settled = 0
    extra_checked = 0
    treasury = gateway()
    sent = (Disbursement.objects.filter(status=DisbursementStatus.SENT).order_by("pk")
            .values_list("pk", "idempotency_key"))  # fmt: skip
    for rows in chunked(sent.iterator(chunk_size=RECONCILE_SLICE), RECONCILE_SLICE):
        checked.update(pk for pk, _key in rows)
        answers = treasury.status_many([key for _pk, key in rows])
        settled += len(confirm_many({pk: answers[key].reference for pk, key in rows
                                     if answers[key].status == "confirmed"}))  # fmt: skip
    confirmed = (Disbursement.objects.filter(status=DisbursementStatus.CONFIRMED)
                 .order_by("pk").values_list("pk", "idempotency_key", "amount"))  # fmt: skip
    # A batch run leaves hundreds of thousands of payments: compare them a slice at a
    # time, with one grouped ledger query and one treasury question per slice.
    for rows in chunked(confirmed.iterator(chunk_size=RECONCILE_SLICE), RECONCILE_SLICE):
        keys = [key for _pk, key, _amount in rows]
        legs = {row["transaction"]: (row["debit"], row["credit"]) for row in
                LedgerEntry.objects.filter(transaction__in=keys).values("transaction")
                .annotate(debit=Sum("debit"), credit=Sum("credit"))}  # fmt: skip
        books = treasury.status_many(keys)
        for pk, key, amount in rows:
            checked.add(pk)
            debit, credit = legs.get(key, (Decimal(0), Decimal(0)))
            if not (debit == credit == amount):
                problems.append(f"{key}: ledger {debit}/{credit} ≠ paid {amount}")
            if books[key].status != "confirmed":
                problems.append(f"{key}: not in the treasury's records")
    # Money coming back (recovery's offsets and repayments), compared by the apps that
    # book it (subsidies/deductions.py RECONCILERS).
    for _name, reconciler in RECONCILERS.items():
        findings = reconciler(treasury)
        extra_checked += findings.checked
        settled += findings.settled
        problems.extend(findings.problems)
    run.finished_at = timezone.now()
    run.checked = len(checked) + extra_checked
    run.settled = settled
    run.problems = problems
    run.save(update_fields=["finished_at", "checked", "settled", "problems"])
    record_event(actor=triggered_by, action="reconciliation.run", obj=run,
                 after={"checked": run.checked, "settled": settled,
                        "problems": len(problems)})  # fmt: skip
    if problems:
        _notify_mismatches(run)
    return run


def _notify_mismatches(run: ReconciliationRun) -> None:
    """Auditors hear of every run that found a mismatch (officials see it on the report)."""
    auditors = User.objects.filter(role=Role.AUDITOR, is_active=True)
    count = len(run.problems)
    notify(
        auditors, NotificationKind.RECONCILIATION_MISMATCH,
        Message(gettext_lazy("Payment reconciliation found {count} mismatch(es)"), count=count),
        Message(gettext_lazy("The reconciliation of {started} found disbursements, ledger and "
                             "treasury records that do not agree. The report lists each one."),
                started=f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M}"),
        "/claims/reconciliation/",
    )  # fmt: skip
