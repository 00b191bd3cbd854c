"""Commitments (告知承诺): the versioned notice an enterprise accepts, and each
commitment with what will be verified afterwards and the one table of its transitions."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qinqing.errors import Conflict
from qinqing.i18n import pick, prefers_chinese
from qinqing.scoping import Reach
from qinqing.transitions import Transitions


class ImmutableNotice(Conflict):
    """A notice that may have been accepted is evidence: a change is a new version."""

    code = "immutable_notice"


class CommitmentNotice(models.Model):
    """The text an enterprise accepts when it commits (告知承诺书), versioned. `sha256` is
    the SHA-256 of `binding_text` (the Chinese text, a blank line, the consequences), in
    UTF-8, so a commitment proves exactly which words were accepted."""

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=250, blank=True)
    text = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    consequences = models.TextField(_("consequences of an untrue commitment (Chinese)"))
    consequences_en = models.TextField(_("consequences (English)"), blank=True)
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, editable=False)
    in_force_from = models.DateTimeField(_("in force from"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("commitment notice")
        verbose_name_plural = _("commitment notices")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="one_notice_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        digest = self.compute_sha256()
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
            if stored is not None and stored != digest:
                raise ImmutableNotice(
                    _("Notice %(notice)s may have been accepted: its text cannot change; add "
                      "a version.") % {"notice": self}
                )  # fmt: skip
        self.sha256 = digest
        super().save(*args, **kwargs)

    @property
    def binding_text(self) -> str:
        return f"{self.text}\n\n{self.consequences}"

    def compute_sha256(self) -> str:
        return hashlib.sha256(self.binding_text.encode("utf-8")).hexdigest()

    @property
    def display_title(self) -> str:
        return self.title if prefers_chinese() or not self.title_en else self.title_en

    @property
    def display_text(self) -> str:
        return self.text if prefers_chinese() or not self.text_en else self.text_en

    @property
    def display_consequences(self) -> str:
        if prefers_chinese() or not self.consequences_en:
            return self.consequences
        return self.consequences_en


class CommitmentStatus(models.TextChoices):
    MADE = "made", _("Made")
    VERIFYING = "verifying", _("Being verified")
    FULFILLED = "fulfilled", _("Fulfilled")
    BREACHED = "breached", _("Breached")
    PENALISED = "penalised", _("Penalised")
    REPAIRED = "repaired", _("Repaired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


C = CommitmentStatus


class SubjectKind(models.TextChoices):
    APPROVAL_ITEM = "approval_item", _("Approval item")
    SUBSIDY_CLAIM = "subsidy_claim", _("Subsidy claim")
    STANDALONE = "standalone", _("Standalone commitment")


class Commitment(models.Model):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="commitments",
        verbose_name=_("enterprise"),
    )  # fmt: skip
    notice = models.ForeignKey(CommitmentNotice, on_delete=models.PROTECT,
                               related_name="commitments", verbose_name=_("notice"))  # fmt: skip
    text_sha256 = models.CharField(_("SHA-256 of the accepted text"), max_length=64)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("accepted by"),
    )  # fmt: skip
    accepted_at = models.DateTimeField(_("accepted"))
    subject_kind = models.CharField(
        pgettext_lazy("commitment", "subject"), max_length=20, choices=SubjectKind.choices
    )
    subject_ref = models.CharField(_("subject reference"), max_length=100, blank=True,
                                   db_index=True)  # fmt: skip
    # In both languages (qinqing.i18n): written by the portal for people to read later.
    # Before the English column, and when a person wrote it, `verify_what_en` is blank.
    verify_what = models.TextField(_("what will be verified"))
    verify_what_en = models.TextField(_("what will be verified (English)"), blank=True)
    verify_by = models.DateTimeField(_("verified by"))
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="commitments",
        verbose_name=_("verifying department"),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=CommitmentStatus.choices,
                              default=CommitmentStatus.MADE)  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("decided by"),
    )  # fmt: skip
    reason = models.TextField(_("reason or note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The verifying department's: its officials (in their district) see them.
    reach = Reach(enterprise="enterprise", department="department",
                  district="enterprise__district")  # fmt: skip
    # The only ways a commitment's status may change.
    transitions = Transitions(
        {
            C.MADE: {C.VERIFYING, C.WITHDRAWN},
            C.VERIFYING: {C.FULFILLED, C.BREACHED, C.WITHDRAWN},
            C.FULFILLED: set(),
            C.BREACHED: {C.PENALISED},
            C.PENALISED: {C.REPAIRED},
            C.REPAIRED: set(),
            C.WITHDRAWN: set(),
        },
        action="credit.commitment",
        audit_fields=("reason",),
    )

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["-accepted_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="credit_commit_dept_status"),
            models.Index(fields=["enterprise", "status"], name="credit_commit_ent_status"),
        ]

    def __str__(self) -> str:
        return f"{self.notice.code} {self.subject_ref or self.get_subject_kind_display()}"

    @property
    def display_verify_what(self) -> str:
        """What will be verified, in the reader's language."""
        return pick(self.verify_what, self.verify_what_en)
