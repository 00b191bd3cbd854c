from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from departments.serializers import DistrictSerializer

from .models import Enterprise
from .services import ContactDetails, parse_contact_details


class EnterpriseSerializer(serializers.ModelSerializer):
    """Bank account and phone are masked for every reader: the API never reveals them."""

    district = DistrictSerializer(read_only=True)
    industry_section_name = serializers.CharField(read_only=True)
    industry_division_name = serializers.CharField(read_only=True)
    size_class_name = serializers.CharField(source="get_size_class_display", read_only=True)
    bank_account_masked = serializers.CharField(read_only=True)
    contact_phone_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "uscc",
            "name",
            "district",
            "industry_section",
            "industry_section_name",
            "industry_division",
            "industry_division_name",
            "established_on",
            "registered_capital",
            "size_class",
            "size_class_name",
            "legal_representative",
            "contact_phone_masked",
            "bank_name",
            "bank_account_masked",
            "updated_at",
        ]
        read_only_fields = fields


class ContactDetailsSerializer(serializers.Serializer):
    contact_phone = serializers.CharField(label=_("contact phone"), max_length=20, allow_blank=True)
    bank_name = serializers.CharField(label=_("bank"), max_length=100, allow_blank=True)
    bank_account = serializers.CharField(label=_("bank account"), max_length=40, allow_blank=True)

    def validate(self, attrs: dict[str, str]) -> ContactDetails:  # type: ignore[override]
        try:
            return parse_contact_details(**attrs)
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
