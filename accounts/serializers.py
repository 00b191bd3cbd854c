from rest_framework import serializers

from departments.serializers import DepartmentSerializer, DistrictSerializer

from .models import User


class MembershipSummarySerializer(serializers.Serializer):
    uscc = serializers.CharField(source="enterprise.uscc")
    name = serializers.CharField(source="enterprise.name")
    role = serializers.CharField()


class CurrentUserSerializer(serializers.ModelSerializer):
    role_name = serializers.CharField(source="get_role_display", read_only=True)
    # None for enterprise members, auditors and city-wide officials.
    department = DepartmentSerializer(read_only=True, allow_null=True)
    district = DistrictSerializer(read_only=True, allow_null=True)
    enterprises = MembershipSummarySerializer(
        source="enterprise_memberships", many=True, read_only=True
    )

    class Meta:
        model = User
        fields = [
            "username",
            "display_name",
            "role",
            "role_name",
            "department",
            "district",
            "enterprises",
        ]
        read_only_fields = fields
