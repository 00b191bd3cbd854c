"""Department data: the data hub's calls by outcome and by latency."""

from django.db.models import Count, DateField, F
from django.db.models.functions import TruncMonth

from datahub.models import DataCall

from .writing import bucket_expression, by_sql, industry_of


def refresh_data_calls() -> int:
    """Calls by outcome, and their latency (histogram); a call with no enterprise (none
    named, or one since deleted) has no industry."""
    calls = DataCall.objects.all()
    where = {
        "month": TruncMonth("started_at", output_field=DateField()),
        "department_id": F("department_id"),
        "district_id": F("enterprise__district_id"),
        "industry": industry_of("enterprise__industry_section"),
    }
    rows = by_sql("data_calls", calls, {**where, "key": F("outcome")}, {"n": Count("id")})
    latency = {**where, "bucket": bucket_expression(F("latency_ms"))}
    return rows + by_sql("data_call_ms", calls, latency, {"n": Count("id")})
