"""Enterprise requests (the direct line): where each stands against its limit, the working
time to the first answer, and the ratings given."""

from collections import Counter

from django.utils import timezone

from directline.models import Request, RequestPause
from qinqing.bulk import bulk_insert
from qinqing.workhours.clock import working_seconds

from .. import histogram
from .writing import counted_rows, industry_or_unknown, month_of, pauses_by


def refresh_requests() -> int:
    """Requests by where they stand against their limit, the working time to the first
    answer (histogram), and the ratings given."""
    now = timezone.now()
    requests = list(
        Request.objects.order_by().values_list(
            "id",
            "created_at",
            "started_at",
            "limit_hours",
            "answered_at",
            "department_id",
            "district_id",
            "enterprise__industry_section",
            "rating",
        )
    )
    has_pauses = set(RequestPause.objects.values_list("request_id", flat=True).distinct())
    pauses = pauses_by(RequestPause, "request", (r[0] for r in requests if r[0] in has_pauses))
    standing: Counter = Counter()
    hours: Counter = Counter()
    ratings: Counter = Counter()
    for (
        request_id,
        raised,
        started,
        limit_hours,
        answered_at,
        department,
        district,
        industry,
        rating,
    ) in requests:
        where = (
            ("month", month_of(raised)),
            ("department_id", department),
            ("district_id", district),
            ("industry", industry_or_unknown(industry)),
        )
        request_pauses = pauses.get(request_id, ())
        if answered_at is not None:
            seconds = working_seconds(started, answered_at, request_pauses)
            key = "on_time" if seconds <= limit_hours * 3600 else "late"
            hours[(*where, ("bucket", histogram.bucket_of(seconds)))] += 1
        else:
            seconds = working_seconds(started, now, request_pauses)
            key = "overdue" if seconds > limit_hours * 3600 else "open"
        standing[(*where, ("key", key))] += 1
        if rating:
            ratings[(*where, ("key", rating))] += 1
    rows = bulk_insert(counted_rows("requests", standing))
    rows += bulk_insert(counted_rows("request_hours", hours))
    rows += bulk_insert(counted_rows("request_ratings", ratings))
    return len(rows)
