from rest_framework import serializers

from qinqing import guard

from .models import Policy, PolicyVersion
from .rules import leaves


class VersionSerializer(serializers.ModelSerializer):
    criteria_summary = serializers.SerializerMethodField()

    class Meta:
        model = PolicyVersion
        fields = ["id", "number", "status", "valid_from", "valid_until", "criteria", "benefit",
                  "parameters", "rounding", "budget", "per_enterprise_cap", "claim_period",
                  "notes", "published_at", "publish_at", "criteria_summary"]  # fmt: skip
        read_only_fields = ["id", "number", "status", "published_at", "publish_at",
                            "criteria_summary"]  # fmt: skip

    def to_representation(self, version: PolicyVersion) -> dict:
        # A draft stored before the size limits (qinqing.guard, policies.rules.check_size)
        # may be too deep to render: it is shown without its rules, not answered with a 500.
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
    enterprises = serializers.IntegerField()
    eligible = serializers.IntegerField()
    unknown = serializers.IntegerField()
    periods = serializers.IntegerField()
    total_cost = serializers.DecimalField(max_digits=18, decimal_places=2)
    budget = serializers.DecimalField(max_digits=16, decimal_places=2)
    within_budget = serializers.BooleanField()
    gainers = serializers.IntegerField(allow_null=True)
    losers = serializers.IntegerField(allow_null=True)
