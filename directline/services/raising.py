"""An enterprise raises a request: routed to a department (and district), with its
attachments."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department, District
from enterprises.models import Enterprise
from policies.models import Policy, PolicyVersion, VersionStatus
from qinqing import attachments
from qinqing.audit.services import record_event
from qinqing.scoping import is_active_user, is_member
from qinqing.workhours.case_services import read_clock

from ..models import (
    COORDINATING_OFFICE,
    Category,
    Request,
    RequestAttachment,
    RequestHop,
    RequestStatus,
    RoutingRule,
)
from ..storage import removed_unless_committed
from .access import require_enterprise
from .notifications import tell_department
from .refusals import SUBJECT_MAX, NotAllowed, RequestConflict, RequestRefused, clean_text
from .status import locked_request


def route(
    *,
    category: Category,
    subject: str,
    description: str,
    district: District,
    enterprise: Enterprise,
    policy: Policy | None = None,
) -> tuple[Department, RoutingRule | None]:
    """The department of the policy the request is about; else the department of the
    first active rule (by priority) whose every condition holds; else the coordinating
    office."""
    if policy is not None:
        return policy.department, None
    text = f"{subject}\n{description}".lower()
    for rule in RoutingRule.objects.filter(active=True).select_related("department"):
        if rule.category_id and rule.category_id != category.pk:
            continue
        if rule.district_id and rule.district_id != district.pk:
            continue
        if rule.industry_section and rule.industry_section != enterprise.industry_section:
            continue
        words = rule.keyword_list()
        if words and not any(word.lower() in text for word in words):
            continue
        return rule.department, rule
    return Department.objects.get(code=COORDINATING_OFFICE), None


def nameable_policies() -> QuerySet[Policy]:
    """The policies a request may name: those ever published (a claim's policy may have a
    newer version since); drafts are not public."""
    public = PolicyVersion.objects.filter(
        status__in=[VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED]
    )
    return Policy.objects.filter(pk__in=public.values("policy_id")).select_related("department")


def intake_office(fallback: Department) -> Department:
    """Where every request enters before it is routed: the coordinating office (the first
    hop's `from`), or the department itself where the city has no such office."""
    return Department.objects.filter(code=COORDINATING_OFFICE).first() or fallback


def _reference() -> str:
    return f"ZTC{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def raise_request(
    *,
    actor: Any,
    enterprise: Enterprise,
    category: Category,
    subject: str,
    description: str,
    district: District | None = None,
    files: Iterable[Any] = (),
    policy: Policy | None = None,
) -> Request:
    """A new request, routed (to the policy's department when it names one), with its
    files; the department is told."""
    if not (
        is_active_user(actor) and actor.is_enterprise_member and is_member(actor, enterprise.pk)
    ):
        raise NotAllowed(_("Only the enterprise's members may raise a request for it."))
    subject = clean_text(subject, what=_("subject"), limit=SUBJECT_MAX)
    description = clean_text(description, what=_("description"))
    if policy is not None and not nameable_policies().filter(pk=policy.pk).exists():
        raise RequestRefused(
            _("Choose a published policy."), fields={"policy": [_("Not a published policy.")]}
        )
    checked = _checked_files(list(files), already=0)
    district = district or enterprise.district
    department, rule = route(
        category=category,
        subject=subject,
        description=description,
        district=district,
        enterprise=enterprise,
        policy=policy,
    )
    with removed_unless_committed() as written, transaction.atomic():
        request = Request(
            reference=_reference(),
            enterprise=enterprise,
            raised_by=actor,
            category=category,
            subject=subject,
            description=description,
            district=district,
            department=department,
            policy=policy,
            limit_hours=category.limit_hours,
        )
        request.deadline = read_clock(request).deadline
        request.save(force_insert=True)
        RequestHop.objects.create(
            request=request,
            from_department=intake_office(department),
            to_department=department,
            rule=rule,
            reason=(
                _("About the policy %(policy)s: sent to its department.") % {"policy": policy.code}
                if policy is not None
                else ""
            ),
            created_at=request.started_at,
        )
        record_event(
            actor=actor,
            action="directline.request.raised",
            obj=request,
            after={
                "department": department.code,
                "rule": rule.pk if rule else None,
                "policy": policy.code if policy else None,
            },
        )
        _store_files(request, checked, actor, written)
        tell_department(request, gettext_lazy("New request: {subject}"))
    return request


def _checked_files(files: list[Any], *, already: int) -> list[attachments.CheckedFile]:
    if already + len(files) > attachments.MAX_PER_REQUEST:
        raise RequestRefused(
            _("At most %(max)d attachments per request.") % {"max": attachments.MAX_PER_REQUEST}
        )
    return [attachments.check(upload, RequestRefused) for upload in files]


def _store_files(
    request: Request, checked: list[attachments.CheckedFile], actor: Any, written: list[str]
) -> None:
    """Each file written to the private storage and its row saved; `written` collects the
    names, for removed_unless_committed to delete if the transaction fails."""
    for item in checked:
        attachment = RequestAttachment(
            request=request,
            name=item.name,
            size=item.size,
            content_type=item.content_type,
            uploaded_by=actor,
        )
        attachment.file.save(item.content.name, item.content, save=False)
        written.append(attachment.file.name)
        attachment.save()
        record_event(
            actor=actor,
            action="directline.request.attachment",
            obj=request,
            after={"name": item.name, "size": item.size},
        )


def add_attachments(request_id: int, *, actor: Any, files: Iterable[Any]) -> Request:
    """The enterprise adds files to an unclosed request."""
    files = list(files)
    if not files:
        raise RequestRefused(_("Choose a file to attach."))
    with removed_unless_committed() as written, transaction.atomic():
        request = locked_request(request_id)
        require_enterprise(actor, request)
        if request.status == RequestStatus.CLOSED:
            raise RequestConflict(_("A closed request takes no more attachments."))
        checked = _checked_files(files, already=request.attachments.count())
        _store_files(request, checked, actor, written)
    return request
