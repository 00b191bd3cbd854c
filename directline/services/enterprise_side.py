"""The enterprise's side after the answer: the rating (an unsatisfied one reopens the request
once, to the department's supervisor, on a fresh clock) and refusing publication."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.selectors import department_officials
from qinqing.audit.services import record_event
from qinqing.notifications.services import notify
from qinqing.notifications.text import Message
from qinqing.workhours.case_services import post_message, refresh_deadline

from ..models import (
    MessageKind,
    PublishedAnswer,
    Rating,
    Request,
    RequestHop,
    RequestStatus,
)
from .access import require_enterprise
from .notifications import REQUEST_KIND
from .refusals import TEXT_MAX, RequestConflict, RequestRefused
from .status import locked_request, move


def rate(request_id: int, *, actor: Any, rating: str, comment: str = "") -> Request:
    """Satisfied or basically satisfied closes the request; unsatisfied reopens it to the
    department's supervisor, once (a second unsatisfied rating closes it)."""
    if rating not in Rating.values:
        raise RequestRefused(_("Choose satisfied, basically satisfied or unsatisfied."))
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise RequestRefused(
            _("The comment is too long: at most %(max)d characters.") % {"max": TEXT_MAX}
        )
    if rating == Rating.UNSATISFIED and not comment:
        raise RequestRefused(_("Say what is missing from the answer."))
    with transaction.atomic():
        request = locked_request(request_id)
        require_enterprise(actor, request)
        if request.status != RequestStatus.ANSWERED:
            raise RequestConflict(_("Only an answered request can be rated."))
        now = timezone.now()
        post_message(
            request,
            author=actor,
            kind=MessageKind.RATING,
            body=f"{Rating(rating).label}: {comment}" if comment else str(Rating(rating).label),
        )
        if rating == Rating.UNSATISFIED and request.reopened_at is None:
            supervisor = _supervisor(request)
            # Earlier pauses stay on record; the clock ignores those before the restart.
            move(
                request,
                RequestStatus.REOPENED,
                actor,
                rating=rating,
                rating_comment=comment,
                rated_at=now,
                reopened_at=now,
                supervisor=supervisor,
                assignee=None,  # the supervisor takes it (and may assign it again)
                started_at=now,
                warned_at=None,
                escalated_at=None,
            )
            RequestHop.objects.create(
                request=request,
                from_department=request.department,
                to_department=request.department,
                actor=actor,
                reason=_("Reopened: the enterprise is unsatisfied."),
            )
            refresh_deadline(request)
            if supervisor is not None:
                notify(
                    [supervisor],
                    REQUEST_KIND,
                    Message(gettext_lazy("Reopened request: {subject}"), subject=request.subject),
                    link=f"/requests/queue/{request.pk}/",
                )
        else:
            move(
                request,
                RequestStatus.CLOSED,
                actor,
                rating=rating,
                rating_comment=comment,
                rated_at=now,
            )
    return request


def _supervisor(request: Request) -> User | None:
    """Who a reopened request goes to: a supervisor of the department (its district's
    first), or, when it has none, a city-wide official of the department, so that a
    reopened request always has someone who may answer it."""
    officials = department_officials(request.department_id).order_by("pk")
    supervisors = officials.filter(is_supervisor=True)
    return (
        supervisors.filter(district_id=request.district_id).first()
        or supervisors.filter(district__isnull=True).first()
        or officials.filter(district__isnull=True).first()
    )


def refuse_publication(request_id: int, *, actor: Any) -> Request:
    """The enterprise does not want its request published (an entry already published is
    withdrawn)."""
    with transaction.atomic():
        request = locked_request(request_id)
        require_enterprise(actor, request)
        request.publication_refused = True
        request.save(update_fields=["publication_refused"])
        PublishedAnswer.objects.filter(request=request).delete()
        record_event(actor=actor, action="directline.request.publication_refused", obj=request)
    return request
