"""Submission and four-eyes publication: submit, send back, what blocks publication,
approve, publish now or when scheduled, withdraw, and a new version from the latest.

Every status change goes through `qinqing.transitions.move` (the table is
`PolicyVersion.transitions`): row locked, allowed transition checked, audit event written,
one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from datahub.extracts.reading import SnapshotMissing
from qinqing.audit.services import record_event
from qinqing.errors import NotAllowed, Refused
from qinqing.transitions import move

from ..models import Beneficiary, Policy, PolicyVersion, VersionStatus
from ..signals import version_published
from .drafts import DRAFT_FIELDS, create_draft, require_department_official
from .nothing_due import nothing_due_problems
from .test_cases import run_test_cases
from .what_if import what_if


class PublicationBlocked(Refused):
    """Publication refused: the reasons are for the officials to fix (each one shown)."""

    code = "publication_blocked"

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons), fields={"publication": reasons})


def _reason_missing(message: str) -> Refused:
    return Refused(message, fields={"reason": [message]})


def _move(version: PolicyVersion, to: str, actor: User | None, **changes: Any) -> PolicyVersion:
    """Lock the version, then the one transition mechanism (audit `policy_version.<to>`)."""
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    return move(locked, to, actor=actor, **changes)


@transaction.atomic
def submit_for_approval(version: PolicyVersion, *, actor: User) -> PolicyVersion:
    require_department_official(actor, version.policy)
    return _move(version, VersionStatus.AWAITING_APPROVAL, actor, submitted_by=actor,
                 submitted_at=timezone.now())  # fmt: skip


@transaction.atomic
def send_back(version: PolicyVersion, *, actor: User, reason: str) -> PolicyVersion:
    require_department_official(actor, version.policy)
    if not reason.strip():
        raise _reason_missing(_("Say why the version goes back to its author."))
    moved = _move(version, VersionStatus.DRAFT, actor, submitted_by=None, submitted_at=None)
    record_event(actor=actor, action="policy_version.sent_back", obj=moved,
                 after={"reason": reason.strip()[:500]})  # fmt: skip
    return moved


def publication_problems(version: PolicyVersion) -> list[str]:
    problems = [
        f"test case “{result.case.name}” fails: {'; '.join(result.problems)}"
        for result in run_test_cases(version) if not result.passed
    ]  # fmt: skip
    if not version.test_cases.exists():
        problems.append(_("No test cases: add some, or generate the boundary cases."))
    problems += nothing_due_problems(version)
    try:
        forecast = what_if(version)
    except SnapshotMissing as error:
        problems.append(_("The cost cannot be forecast: %(why)s. Refresh the extracts first.")
                        % {"why": error})  # fmt: skip
    else:
        if not forecast.within_budget:
            problems.append(_("The forecast cost %(cost)s exceeds the budget %(budget)s.")
                            % {"cost": forecast.total_cost, "budget": forecast.budget})  # fmt: skip
        if forecast.nothing_due and version.beneficiary == Beneficiary.PERSON:
            problems.append(
                _("The forecast finds %(count)d eligible persons to whom the formula gives "
                  "nothing (¥0.00 or less).") % {"count": forecast.nothing_due}
            )  # fmt: skip
        elif forecast.nothing_due:
            problems.append(
                _("The forecast finds %(count)d eligible enterprises to whom the formula gives "
                  "nothing (¥0.00 or less).") % {"count": forecast.nothing_due}
            )  # fmt: skip
    return problems


@transaction.atomic
def approve(version: PolicyVersion, *, actor: User, publish_at: datetime | None = None):
    """A second official of the department approves; tests and budget must pass."""
    require_department_official(actor, version.policy)
    # Lock the policy first: two approvals of the same policy must not race to publish.
    Policy.objects.select_for_update().get(pk=version.policy_id)
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if (
        actor.pk in (locked.submitted_by_id, locked.drafted_by_id)
        or locked.contributors.filter(pk=actor.pk).exists()
    ):
        raise NotAllowed(
            _("Four eyes: nobody who drafted, edited or submitted a version may approve it.")
        )
    problems = publication_problems(locked)
    if problems:
        raise PublicationBlocked(problems)
    if publish_at is None and locked.valid_from > timezone.localdate():
        # Publishing next year's version now would end this year's: it waits for its start.
        publish_at = timezone.make_aware(datetime.combine(locked.valid_from, datetime.min.time()))
    if publish_at is not None and publish_at > timezone.now():
        return _move(locked, VersionStatus.SCHEDULED, actor, approved_by=actor,
                     publish_at=publish_at)  # fmt: skip
    return _publish(locked, actor, approved_by=actor)


def _publish(version: PolicyVersion, actor: User | None, **changes: Any) -> PolicyVersion:
    for current in PolicyVersion.objects.select_for_update().filter(
        policy=version.policy, status=VersionStatus.PUBLISHED
    ):
        _move(current, VersionStatus.SUPERSEDED, actor)
    published = _move(version, VersionStatus.PUBLISHED, actor, published_at=timezone.now(),
                      **changes)  # fmt: skip
    # "Enjoy without applying" starts from here, in the subsidies app, once this commits.
    # Robust: the version stays published whatever a receiver meets. With the broker down
    # the batch job is not queued; Django logs the failure (a known gap: no sweep yet).
    transaction.on_commit(
        lambda: version_published.send(sender=PolicyVersion, version=published), robust=True
    )
    return published


@transaction.atomic
def withdraw(version: PolicyVersion, *, actor: User, reason: str) -> PolicyVersion:
    require_department_official(actor, version.policy)
    if not reason.strip():
        raise _reason_missing(_("Say why the policy is withdrawn."))
    moved = _move(version, VersionStatus.WITHDRAWN, actor)
    record_event(actor=actor, action="policy_version.withdraw_reason", obj=moved,
                 after={"reason": reason.strip()[:500]})  # fmt: skip
    return moved


def publish_due(now: datetime | None = None) -> list[PolicyVersion]:
    """Beat: publish the scheduled versions whose time has come (idempotent)."""
    now = now or timezone.now()
    published = []
    for version_id in PolicyVersion.objects.filter(
        status=VersionStatus.SCHEDULED, publish_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            version = PolicyVersion.objects.select_for_update().get(pk=version_id)
            if version.status == VersionStatus.SCHEDULED:
                published.append(_publish(version, None))
    return published


@transaction.atomic
def start_new_version(policy: Policy, *, actor: User) -> PolicyVersion:
    """A new draft, copied from the latest version (a change is always a new version)."""
    require_department_official(actor, policy)
    latest = policy.versions.order_by("-number").first()
    if latest is not None and latest.status == VersionStatus.DRAFT:
        return latest
    if latest is None:
        raise Refused(_("This policy has no version to start from yet."))
    return create_draft(policy=policy, actor=actor,
                        **{name: getattr(latest, name) for name in DRAFT_FIELDS})  # fmt: skip
