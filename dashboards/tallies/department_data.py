"""Department data: the data hub's calls by outcome and by latency."""

from django.db.models import Count, DateField, F
from django.db.models.functions import TruncMonth

from datahub.models import DataCall

from .writing import Grouped, bucket_expression, industry_of

_WHERE = {
    "month": TruncMonth("started_at", output_field=DateField()),
    "department_id": F("department_id"),
    "district_id": F("enterprise__district_id"),
    "industry": industry_of("enterprise__industry_section"),
}

# Calls by outcome, and their latency (histogram); a call with no enterprise (none named,
# or one since deleted) has no industry.
DATA_CALLS = Grouped(
    "data_calls", lambda: DataCall.objects.all(), {**_WHERE, "key": F("outcome")},
    {"n": Count("id")},
)  # fmt: skip
DATA_CALL_MS = Grouped(
    "data_call_ms", lambda: DataCall.objects.all(),
    {**_WHERE, "bucket": bucket_expression(F("latency_ms"))}, {"n": Count("id")},
)  # fmt: skip


def refresh_data_calls() -> int:
    return DATA_CALLS.build() + DATA_CALL_MS.build()
