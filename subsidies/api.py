"""Claims over REST. POST takes an Idempotency-Key (qinqing/api/idempotency.py): the same
key and body replay the first answer; the same key with another body is refused (422).

Also the employer's roster of a policy paying persons (issue #26, the enterprise-confirmed
route): the rosters waiting, one roster, and its confirmation, which is
subsidies.roster.confirm_roster and nothing else. A roster is claims, so a partner system
needs the claims scopes (claims:read, claims:write)."""

import django_filters
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from enterprises.models import Enterprise, EnterpriseMembership
from enterprises.selectors import enterprises_visible_to
from policies.models import Policy, PolicyVersion
from qinqing import errors
from qinqing.api.filters import CreatedBetweenFilterSet
from qinqing.api.idempotency import idempotent
from qinqing.api.schema import NO_RECEIPT_YET
from qinqing.api.serializers import FieldsBuiltOnce
from qinqing.guard import MAX_ID
from qinqing.masking import mask_digits
from qinqing.queueing import eager
from qinqing.scoping import is_acting_official, is_active_user, is_member
from qinqing.signing import receipt_document

from .claims import (
    REVIEW_NOTE_MAX,
    approve_claim,
    confirm_offer,
    open_version_by_code,
    reject_claim,
    retry_payment,
    submit_claim,
)
from .errors import ClaimConflict, RosterNotAllowed
from .filters import ClaimFilter
from .models import Claim, Disbursement, DisbursementStatus
from .receipts import payload as receipt_payload
from .roster import REASON_MAX as ROSTER_REASON_MAX
from .roster import RosterOutcome, confirm_roster
from .selectors import (
    RosterLine,
    claims_visible_to,
    disbursements_visible_to,
    may_confirm_roster,
    roster,
    rosters_to_confirm,
)


class ClaimSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    policy = serializers.CharField(source="policy.code", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    payment_reference = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = ["id", "uscc", "policy", "version", "period", "status", "amount", "decision",
                  "review_note", "reviewed_at", "created_at", "updated_at",
                  "payment_reference"]  # fmt: skip
        read_only_fields = fields

    def get_payment_reference(self, claim: Claim) -> str:
        disbursement = getattr(claim, "disbursement", None)
        return disbursement.reference if disbursement else ""


class ClaimRequestSerializer(serializers.Serializer):
    policy = serializers.SlugField(max_length=60)
    uscc = serializers.CharField(max_length=40)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REVIEW_NOTE_MAX)


class RetrySerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REVIEW_NOTE_MAX)


class DisbursementSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    claim = serializers.IntegerField(source="claim_id", read_only=True)
    bank_account = serializers.SerializerMethodField()

    class Meta:
        model = Disbursement
        fields = ["id", "claim", "idempotency_key", "amount", "status", "reference",
                  "attempts", "last_error", "bank_name", "bank_account", "created_at",
                  "confirmed_at"]  # fmt: skip
        read_only_fields = fields

    def get_bank_account(self, disbursement: Disbursement) -> str:
        return mask_digits(disbursement.bank_account)


class ReceiptSerializer(serializers.Serializer):
    jws = serializers.CharField()
    payload = serializers.DictField()
    jwks_url = serializers.CharField()


class ClaimViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    scope_resource = "claims"
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    ordering_fields = ["created_at", "updated_at", "amount", "status", "period"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        claims = claims_visible_to(self.request.user).select_related("disbursement")
        if self.action in ("retrieve", "list"):
            # Only what ClaimSerializer shows: a partner polls a claim until it is settled,
            # and the whole rows (the version's rules, the enterprise's register entry, the
            # claim's facts) were read, sent and decoded on every poll (issue #24).
            claims = claims.only(*_ANSWERED)
        return claims

    def filter_queryset(self, queryset):
        """One claim asked for without a query string: nothing to filter by, and one row
        has no order (the filter set and the ordering were a fifth of a poll's CPU)."""
        if self.action == "retrieve" and not self.request.query_params:
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(request=ClaimRequestSerializer,
                   responses={201: ClaimSerializer, 200: ClaimSerializer})  # fmt: skip
    @idempotent()
    def create(self, request: Request, *args, **kwargs) -> Response:
        """201 with a new claim; 200 with the existing one for this enterprise, policy and
        period (a claim is never made twice, with or without an Idempotency-Key)."""
        serializer = ClaimRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        # The enterprise with whether the caller is its member, and the policy with its
        # open version: two statements, which submit_claim would otherwise read again.
        enterprise = (
            enterprises_visible_to(user)
            .filter(uscc=serializer.validated_data["uscc"].upper())
            .annotate(caller_is_member=Exists(
                EnterpriseMembership.objects.filter(enterprise=OuterRef("pk"), user=user.pk)))
            .first()
        )  # fmt: skip
        if enterprise is None:
            raise exceptions.NotFound(_("No enterprise with this code is within your access."))
        today = timezone.localdate()
        version = open_version_by_code(serializer.validated_data["policy"], today)
        policy = (
            version.policy
            if version is not None
            else Policy.objects.filter(code=serializer.validated_data["policy"]).first()
        )
        if policy is None:
            raise exceptions.NotFound(_("No such policy."))
        # A refusal (qinqing.errors) answers with its status, code and message.
        claim, created = submit_claim(
            enterprise=enterprise, policy=policy, actor=user, day=today, version=version,
            member=is_active_user(user) and enterprise.caller_is_member,
        )  # fmt: skip
        claim = _as_answered(claim, created)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ClaimSerializer(claim).data, status=code)

    @extend_schema(
        request=None,
        responses={
            200: ReceiptSerializer,
            409: NO_RECEIPT_YET,
        },
    )
    @action(detail=True, methods=["get"])
    def receipt(self, request: Request, pk: str | None = None) -> Response:
        """The claim's signed decision receipt: a compact JWS (EdDSA, JCS payload) checked
        against /.well-known/jwks.json, and its payload readable. 409 before the decision."""
        payload = receipt_payload(self.get_object())
        return Response(receipt_document(payload))

    @extend_schema(request=None, responses={200: ClaimSerializer})
    @idempotent()
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """A member of the enterprise, or its partner system, accepts an offer a batch run
        found (a confirm-mode policy), as the Accept button on the page does: the payment
        follows. An offer already accepted answers with the claim as it stands; someone
        outside the enterprise: 403; a claim outside the caller's access: 404."""
        claim = self.get_object()
        if not is_member(request.user, claim.enterprise_id):
            raise exceptions.PermissionDenied(
                _("Only the enterprise's own members may accept its offers.")
            )
        claim = confirm_offer(claim.pk, actor=request.user)
        claim.refresh_from_db()
        return Response(ClaimSerializer(claim).data)

    @extend_schema(request=None, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """An official approves an apply-mode claim in review: it is paid."""
        return self._review(request, lambda claim: approve_claim(claim.pk, actor=request.user))

    @extend_schema(request=RejectSerializer, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """An official rejects an apply-mode claim in review; the reason is shown to the
        enterprise."""
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        return self._review(
            request, lambda claim: reject_claim(claim.pk, actor=request.user, reason=reason)
        )

    @extend_schema(request=RetrySerializer, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"], url_path="retry-payment")
    def retry_payment(self, request: Request, pk: str | None = None) -> Response:
        """An official tries a failed payment again, with a reason (audited). The same
        payment key as before: the treasury pays it at most once."""
        serializer = RetrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        return self._review(
            request, lambda claim: retry_payment(claim.pk, actor=request.user, reason=reason)
        )

    def _review(self, request: Request, decide) -> Response:
        """Enterprise users: 403; claims outside the official's scope: 404; a claim not in
        review (or a revoked enterprise): 409 (the services' refusals, qinqing.errors)."""
        if not is_acting_official(request.user):
            raise exceptions.PermissionDenied(_("Only officials review claims."))
        claim = decide(self.get_object())
        claim.refresh_from_db()
        return Response(ClaimSerializer(claim).data)


# The columns ClaimSerializer reads, through the rows it reads them from.
_ANSWERED = ("id", "period", "status", "amount", "decision", "review_note", "reviewed_at",
             "created_at", "updated_at", "enterprise__uscc", "policy__code", "version__number",
             "disbursement__reference")  # fmt: skip


def _as_answered(claim: Claim, created: bool) -> Claim:
    """The claim for the answer. Just recorded, its check queued for a worker: as recorded,
    without reading it back (nothing is paid yet). Otherwise as it stands now (an earlier
    claim, or a check run in this process), in one statement: its enterprise, policy and
    version are the rows just used."""
    if created and not eager():
        Claim.disbursement.related.set_cached_value(claim, None)
        return claim
    fresh = Claim.objects.select_related("disbursement").get(pk=claim.pk)
    for name in ("enterprise", "policy", "version"):
        field = Claim._meta.get_field(name)
        same = getattr(fresh, field.attname) == getattr(claim, field.attname)
        if same and field.is_cached(claim):
            setattr(fresh, name, getattr(claim, name))
    return fresh


class DisbursementFilter(CreatedBetweenFilterSet):
    status = django_filters.ChoiceFilter(choices=DisbursementStatus.choices)
    policy = django_filters.CharFilter(field_name="claim__policy__code")

    class Meta:
        model = Disbursement
        fields = ["status", "policy", "since", "until"]


class DisbursementViewSet(viewsets.ReadOnlyModelViewSet):
    """Payments for officials (their department's policies) and auditors."""

    scope_resource = "disbursements"

    serializer_class = DisbursementSerializer
    filterset_class = DisbursementFilter
    ordering_fields = ["created_at", "confirmed_at", "amount", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return disbursements_visible_to(self.request.user)


# --- the employer's roster of a policy paying persons (issue #26) -------------------------

# At most this many removals in one confirmation (a roster is an employer's staff).
ROSTER_REMOVALS_MAX = 10_000


class RosterSummarySerializer(serializers.Serializer):
    """One roster waiting for the caller's enterprise: a policy's version and how many of
    the enterprise's employees wait on it."""

    version = serializers.IntegerField(help_text="The policy version's id (in the path).")
    enterprise = serializers.IntegerField(help_text="The enterprise's id (in the path).")
    uscc = serializers.CharField()
    enterprise_name = serializers.CharField()
    policy = serializers.CharField(help_text="The policy's code.")
    title = serializers.CharField(help_text="The policy's title in the caller's language.")
    period = serializers.CharField()
    waiting = serializers.IntegerField(help_text="Employees still to confirm or remove.")


class RosterLineSerializer(serializers.Serializer):
    """One employee: what confirming needs and nothing more (no amount, no account, no
    other fact about the person; the identity number only masked)."""

    claim = serializers.IntegerField(source="claim_id")
    person = serializers.IntegerField(
        source="person_id", help_text="The person's id: what a removal names."
    )
    name = serializers.CharField()
    id_masked = serializers.CharField(help_text="The resident identity number, masked.")
    insured_since = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField()


class RosterSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="version.pk")
    policy = serializers.CharField(source="version.policy.code")
    version_number = serializers.IntegerField(source="version.number")
    enterprise = serializers.IntegerField(source="enterprise.pk")
    uscc = serializers.CharField(source="enterprise.uscc")
    waiting = serializers.IntegerField(help_text="Employees still to confirm or remove.")
    lines = RosterLineSerializer(many=True)


class RemovalSerializer(serializers.Serializer):
    person = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="A person on this roster (its `person`)."
    )
    reason = serializers.CharField(
        max_length=ROSTER_REASON_MAX,
        help_text="Why the person is removed (left, on leave …); it is kept with the claim.",
    )  # fmt: skip


class RosterConfirmSerializer(serializers.Serializer):
    removals = RemovalSerializer(
        many=True, required=False, max_length=ROSTER_REMOVALS_MAX,
        help_text="The persons who are not to be paid, each with the reason. Everyone else "
        "still waiting is confirmed. Today one confirmation keeps one reason: the removals "
        "of one request must give the same reason.",
    )  # fmt: skip

    def validate_removals(self, removals: list[dict]) -> list[dict]:
        persons = [removal["person"] for removal in removals]
        if len(set(persons)) != len(persons):
            raise serializers.ValidationError(_("Name each person to remove once."))
        if len({removal["reason"].strip() for removal in removals}) > 1:
            # confirm_roster keeps one reason for a confirmation's removals: the reasons of
            # several would otherwise be written onto every removed person's claim.
            raise serializers.ValidationError(
                _("Give the same reason for every removal of one confirmation.")
            )
        return removals


class RosterConfirmationSerializer(serializers.Serializer):
    confirmed = serializers.ListField(child=serializers.IntegerField(),
                                      help_text="Claims confirmed and being paid.")  # fmt: skip
    removed = serializers.ListField(child=serializers.IntegerField(),
                                    help_text="Claims withdrawn by the removals.")  # fmt: skip
    left = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Claims withdrawn because the person's insurance with the enterprise had "
        "ended when the roster was confirmed (the social insurance department's answer).",
    )  # fmt: skip
    exhausted = serializers.ListField(child=serializers.IntegerField(),
                                      help_text="Claims confirmed but not paid: the "
                                      "policy's budget ran out.")  # fmt: skip
    roster = RosterSerializer()


class RosterListView(generics.GenericAPIView):
    """The rosters the caller's enterprises have to confirm: one per policy version with
    employees still waiting, for the enterprises the caller is a member of (anyone else:
    an empty list)."""

    scope_resource = "claims"
    serializer_class = RosterSummarySerializer
    filter_backends = ()  # a roster is not a filtered queryset

    @extend_schema(responses=RosterSummarySerializer(many=True))
    def get(self, request: Request) -> Response:
        rows = rosters_to_confirm(request.user)
        usccs = dict(Enterprise.objects.filter(pk__in={row["enterprise_id"] for row in rows})
                     .values_list("pk", "uscc"))  # fmt: skip
        summaries = [{
            "version": row["version_id"], "enterprise": row["enterprise_id"],
            "uscc": usccs.get(row["enterprise_id"], ""), "enterprise_name": row["enterprise"],
            "policy": row["policy_code"], "title": row["title"], "period": row["period"],
            "waiting": row["waiting"],
        } for row in rows]  # fmt: skip
        page = self.paginate_queryset(summaries)
        return self.get_paginated_response(RosterSummarySerializer(page, many=True).data)


def _roster_subject(request: Request, version: int, enterprise: int, confirming: bool = False):
    """The version, the enterprise and its roster; a 404 for anyone but the enterprise's
    own members and, to read only, the officials covering the version's department
    (another enterprise's roster, another department's official, a person's: not theirs
    to see, and nothing says whether it exists; an official confirming: the same 404)."""
    version_row = get_object_or_404(PolicyVersion.objects.select_related("policy"), pk=version)
    enterprise_row = get_object_or_404(Enterprise, pk=enterprise)
    try:
        if confirming and not may_confirm_roster(request.user, enterprise_row):
            raise RosterNotAllowed(_("Only the enterprise's own members may confirm its roster."))
        lines = roster(request.user, version_row, enterprise_row)
    except RosterNotAllowed:
        raise errors.NotFound(_("No roster of this policy for an enterprise of yours.")) from None
    return version_row, enterprise_row, lines


def _roster_answer(version: PolicyVersion, enterprise: Enterprise,
                   lines: list[RosterLine]) -> dict:  # fmt: skip
    return RosterSerializer({
        "version": version, "enterprise": enterprise, "lines": lines,
        "waiting": sum(1 for line in lines if line.open),
    }).data  # fmt: skip


class RosterView(generics.GenericAPIView):
    """One roster: the employees the data proposes for the policy version at the
    enterprise, in name order, each with name, masked identity number, insured since and
    status. The enterprise's own members, and the officials (or the department's partner
    system) covering the version's department, read-only; 404 for everyone else."""

    scope_resource = "claims"
    serializer_class = RosterSerializer
    filter_backends = ()  # a roster is not a filtered queryset

    @extend_schema(responses=RosterSerializer)
    def get(self, request: Request, version: int, enterprise: int) -> Response:
        return Response(_roster_answer(*_roster_subject(request, version, enterprise)))


class RosterConfirmView(generics.GenericAPIView):
    """Confirm the roster: the persons in `removals` are withdrawn with the reason; every
    other person still waiting is checked with the social insurance department (still
    insured here?) and paid to the account of their social security card. The
    enterprise's own members only (404 for everyone else); the enterprise cannot add
    anyone (a person not waiting on the roster: 400). Send an Idempotency-Key: a retried
    confirmation replays the first answer; without one, a roster with nobody left to
    confirm answers 409 (nothing_to_confirm)."""

    scope_resource = "claims"
    serializer_class = RosterConfirmSerializer
    filter_backends = ()  # a roster is not a filtered queryset

    @extend_schema(request=RosterConfirmSerializer, responses={200: RosterConfirmationSerializer})
    @idempotent()
    def post(self, request: Request, version: int, enterprise: int) -> Response:
        version_row, enterprise_row, lines = _roster_subject(request, version, enterprise,
                                                             confirming=True)  # fmt: skip
        data = RosterConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        removals = data.validated_data.get("removals", [])
        if lines and not any(line.open for line in lines):
            # Confirmed already (a retry without an Idempotency-Key), or paid without one:
            # nothing is done twice, and no empty confirmation enters the trail.
            raise ClaimConflict(_("Nobody waits on this roster: there is nothing to confirm."),
                                code="nothing_to_confirm")  # fmt: skip
        outcome: RosterOutcome = confirm_roster(
            request.user, version_row, enterprise_row,
            [removal["person"] for removal in removals],
            removals[0]["reason"] if removals else "",
        )  # fmt: skip
        after = roster(request.user, version_row, enterprise_row)
        return Response(RosterConfirmationSerializer({
            "confirmed": outcome.confirmed, "removed": outcome.removed, "left": outcome.left,
            "exhausted": outcome.exhausted,
            "roster": {"version": version_row, "enterprise": enterprise_row, "lines": after,
                       "waiting": sum(1 for line in after if line.open)},
        }).data)  # fmt: skip
