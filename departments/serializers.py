from rest_framework import serializers

from .models import Department, District


class DistrictSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = District
        fields = ["code", "admin_code", "name", "name_zh", "name_en", "kind"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "name_zh", "name_en"]
        read_only_fields = fields
