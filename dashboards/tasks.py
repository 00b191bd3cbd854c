from celery import shared_task

from .refresh import keep_current


@shared_task(ignore_result=True)
def refresh_dashboards() -> dict[str, float] | None:
    """Bring the tallies current (beat, every DASHBOARD_REFRESH_MINUTES): on PostgreSQL the
    recorded changes applied and the clock's subjects rebuilt, a full rebuild once a day;
    elsewhere a full rebuild. A run that finds another in progress leaves it to finish."""
    return keep_current()
