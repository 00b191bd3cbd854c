"""What the approvals API reads and writes: applications, items, their clocks, permits and
messages, and the bodies of the actions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from qinqing.api.privacy import MasksPersonalData
from qinqing.guard import MAX_ID
from qinqing.workhours.case_services import read_clock
from qinqing.workhours.serializers import CaseMessageSerializer, ClockSerializer

from .models import Application, Item, ItemMessage
from .services.refusals import (
    MESSAGE_MAX,
)
from .sheet import answers_for


class PermitSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    verification_code = serializers.CharField()
    issued_at = serializers.DateTimeField()
    valid = serializers.BooleanField()


# An item's thread names who wrote (the applicant and the department's officials).
class MessageSerializer(CaseMessageSerializer):
    author = serializers.CharField(source="author.__str__", read_only=True)

    class Meta(CaseMessageSerializer.Meta):
        model = ItemMessage
        fields = ["kind", "author", "body", "created_at"]
        read_only_fields = fields


class ItemSerializer(MasksPersonalData, serializers.ModelSerializer):
    personal_data_fields = ("answers", "messages")
    application = serializers.CharField(source="application.reference", read_only=True)
    item_type = serializers.CharField(source="item_type.code", read_only=True)
    name = serializers.CharField(source="item_type.name", read_only=True)
    department = serializers.CharField(source="department.code", read_only=True)
    district = serializers.CharField(source="district.code", read_only=True, default=None)
    assigned_to = serializers.CharField(
        source="assigned_to.username", read_only=True, default=None, allow_null=True
    )
    clock = serializers.SerializerMethodField()
    permit = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()
    messages = MessageSerializer(many=True, read_only=True)
    allows_commitment = serializers.BooleanField(
        source="item_type.allows_commitment", read_only=True
    )

    class Meta:
        model = Item
        fields = [
            "id",
            "application",
            "item_type",
            "name",
            "department",
            "district",
            "status",
            "assigned_to",
            "started_at",
            "deadline",
            "clock",
            "decided_at",
            "decision_note",
            "verify_by",
            "allows_commitment",
            "permit",
            "answers",
            "messages",
        ]
        read_only_fields = fields

    @extend_schema(responses=ClockSerializer)
    def get_clock(self, item: Item) -> dict[str, Any]:
        clock = read_clock(item)
        return ClockSerializer(clock).data

    @extend_schema(responses=PermitSummarySerializer(allow_null=True))
    def get_permit(self, item: Item) -> dict[str, Any] | None:
        permit = getattr(item, "permit", None)
        return PermitSummarySerializer(permit).data if permit else None

    def get_answers(self, item: Item) -> dict[str, Any]:
        """Only what this item's department receives."""
        return answers_for(item.item_type, item.application.answers)


class ApplicationSerializer(MasksPersonalData, serializers.ModelSerializer):
    personal_data_fields = ("answers",)
    package = serializers.CharField(source="package.code", read_only=True)
    # None before an establishment application has an enterprise (allow_null: the schema).
    uscc = serializers.CharField(
        source="enterprise.uscc", read_only=True, default=None, allow_null=True
    )
    district = serializers.CharField(
        source="district.code", read_only=True, default=None, allow_null=True
    )
    items = serializers.SerializerMethodField()
    registered_uscc = serializers.CharField(
        source="created_enterprise.uscc", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "package",
            "uscc",
            "title",
            "district",
            "status",
            "answers",
            "prefill",
            "created_at",
            "submitted_at",
            "decided_at",
            "items",
            "registered_uscc",
        ]
        read_only_fields = fields

    def get_items(self, application: Application) -> list[dict[str, Any]]:
        return [
            {
                "id": item.pk,
                "item_type": item.item_type.code,
                "status": item.status,
                "department": item.department.code,
                "deadline": item.deadline.isoformat() if item.deadline else None,
            }
            for item in application.items.all()
        ]


class StartSerializer(serializers.Serializer):
    package = serializers.SlugField(max_length=50)
    uscc = serializers.CharField(max_length=40, required=False, allow_blank=True)


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(required=False, default=dict)
    disputes = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True), required=False, default=dict
    )


def _accepted(value: bool) -> bool:
    if value is not True:
        raise serializers.ValidationError(
            _("Accept the commitment notice to approve on commitment.")
        )
    return value


class SubmitSerializer(serializers.Serializer):
    on_commitment = serializers.BooleanField(default=False)
    accept_notice = serializers.BooleanField(
        default=False,
        help_text="Required (true) with on_commitment: the applicant accepts "
        "the current commitment notice.",
    )

    def validate(self, data: dict) -> dict:
        if data["on_commitment"]:
            try:
                _accepted(data["accept_notice"])
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"accept_notice": error.detail}) from error
        return data


class CommitSerializer(serializers.Serializer):
    accept_notice = serializers.BooleanField(validators=[_accepted])
    item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=50,
    )


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=MESSAGE_MAX, allow_blank=True, required=False, default=""
    )


class PauseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=["hearing", "expert_review"])
    text = serializers.CharField(max_length=MESSAGE_MAX)


class AssignSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, allow_blank=True, allow_null=True)


class VerifySerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    note = serializers.CharField(
        max_length=MESSAGE_MAX, allow_blank=True, required=False, default=""
    )


class PermitCheckSerializer(serializers.Serializer):
    number = serializers.CharField()
    item = serializers.CharField()
    department = serializers.CharField()
    holder = serializers.CharField()
    issued_at = serializers.DateTimeField()
    valid = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)
