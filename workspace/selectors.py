"""What the signed-in person has to do, across the apps, each thing with its deadline and
one button: read through the apps' own selectors (so scoped by qinqing.scoping.visible_to),
never their tables.

One shape, `Todo`, and one list of sources per side: `enterprise_todo(user)` runs the
enterprise's sources (offers, claims under way, supplements asked for, commitments to be
verified, answers to rate, records that can be repaired); the officials' work queue is
another list of sources (`official_queue(user)`) returning the same shape."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from approvals.models import ItemStatus
from approvals.selectors import items_for
from credit.commitments.models import CommitmentStatus
from credit.commitments.selectors import commitments_visible_to
from credit.repair.selectors import repairable_records
from directline.models import RequestStatus
from directline.selectors import requests_for
from qinqing.scoping import is_active_user
from qinqing.workhours.case_services import read_clock
from subsidies.models import ClaimStatus
from subsidies.selectors import claims_visible_to

Text = str | Promise
DUE = _("Due")


@dataclass(frozen=True)
class Todo:
    """One thing to do: what it is about, what is asked, one button, and by when.

    `due`: the deadline, when the thing has one (an instant, or the last day), and what it
    is (`due_label`: accept by, verified by, in effect until); `working_left`:
    office seconds left on its working-hours clock (qinqing.workhours), when it runs on
    one; `post`: the button acts at once (a form posting to `url`) rather than opening a page.
    """

    kind: str
    subject: Text
    asked: Text
    action: Text
    url: str
    enterprise: str = ""
    post: bool = False
    due: datetime | date | None = None
    due_label: Text = DUE
    working_left: int | None = None
    amount: Decimal | None = None

    @property
    def due_has_time(self) -> bool:
        return isinstance(self.due, datetime)

    @property
    def due_at(self) -> datetime | None:
        """The deadline as an instant (a day ends at midnight, local time), for sorting."""
        if self.due is None or isinstance(self.due, datetime):
            return self.due
        return timezone.make_aware(datetime.combine(self.due, time.max))


Source = Callable[[Any, datetime], Iterable[Todo]]

# A claim the enterprise is waiting on: checked, reviewed or paid by others.
CLAIMS_UNDER_WAY = (ClaimStatus.SUBMITTED, ClaimStatus.CHECKING, ClaimStatus.AWAITING_DATA,
                    ClaimStatus.IN_REVIEW, ClaimStatus.ELIGIBLE, ClaimStatus.PAYING,
                    ClaimStatus.PAYMENT_FAILED)  # fmt: skip


def offers(user: Any, now: datetime) -> Iterable[Todo]:
    """Money found by a batch run, waiting for one click; claims close with the version."""
    for claim in claims_visible_to(user).filter(status=ClaimStatus.OFFERED).order_by("pk"):
        yield Todo(
            kind="offer", subject=claim.policy.title, enterprise=claim.enterprise.name,
            asked=_("Your enterprise qualifies. Accept to receive it; nothing else is needed."),
            action=_("Accept"), url=reverse("subsidies:confirm", args=[claim.pk]), post=True,
            due=claim.version.valid_until, due_label=_("Accept by"), amount=claim.amount,
        )  # fmt: skip


def claims_under_way(user: Any, now: datetime) -> Iterable[Todo]:
    """Claims being checked, waiting for department data, reviewed or paid."""
    claims = claims_visible_to(user).filter(status__in=CLAIMS_UNDER_WAY).order_by("pk")
    for claim in claims:
        failed = claim.status == ClaimStatus.PAYMENT_FAILED
        yield Todo(
            kind="claim", subject=claim.policy.title, enterprise=claim.enterprise.name,
            asked=(_("The payment did not go through: check your bank details.") if failed
                   else claim.get_status_display()),
            action=_("See the claim"), url=reverse("subsidies:claim", args=[claim.pk]),
            amount=claim.amount,
        )  # fmt: skip


def supplements(user: Any, now: datetime) -> Iterable[Todo]:
    """Approval items a department paused to ask for more: its clock waits for the answer."""
    items = (items_for(user).filter(status=ItemStatus.SUPPLEMENT)
             .select_related("application__enterprise").prefetch_related("pauses")
             .order_by("pk"))  # fmt: skip
    for item in items:
        application = item.application
        yield Todo(
            kind="supplement", subject=item.item_type,
            enterprise=application.enterprise.name if application.enterprise else "",
            asked=_("%(department)s asks for a supplement to application %(reference)s.")
            % {"department": item.department.name, "reference": application.reference},
            action=_("Send the supplement"),
            url=reverse("approvals:tracker", args=[application.pk]),
            working_left=read_clock(item, now).remaining_seconds,
        )  # fmt: skip


def commitments(user: Any, now: datetime) -> Iterable[Todo]:
    """Commitments made and not yet verified: what will be checked, and by when."""
    pending = (commitments_visible_to(user)
               .filter(status__in=(CommitmentStatus.MADE, CommitmentStatus.VERIFYING))
               .order_by("verify_by", "pk"))  # fmt: skip
    for commitment in pending:
        yield Todo(
            kind="commitment", subject=commitment.notice.display_title,
            enterprise=commitment.enterprise.name,
            asked=_("%(department)s verifies: %(what)s")
            % {"department": commitment.department.name, "what": commitment.verify_what},
            action=_("See the commitment"),
            url=reverse("credit:commitment", args=[commitment.pk]), due=commitment.verify_by,
            due_label=_("Verified by"),
        )  # fmt: skip


def requests_waiting(user: Any, now: datetime) -> Iterable[Todo]:
    """Direct-line requests waiting for the enterprise: an answer to rate, or information
    the department asked for (its clock waits meanwhile)."""
    waiting = (requests_for(user)
               .filter(status__in=(RequestStatus.ANSWERED, RequestStatus.INFO_REQUESTED))
               .prefetch_related("pauses").order_by("pk"))  # fmt: skip
    for request in waiting:
        answered = request.status == RequestStatus.ANSWERED
        yield Todo(
            kind="rating" if answered else "information", subject=request.subject,
            enterprise=request.enterprise.name,
            asked=(_("%(department)s answered. Rate the answer.") if answered else
                   _("%(department)s asks for more information."))
            % {"department": request.department.name},
            action=_("Rate the answer") if answered else _("Add the information"),
            url=reverse("directline:detail", args=[request.pk]),
            working_left=None if answered else read_clock(request, now).remaining_seconds,
        )  # fmt: skip


def repairs(user: Any, now: datetime) -> Iterable[Todo]:
    """Records of untrustworthy conduct whose least publicity has passed."""
    for record in repairable_records(user, timezone.localdate(now)):
        yield Todo(
            kind="repair", subject=record.title, enterprise=record.enterprise.name,
            asked=_("Recorded by %(department)s on %(day)s; it may now be repaired.")
            % {"department": record.department.name, "day": record.occurred_on.isoformat()},
            action=_("Apply for repair"), url=reverse("credit:repair_new", args=[record.pk]),
            due=record.expires_on, due_label=_("In effect until"),
        )  # fmt: skip


# The enterprise's sources, in the order their things are listed when no deadline decides.
ENTERPRISE_SOURCES: list[Source] = [offers, supplements, requests_waiting, commitments,
                                    claims_under_way, repairs]  # fmt: skip
KIND_ORDER = {"offer": 0, "supplement": 1, "information": 2, "rating": 3, "commitment": 4,
              "claim": 5, "repair": 6}  # fmt: skip


def _collect(sources: Iterable[Source], user: Any, now: datetime) -> list[Todo]:
    todos = [todo for source in sources for todo in source(user, now)]
    # Soonest deadline first; then the things on a running clock, least time first; then
    # the rest by kind.
    return sorted(todos, key=lambda todo: (
        todo.due_at is None, todo.due_at or now,
        todo.working_left is None, todo.working_left or 0, KIND_ORDER.get(todo.kind, 99),
    ))  # fmt: skip


def enterprise_todo(user: Any, now: datetime | None = None) -> list[Todo]:
    """The signed-in enterprise member's things to do, across their enterprises."""
    if not is_active_user(user) or not user.is_enterprise_member:
        return []
    return _collect(ENTERPRISE_SOURCES, user, now or timezone.now())
