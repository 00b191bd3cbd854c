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
from approvals.selectors import items_for, review_queue
from credit.commitments.models import CommitmentStatus
from credit.commitments.selectors import commitments_visible_to
from credit.inspections.selectors import inspections_due
from credit.repair.selectors import repairable_records
from directline.models import OPEN_STATES as REQUEST_OPEN_STATES
from directline.models import RequestStatus
from directline.selectors import requests_for
from qinqing.scoping import is_acting_official, is_active_user
from qinqing.workhours.case_services import read_clock
from qinqing.workqueues import OFFICIAL_QUEUES
from subsidies.models import ClaimStatus
from subsidies.selectors import (
    claims_awaiting_review,
    claims_visible_to,
    disbursements_visible_to,
    reconciliation_runs,
)

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
    overdue: bool = False
    warned: bool = False

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
            % {"department": commitment.department.name, "what": commitment.display_verify_what},
            action=_("See the commitment"),
            url=reverse("credit:commitment", args=[commitment.pk]), due=commitment.verify_by,
            due_label=_("Verify by"),
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


# --- The official's work queue ---------------------------------------------------------------

# How many things of each queue the workspace lists (the queue's page has the rest), and
# how many clocked cases are read to find the warned and overdue ones.
SHOWN = 5
CLOCKS_READ = 200
OPEN_THE_QUEUE = _("Open the queue")


@dataclass(frozen=True)
class Queue:
    """One of an official's queues: what waits, how many, how many are urgent (warned or
    overdue on the working-hours clock, or past their due date), and where it is worked."""

    kind: str
    title: Text
    count: int
    url: str
    todos: tuple[Todo, ...] = ()
    urgent: int = 0
    link_label: Text = OPEN_THE_QUEUE


QueueSource = Callable[[Any, datetime], "Queue | None"]


def _by_urgency(todos: list[Todo]) -> list[Todo]:
    """Overdue first, then warned, then the least working time left."""
    return sorted(todos, key=lambda todo: (
        not todo.overdue, not todo.warned, todo.working_left is None, todo.working_left or 0,
    ))  # fmt: skip


def claims_to_review(user: Any, now: datetime) -> Queue:
    """Apply-mode claims found eligible, waiting for the department's decision."""
    waiting = claims_awaiting_review(user)
    todos = tuple(
        Todo(kind="review", subject=claim.policy.title, enterprise=claim.enterprise.name,
             asked=_("Eligible on the check; approve or reject it."), action=_("Review"),
             url=reverse("subsidies:claim", args=[claim.pk]), amount=claim.amount)
        for claim in waiting[:SHOWN]
    )  # fmt: skip
    return Queue(kind="claims", title=_("Claims waiting for review"), count=waiting.count(),
                 url=reverse("subsidies:review_queue"), todos=todos)  # fmt: skip


def approval_items(user: Any, now: datetime) -> Queue:
    """Open approval items of the department, by time left on the working-hours clock:
    overdue and warned first."""
    items = (review_queue(user).select_related("application__enterprise", "item_type")
             .prefetch_related("pauses"))  # fmt: skip
    todos = []
    for item in items[:CLOCKS_READ]:
        clock = read_clock(item, now)
        application = item.application
        todos.append(Todo(
            kind="item", subject=item.item_type.name,
            enterprise=application.enterprise.name if application.enterprise else "",
            asked=item.get_status_display(), action=_("Open the item"),
            url=reverse("approvals:item", args=[item.pk]),
            working_left=None if clock.paused else clock.remaining_seconds,
            overdue=clock.overdue, warned=clock.warn and not clock.overdue,
        ))  # fmt: skip
    return Queue(kind="approvals", title=_("Approval items"), count=items.count(),
                 url=reverse("approvals:queue"), todos=tuple(_by_urgency(todos)[:SHOWN]),
                 urgent=sum(1 for todo in todos if todo.overdue or todo.warned))  # fmt: skip


def direct_line(user: Any, now: datetime) -> Queue:
    """Direct-line requests the department owes an answer to, by time left."""
    waiting = (requests_for(user).filter(status__in=REQUEST_OPEN_STATES)
               .select_related("enterprise").prefetch_related("pauses"))  # fmt: skip
    todos = []
    for request in waiting.order_by("deadline", "pk")[:CLOCKS_READ]:
        clock = read_clock(request, now)
        todos.append(Todo(
            kind="request", subject=request.subject, enterprise=request.enterprise.name,
            asked=request.get_status_display(), action=_("Answer"),
            url=reverse("directline:handle", args=[request.pk]),
            working_left=None if clock.paused else clock.remaining_seconds,
            overdue=clock.overdue, warned=clock.warn and not clock.overdue,
        ))  # fmt: skip
    return Queue(kind="requests", title=_("Direct-line requests"), count=waiting.count(),
                 url=reverse("directline:queue"), todos=tuple(_by_urgency(todos)[:SHOWN]),
                 urgent=sum(1 for todo in todos if todo.overdue or todo.warned))  # fmt: skip


def commitments_to_verify(user: Any, now: datetime) -> Queue:
    """Commitments made to the department, to be verified by their date."""
    pending = (commitments_visible_to(user)
               .filter(status__in=(CommitmentStatus.MADE, CommitmentStatus.VERIFYING))
               .order_by("verify_by", "pk"))  # fmt: skip
    todos = tuple(
        Todo(kind="verify", subject=commitment.notice.display_title,
             enterprise=commitment.enterprise.name, asked=commitment.display_verify_what,
             action=_("Verify"), url=reverse("credit:commitment", args=[commitment.pk]),
             due=commitment.verify_by, due_label=_("Verify by"),
             overdue=commitment.verify_by < now)
        for commitment in pending[:SHOWN]
    )  # fmt: skip
    return Queue(kind="commitments", title=_("Commitments to verify"), count=pending.count(),
                 url=reverse("credit:commitments"), todos=todos,
                 urgent=pending.filter(verify_by__lt=now).count())  # fmt: skip


def inspections(user: Any, now: datetime) -> Queue:
    """Drawn enterprises whose inspection result the department has yet to publish."""
    due = inspections_due(user)
    todos = tuple(
        Todo(kind="inspection", subject=selection.draw.campaign.title,
             enterprise=selection.enterprise.name, asked=_("Inspect and publish the result."),
             action=_("Open the campaign"),
             url=reverse("credit:campaign", args=[selection.draw.campaign_id]),
             due=selection.draw.results_due, due_label=_("Result due"),
             overdue=selection.draw.results_due < now)
        for selection in due[:SHOWN]
    )  # fmt: skip
    return Queue(kind="inspections", title=_("Inspections due"), count=due.count(),
                 url=reverse("credit:campaigns"), todos=todos,
                 urgent=due.filter(draw__results_due__lt=now).count())  # fmt: skip


def reconciliation_mismatches(user: Any, now: datetime) -> Queue:
    """Payments of the department's claims that the latest reconciliation could not match
    (ledger, treasury): each problem names the payment's key."""
    latest = reconciliation_runs().filter(finished_at__isnull=False).first()
    keys = sorted(
        {str(problem).split(":", 1)[0] for problem in (latest.problems if latest else [])}
    )
    payments = (disbursements_visible_to(user).filter(idempotency_key__in=keys)
                .select_related("claim__policy", "claim__enterprise").order_by("pk"))  # fmt: skip
    todos = tuple(
        Todo(kind="mismatch", subject=payment.claim.policy.title,
             enterprise=payment.claim.enterprise.name,
             asked=_("The ledger or the treasury does not agree with this payment."),
             action=_("See the claim"), url=reverse("subsidies:claim", args=[payment.claim_id]),
             amount=payment.amount)
        for payment in payments[:SHOWN]
    )  # fmt: skip
    url = (reverse("subsidies:reconciliation") if user.sees_everything
           else reverse("subsidies:claims"))  # fmt: skip
    count = payments.count()
    return Queue(kind="reconciliation", title=_("Reconciliation mismatches"), count=count,
                 url=url, todos=todos, urgent=count)  # fmt: skip


def registered_queues(user: Any, now: datetime) -> Iterable[Queue]:
    """Queues of apps the read side does not import (qinqing.workqueues)."""
    for kind, source in OFFICIAL_QUEUES.items():
        reading = source(user, now)
        if reading is None:
            continue
        todos = tuple(Todo(kind=kind, subject=item.subject, asked=item.asked,
                           action=item.action, url=item.url, due=item.due,
                           due_label=item.due_label or DUE)
                      for item in reading.items[:SHOWN])  # fmt: skip
        yield Queue(kind=kind, title=reading.title, count=reading.count, url=reading.url,
                    todos=todos, urgent=reading.urgent)  # fmt: skip


OFFICIAL_SOURCES: list[QueueSource] = [claims_to_review, approval_items, direct_line,
                                       commitments_to_verify, inspections,
                                       reconciliation_mismatches]  # fmt: skip


def official_queue(user: Any, now: datetime | None = None) -> list[Queue]:
    """The acting official's queues, scoped to their department and district, each with
    its count, its most urgent things and the page where it is worked."""
    if not is_acting_official(user):
        return []
    now = now or timezone.now()
    queues = [source(user, now) for source in OFFICIAL_SOURCES]
    queues.extend(registered_queues(user, now))
    return [queue for queue in queues if queue is not None]
