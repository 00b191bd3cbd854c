"""Loading the reference data (districts, departments) from departments/reference_data.py."""

from typing import Any

from . import reference_data


def sync_reference_data(district_model: Any, department_model: Any) -> None:
    """Insert or update every row by code; rows that disappeared are left alone (records
    point at them). Takes the models as arguments so data migrations can pass theirs."""
    for order, row in enumerate(reference_data.DISTRICTS):
        district_model.objects.update_or_create(
            code=row.code,
            defaults={
                "admin_code": row.admin_code,
                "name_zh": row.name_zh,
                "name_en": row.name_en,
                "kind": row.kind,
                "sort_order": order,
            },
        )
    for order, row in enumerate(reference_data.DEPARTMENTS):
        department_model.objects.update_or_create(
            code=row.code,
            defaults={"name_zh": row.name_zh, "name_en": row.name_en, "sort_order": order},
        )
