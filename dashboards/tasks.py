from celery import shared_task

from .refresh import refresh_all


@shared_task(ignore_result=True)
def refresh_dashboards() -> dict[str, float] | None:
    """Rebuild the tallies (beat, every DASHBOARD_REFRESH_MINUTES); a run that finds
    another one in progress leaves it to finish."""
    return refresh_all()
