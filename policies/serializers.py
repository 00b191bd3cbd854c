from rest_framework import serializers

from qinqing import guard

from .advice import CHANGE_OPERATORS, REASONS
from .models import Policy, PolicyVersion
from .rules.criteria import leaves


class VersionSerializer(serializers.ModelSerializer):
    criteria_summary = serializers.SerializerMethodField()

    class Meta:
        model = PolicyVersion
        fields = ["id", "number", "status", "beneficiary", "valid_from", "valid_until",
                  "criteria", "benefit", "parameters", "rounding", "budget",
                  "per_enterprise_cap", "claim_period", "notes", "published_at", "publish_at",
                  "criteria_summary"]  # fmt: skip
        read_only_fields = ["id", "number", "status", "published_at", "publish_at",
                            "criteria_summary"]  # fmt: skip
        extra_kwargs = {"beneficiary": {"help_text": (
            "Who is paid: `enterprise` (the default) pays the enterprise; `person` pays each "
            "qualifying employee into their own bank account (the social security card's), "
            "and its criteria and benefit may then name person facts (`person.…`) besides "
            "the employer's enterprise facts. An enterprise version naming a person fact is "
            "refused (400, naming the path). The employer must be targeted, in business and "
            "not black-listed.")}}  # fmt: skip

    def to_representation(self, version: PolicyVersion) -> dict:
        # A draft stored before the size limits (qinqing.guard,
        # policies.rules.size_limits.check_size) may be too deep to render: it is shown
        # without its rules, not answered with a 500.
        data = super().to_representation(version)
        for name in ("criteria", "benefit", "parameters"):
            if guard.depth_of(data.get(name)) > guard.max_depth():
                data[name] = None
        return data

    def get_criteria_summary(self, version: PolicyVersion) -> list[dict]:
        try:
            found = leaves(version.rules.criteria)
        except ValueError:
            return []
        return [{"id": leaf.id, "label": leaf.label, "clause": leaf.clause,
                 "fact": leaf.fact.name} for leaf in found]  # fmt: skip


class PolicySerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", read_only=True)
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    target_districts = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = ["code", "department", "title", "title_zh", "title_en", "summary",
                  "legal_basis_zh", "legal_basis_en", "benefit_type", "delivery_mode",
                  "target_districts", "target_industry_sections", "current_version"]  # fmt: skip
        read_only_fields = fields

    def get_current_version(self, policy: Policy) -> dict | None:
        published = getattr(policy, "published", None)
        if published is None:
            published = list(policy.versions.filter(status="published"))
        return VersionSerializer(published[0]).data if published else None


class DecisionSerializer(serializers.Serializer):
    policy = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["eligible", "ineligible", "unknown", "not_targeted"])
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    criteria = serializers.ListField(child=serializers.DictField())


class WhatIfSerializer(serializers.Serializer):
    beneficiary = serializers.ChoiceField(choices=["enterprise", "person"],
                                          help_text="Whom the counts are of.")  # fmt: skip
    enterprises = serializers.IntegerField(
        help_text="Enterprises decided; for a version paid to persons, their employers."
    )
    persons = serializers.IntegerField(
        allow_null=True, help_text="Persons decided (null for a version paid to enterprises)."
    )
    eligible = serializers.IntegerField()
    unknown = serializers.IntegerField()
    periods = serializers.IntegerField()
    total_cost = serializers.DecimalField(max_digits=18, decimal_places=2)
    budget = serializers.DecimalField(max_digits=16, decimal_places=2)
    within_budget = serializers.BooleanField()
    gainers = serializers.IntegerField(allow_null=True)
    losers = serializers.IntegerField(allow_null=True)


class AdviceChangeSerializer(serializers.Serializer):
    """One fact's change that would meet a criterion: `fact` `op` `needed`, now `current`."""

    criterion = serializers.CharField(help_text="The criterion's id in the rules.")
    fact = serializers.CharField(help_text="The fact's name in the hub's catalogue.")
    current = serializers.JSONField(allow_null=True, help_text="The fact's value now.")
    op = serializers.ChoiceField(choices=list(CHANGE_OPERATORS),
                                 help_text="How the needed value is compared.")  # fmt: skip
    needed = serializers.JSONField(help_text="The value (or, for in / not_in, the values).")
    text = serializers.CharField(help_text="The change in words, in the caller's language.")


class AdviceSerializer(serializers.Serializer):
    """Near-miss advice: what one failing part of the rules needs — any one of `changes`,
    or, when `possible` is false, why no single change can be named (`reason`)."""

    criteria = serializers.ListField(child=serializers.CharField(),
                                     help_text="The failed criteria it covers.")  # fmt: skip
    group = serializers.CharField(allow_blank=True, help_text="The group's id, if it has one.")
    possible = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=["", *REASONS], allow_blank=True)
    text = serializers.CharField()
    changes = AdviceChangeSerializer(many=True)


class EvaluationSerializer(DecisionSerializer):
    """A decision with, when it is not eligible, the near-miss advice."""

    advice = AdviceSerializer(many=True)


class WatchSerializer(serializers.Serializer):
    """'Tell me when I qualify' for one enterprise and policy: `watching` while open;
    `notified_at` once told (then closed)."""

    policy = serializers.CharField()
    enterprise = serializers.CharField(help_text="The enterprise's USCC.")
    watching = serializers.BooleanField()
    id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
    notified_at = serializers.DateTimeField(allow_null=True)
