"""Claims, their decisions, disbursements, budgets and the double-entry ledger."""

from datetime import date
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.evaluation import explain_recorded
from qinqing.i18n import pick
from qinqing.money import MoneyField
from qinqing.scoping import Reach
from qinqing.transitions import Transitions

from .events import claim_event, claim_events


class ClaimStatus(models.TextChoices):
    OFFERED = "offered", _("Offered: confirm to receive")
    SUBMITTED = "submitted", _("Submitted")
    CHECKING = "checking", _("Checking")
    AWAITING_DATA = "awaiting_data", _("Waiting for department data")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Not eligible")
    BUDGET_EXHAUSTED = "budget_exhausted", _("Budget exhausted")
    PAYING = "paying", _("Paying")
    PAID = "paid", _("Paid")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    # Eligible, but the policy's formula gives nothing (zero or less) for this enterprise:
    # nothing is sent to the treasury, and the claim ends here, never "paid".
    NOTHING_DUE = "nothing_due", _("Eligible, but the amount comes to nothing: no payment")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # Apply-mode policies: the check found the claim eligible; an official decides.
    IN_REVIEW = "in_review", _("Awaiting an official's review")
    REJECTED = "rejected", _("Rejected by an official")


S = ClaimStatus
# The only ways a claim's status may change (Claim.transitions checks every change).
TRANSITIONS: dict[str, set[str]] = {
    # A batch run found the enterprise eligible; "confirm" policies wait for its click.
    S.OFFERED: {S.ELIGIBLE, S.WITHDRAWN},
    S.SUBMITTED: {S.CHECKING, S.WITHDRAWN, S.ELIGIBLE},
    S.CHECKING: {
        S.AWAITING_DATA,
        S.ELIGIBLE,
        S.INELIGIBLE,
        S.SUBMITTED,
        S.IN_REVIEW,
        S.NOTHING_DUE,
    },
    S.IN_REVIEW: {S.ELIGIBLE, S.REJECTED, S.WITHDRAWN},
    S.AWAITING_DATA: {S.CHECKING, S.WITHDRAWN},
    S.ELIGIBLE: {S.PAYING, S.BUDGET_EXHAUSTED, S.NOTHING_DUE},
    # Paying → nothing due: a claim booked paying for nothing (a batch claim) is stopped
    # before the treasury hears of it.
    S.PAYING: {S.PAID, S.PAYMENT_FAILED, S.NOTHING_DUE},
    # Tried again with the same key (an official by hand, or the enterprise's new bank
    # account): subsidies/payments.py retry_payments().
    S.PAYMENT_FAILED: {S.PAYING},
    # Decided again when a fact it was decided on changes (a correction on a dispute, a
    # department's new answer) while its period is open: subsidies/reevaluation.py.
    S.INELIGIBLE: {S.CHECKING},
    S.BUDGET_EXHAUSTED: set(),
    S.PAID: set(),
    S.NOTHING_DUE: set(),
    S.WITHDRAWN: set(),
    S.REJECTED: set(),
}


class Claim(models.Model):
    # Partners hear of paid and ineligible claims (subsidies/events.py).
    transitions = Transitions(TRANSITIONS, action="claim", outbox=claim_event,
                              outbox_many=claim_events)  # fmt: skip
    # A person's claim (a version paying persons) is the person's: the employer's members
    # see it only as a line of the roster they confirm (subsidies.selectors.roster).
    reach = Reach(enterprise="enterprise", department="policy__department",
                  district="enterprise__district", person="person",
                  members_only=(("person__isnull", True),))  # fmt: skip

    # Checked per statement, not per row (qinqing/foreign_keys.py): a batch writes a
    # million claims naming the same few policies and versions.
    set_checked_keys = ("enterprise", "person", "policy", "version")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="claims",
        verbose_name=_("enterprise"), db_constraint=False,
    )  # fmt: skip
    # Set when the version pays persons: the employee paid; `enterprise` is then the
    # employer whose insurance qualified them.
    person = models.ForeignKey(
        "enterprises.Person", null=True, blank=True, on_delete=models.PROTECT,
        related_name="claims", verbose_name=_("person"), db_constraint=False,
    )  # fmt: skip
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, related_name="claims",
        verbose_name=_("policy"), db_constraint=False,
    )  # fmt: skip
    version = models.ForeignKey(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="claims",
        verbose_name=_("policy version"), db_constraint=False,
    )  # fmt: skip
    period = models.CharField(_("claim period"), max_length=20)
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED
    )
    amount = MoneyField(_("amount"), null=True, blank=True)
    decision = models.JSONField(_("decision"), null=True, blank=True)
    facts = models.JSONField(_("facts used"), null=True, blank=True)
    checks = models.PositiveIntegerField(_("checks made"), default=0)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True, db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("submitted by"),
    )  # fmt: skip
    origin = models.CharField(_("origin"), max_length=20, default="enterprise")
    # Apply-mode policies: who reviewed the claim, when, and the reason given for a refusal.
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("reviewed by"),
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A double click, two tabs, a retried call or a batch racing a person: one claim.
            models.UniqueConstraint(
                fields=["enterprise", "policy", "period"],
                name="one_claim_per_period",
                condition=Q(person__isnull=True),
            ),
            # A person insured by two enterprises in the period is still paid once.
            models.UniqueConstraint(
                fields=["person", "policy", "period"],
                name="one_person_claim_per_period",
                condition=Q(person__isnull=False),
            ),
        ]
        # No index holds `status`: a claim moving from paying to paid then stays on its
        # page (a HOT update, with the table's fillfactor: migration 0014) and writes no
        # entry in its dozen indexes. A run's progress reads its version's claims by the
        # version's own index.

    def __str__(self) -> str:
        return claim_label(self.policy.code, self.period, self.enterprise.uscc, self.person_id)

    @cached_property
    def explanation(self) -> list[dict]:
        """Each criterion's outcome, as the decision saw it. A check records them; a batch
        run records the enterprise's facts and the rules' date instead (a million
        explanations would outweigh the claims), and the same rules on the same facts
        give the same answer here."""
        decision = self.decision or {}
        if decision.get("criteria"):
            return decision["criteria"]
        values = (self.facts or {}).get("values")
        if decision.get("source") != "batch" or values is None or not decision.get("rules_on"):
            return []
        outcome = explain_recorded(self.version, values, date.fromisoformat(decision["rules_on"]))
        return [criterion.as_json() for criterion in outcome.criteria]

    @property
    def withdrawal_reason(self) -> str:
        """Why an offer was withdrawn (subsidies/offer_withdrawals.py keeps it in both
        languages), in the reader's language; "" for any other claim."""
        reason = (self.decision or {}).get("withdrawn") or {}
        return pick(reason.get("zh-hans", ""), reason.get("en", "")) if reason else ""

    @property
    def withheld(self) -> Decimal | None:
        """What was withheld from this claim's payment to settle money owed back (a recovery
        order offset, subsidies/deductions.py); None when nothing was."""
        disbursement = getattr(self, "disbursement", None)
        if disbursement is None or self.amount is None or disbursement.amount >= self.amount:
            return None
        return self.amount - disbursement.amount


def claim_label(policy_code: str, period: str, uscc: str, person_id: int | None = None) -> str:
    """A claim as the audit trail names it: policy, period and the payee (the enterprise's
    USCC; a person by the register's key, never a name or an identity number)."""
    payee = f"person:{person_id}" if person_id else uscc
    return f"{policy_code} {period} {payee}"


class Budget(models.Model):
    """A policy version's money account: `reserved` grows as claims are found eligible.
    What was paid is read from the ledger (its debits on this account), the one record of
    money moved, so paying never has to lock this row."""

    version = models.OneToOneField(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="budget_account",
        verbose_name=_("policy version"),
    )  # fmt: skip
    total = MoneyField(_("total"))
    reserved = MoneyField(_("reserved"), default=0)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.CheckConstraint(
                name="budget_never_overspent", condition=Q(reserved__lte=models.F("total"))
            ),
        ]

    def __str__(self) -> str:
        return str(self.version)

    @property
    def ledger_account(self) -> str:
        return budget_account(self.version.policy.code, self.version.number)

    @property
    def paid(self) -> Decimal:
        total = LedgerEntry.objects.filter(account=self.ledger_account).aggregate(
            paid=models.Sum("debit")
        )["paid"]
        return total or Decimal("0.00")


def budget_account(policy_code: str, version_number: int) -> str:
    return f"budget:{policy_code}:v{version_number}"


def enterprise_account(uscc: str) -> str:
    return f"enterprise:{uscc}"


def person_account(person_id: int) -> str:
    """A person's ledger account: by the register's key, never the identity number."""
    return f"person:{person_id}"


class DisbursementStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent; outcome not yet known")
    CONFIRMED = "confirmed", _("Confirmed by the treasury")
    FAILED = "failed", _("Refused by the treasury")


D = DisbursementStatus
DISBURSEMENT_TRANSITIONS: dict[str, set[str]] = {
    # Created pending, or already sent by the worker that pays at once.
    D.PENDING: {D.SENT, D.FAILED},
    # Sent again (a retry, the same key), back to pending when the treasury could not be
    # reached (nothing left), failed when it refused, confirmed when it paid.
    D.SENT: {D.SENT, D.PENDING, D.CONFIRMED, D.FAILED},
    D.CONFIRMED: set(),
    # A failed payment tried again keeps its row and its key (the attempt chain's one key:
    # the treasury pays a key once, so a late answer to an earlier attempt and the retry
    # can never both pay).
    D.FAILED: {D.PENDING},
}


class Disbursement(models.Model):
    transitions = Transitions(DISBURSEMENT_TRANSITIONS, action="disbursement",
                              audit_fields=("reference", "last_error"))  # fmt: skip
    # Money of the city's budgets: officials of the policy's department, auditors. Never
    # the enterprise's members (they see their claim and its payment reference).
    reach = Reach(department="claim__policy__department",
                  district="claim__enterprise__district")  # fmt: skip

    set_checked_keys = ("claim",)  # per statement (qinqing/foreign_keys.py)
    claim = models.OneToOneField(
        Claim,
        on_delete=models.PROTECT,
        related_name="disbursement",
        verbose_name=_("claim"),
        db_constraint=False,
    )
    # Deterministic: the same claim always pays with the same key, so a retry is harmless.
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    amount = MoneyField(_("amount"))
    bank_name = models.CharField(_("bank"), max_length=100)
    bank_account = models.CharField(_("bank account"), max_length=30)
    # Whom the payment file names: a person's masked name ("陈**"), never the identity
    # number; blank for an enterprise (its account is its name at the bank).
    payee = models.CharField(_("payee"), max_length=60, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=12, choices=DisbursementStatus.choices,
        default=DisbursementStatus.PENDING,
    )  # fmt: skip
    reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    audit_masked_fields = {"bank_account": 0}

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.idempotency_key


class LedgerEntry(models.Model):
    """Double entry: each movement is a debit and a credit of the same amount."""

    transaction = models.CharField(_("transaction"), max_length=80, db_index=True)
    account = models.CharField(_("account"), max_length=80, db_index=True)
    debit = MoneyField(_("debit"), default=0)
    credit = MoneyField(_("credit"), default=0)
    set_checked_keys = ("claim",)  # per statement (qinqing/foreign_keys.py)
    claim = models.ForeignKey(Claim, null=True, on_delete=models.PROTECT, related_name="+",
                              db_constraint=False)  # fmt: skip
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["transaction", "account"], name="one_leg_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction} {self.account}"


class BatchRun(models.Model):
    """ "Enjoy without applying": one run per published version, resumable, with progress."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Started again after a crash (running → running) or after its extracts arrived
    # (failed → running); done is final.
    transitions = Transitions(
        {Status.RUNNING: {Status.RUNNING, Status.DONE, Status.FAILED},
         Status.FAILED: {Status.RUNNING}, Status.DONE: set()},
        action="batch_run", audit_fields=("detail",),
    )  # fmt: skip
    reach = Reach(department="version__policy__department")

    version = models.OneToOneField(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="batch_run",
        verbose_name=_("policy version"),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    enterprises = models.PositiveIntegerField(_("enterprises evaluated"), default=0)
    qualified = models.PositiveIntegerField(_("qualified"), default=0)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The extracts the batch evaluation read: a batch claim's explanation is re-derived
    # from the same snapshot, so per-row explanations need not be stored a million times.
    extracts_as_of = models.DateTimeField(_("extracts as of"), null=True, blank=True)
    decided_at = models.DateTimeField(_("all decided"), null=True, blank=True)
    # False while a persons' run is still reading parts and queueing their chunks: the
    # counts above are not final yet, and the run is neither decided nor done.
    queued_all = models.BooleanField(_("every chunk queued"), default=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("batch run")
        verbose_name_plural = _("batch runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"batch {self.version}"


class ReconciliationRun(models.Model):
    """One comparison of disbursements, ledger and the treasury's records, kept so that
    officials and auditors can see when it ran, what it settled and any mismatch."""

    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    checked = models.PositiveIntegerField(_("disbursements checked"), default=0)
    settled = models.PositiveIntegerField(_("lost answers settled"), default=0)
    problems = models.JSONField(_("mismatches"), default=list, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("run by"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"reconciliation {self.started_at:%Y-%m-%d %H:%M}"


class Reevaluation(models.Model):
    """Facts about some enterprises or persons changed (datahub.signals.facts_changed):
    the record of the re-evaluation owed. Written by the receiver, so a broker outage
    delays the work and never loses it (subsidies/sweeps.py queues those not started)."""

    class Cause(models.TextChoices):
        EXTRACT = "extract", _("A department's bulk extract changed")
        ANSWER = "answer", _("A department's answer changed")
        CORRECTION = "correction", _("A fact was corrected")
        REGISTERED = "registered", _("A new enterprise or person was registered")
        CREDIT = "credit", _("A credit list changed")

    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    enterprise_ids = models.JSONField(_("enterprises"), default=list)
    facts = models.JSONField(_("facts changed"), default=list, blank=True)
    enterprises = models.PositiveIntegerField(_("enterprises changed"), default=0)
    # Private persons whose facts changed (issue #26): the open versions paying persons
    # are evaluated again for them (and for the persons insured by `enterprise_ids`).
    person_ids = models.JSONField(_("persons"), default=list, blank=True)
    persons = models.PositiveIntegerField(_("persons changed"), default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-evaluation")
        verbose_name_plural = _("re-evaluations")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"re-evaluation {self.pk} ({self.cause})"


class ReevaluationRun(models.Model):
    """One policy version re-evaluated for one change: the changed enterprises evaluated
    over the extracts, the newly qualifying decided and paid in chunks, the offers that no
    longer hold withdrawn. `waiting`: the version's publish-time batch run was still
    paying; it runs when that run is done."""

    reach = Reach(department="version__policy__department")

    reevaluation = models.ForeignKey(Reevaluation, on_delete=models.CASCADE, related_name="runs",
                                     verbose_name=_("re-evaluation"))  # fmt: skip
    version = models.ForeignKey(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="reevaluation_runs",
        verbose_name=_("policy version"),
    )  # fmt: skip
    waiting = models.BooleanField(_("waiting for the batch run"), default=False)
    evaluated = models.PositiveIntegerField(_("enterprises evaluated"), default=0)
    qualified = models.PositiveIntegerField(_("newly qualifying"), default=0)
    withdrawn = models.PositiveIntegerField(_("offers withdrawn"), default=0)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    evaluated_at = models.DateTimeField(_("evaluated"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("re-evaluation run")
        verbose_name_plural = _("re-evaluation runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reevaluation", "version"],
                                    name="one_run_per_reevaluation_version"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"re-evaluation {self.reevaluation_id} of {self.version_id}"


class BatchChunk(models.Model):
    """One chunk of a batch run, or of a re-evaluation's run (the one chunk mechanism of
    subsidies/batch.py), recorded in the transaction that made its claims: a chunk
    delivered twice finds its row and does nothing, and a run's live progress (decided,
    paid, failed) is the sum over a few hundred rows instead of a count over its claims.
    Exactly one of `run` and `reevaluation_run` is set."""

    run = models.ForeignKey(BatchRun, null=True, blank=True, on_delete=models.CASCADE,
                            related_name="chunk_rows")  # fmt: skip
    reevaluation_run = models.ForeignKey(
        ReevaluationRun, null=True, blank=True, on_delete=models.CASCADE,
        related_name="chunk_rows",
    )  # fmt: skip
    number = models.PositiveIntegerField()
    made = models.PositiveIntegerField(default=0)  # claims created (the rest had one already)
    offered = models.PositiveIntegerField(default=0)
    paying = models.PositiveIntegerField(default=0)
    exhausted = models.PositiveIntegerField(default=0)
    paid = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="one_row_per_batch_chunk"),
            models.UniqueConstraint(fields=["reevaluation_run", "number"],
                                    name="one_row_per_reevaluation_chunk"),
            models.CheckConstraint(
                condition=models.Q(run__isnull=False, reevaluation_run__isnull=True)
                | models.Q(run__isnull=True, reevaluation_run__isnull=False),
                name="batch_chunk_of_one_run",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.run or self.reevaluation_run} #{self.number}"
