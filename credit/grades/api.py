"""Grades over REST: /api/v1/credit/grades/, the enterprises in scope by USCC; the
detail explains the grade."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from enterprises.models import Enterprise
from enterprises.selectors import enterprises_visible_to

from ..lists.models import ListKind
from ..lists.selectors import entries_in_effect
from ..standing import explanation
from ..standing import standing as standing_of
from .models import Grade
from .scoring import grade_for
from .selectors import scoring_model_in_force


class GradeSerializer(serializers.ModelSerializer):
    """An enterprise's grade: stored, or the model's base grade without records."""

    grade = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    model_version = serializers.SerializerMethodField()
    grade_since = serializers.SerializerMethodField()
    computed_at = serializers.SerializerMethodField()
    red_list = serializers.SerializerMethodField()
    black_list = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = ["uscc", "name", "grade", "score", "model_version", "grade_since",
                  "computed_at", "red_list", "black_list"]  # fmt: skip
        read_only_fields = fields

    def _stored(self, enterprise: Enterprise):
        return getattr(enterprise, "credit_grade", None)

    def get_grade(self, enterprise: Enterprise) -> str:
        stored = self._stored(enterprise)
        return stored.grade if stored else self.context["default"][0]

    def get_score(self, enterprise: Enterprise) -> int:
        stored = self._stored(enterprise)
        return stored.score if stored else self.context["default"][1]

    def get_model_version(self, enterprise: Enterprise) -> int:
        stored = self._stored(enterprise)
        return stored.model.version if stored else self.context["default"][2]

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_grade_since(self, enterprise: Enterprise):
        stored = self._stored(enterprise)
        return stored.grade_since if stored else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_computed_at(self, enterprise: Enterprise):
        stored = self._stored(enterprise)
        return stored.computed_at if stored else None

    def get_red_list(self, enterprise: Enterprise) -> bool:
        return any(entry.list_kind == ListKind.RED for entry in enterprise.entries_now)

    def get_black_list(self, enterprise: Enterprise) -> bool:
        return any(entry.list_kind == ListKind.BLACK for entry in enterprise.entries_now)


class GradeDetailSerializer(GradeSerializer):
    explanation = serializers.SerializerMethodField()

    class Meta(GradeSerializer.Meta):
        fields = [*GradeSerializer.Meta.fields, "explanation"]
        read_only_fields = fields

    @extend_schema_field(serializers.JSONField())
    def get_explanation(self, enterprise: Enterprise) -> dict:
        """{"model", "base", "score", "grade", "records": [{"record", "kind", "severity",
        "tax_grade", "title", "occurred_on", "points"}]}: which records moved the score."""
        return explanation(enterprise, standing_of(enterprise))


class GradeFilter(django_filters.FilterSet):
    """`grade`: the stored grade (an enterprise without records has none stored)."""

    district = django_filters.CharFilter(field_name="district__code")
    grade = django_filters.ChoiceFilter(field_name="credit_grade__grade", choices=Grade.choices)

    class Meta:
        model = Enterprise
        fields = ["district", "grade"]


class CreditGradeViewSet(viewsets.ReadOnlyModelViewSet):
    """Grades of the enterprises in scope, by USCC; the detail explains the grade."""

    scope_resource = "credit"

    lookup_field = "uscc"
    lookup_value_regex = "[^/.]+"
    filterset_class = GradeFilter
    ordering_fields = ["uscc", "name", "credit_grade__score"]
    ordering = ["uscc"]

    def get_queryset(self):
        return (
            enterprises_visible_to(self.request.user)
            .select_related("credit_grade__model")
            .prefetch_related(Prefetch("credit_list_entries", queryset=entries_in_effect(),
                                       to_attr="entries_now"))
            .order_by("uscc")
        )  # fmt: skip

    def get_object(self) -> Enterprise:
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()

    def get_serializer_class(self):
        return GradeDetailSerializer if self.action == "retrieve" else GradeSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        model = scoring_model_in_force()
        context["default"] = (grade_for(model.base_score, model.thresholds), model.base_score,
                              model.version)  # fmt: skip
        return context
