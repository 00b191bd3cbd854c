"""Working-hours clock benchmark (qinqing/workhours/clock.py): computations per second.

1. working_seconds over spans of one day, one month and one year, from 1,000 start instants
   spread over 2026–2027 at any time of day (so spans cross the Spring Festival, National
   Day and the year end into 2027, where the table's rows apply);
2. add_working_time for the Administrative Licensing Law's 20 working days;
3. reading() of a 20-working-day limit with one closed pause, what an app's page or
   deadline sweep asks for each item.

Pure computation in one process; the calendar table (a throw-away database of the
configured kind, with a few 2027 rows) is read once. Best of 5 rounds.

Run: `make bench-workhours`. Results: bench/results/workhours.json
"""

import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

STARTS = 1000
ROUNDS = 5


def rate(name: str, action: Callable[[], int]) -> dict:
    """Best of ROUNDS rounds of `action`, which returns how many computations it made."""
    action()  # warm-up
    best = None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        count = action()
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    result = {
        "computations": count,
        "per_second": round(count / best),
        "us_each": round(best / count * 1e6, 2),
    }
    print(f"{name:<44} {result['per_second']:>10,}/s   {result['us_each']:>7.2f} µs each")
    return result


def main() -> None:
    from qinqing.workhours import clock
    from qinqing.workhours.models import CalendarDay

    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=date(2027, 1, 1), kind="holiday", name="元旦"),
            *(
                CalendarDay(date=date(2027, 2, day), kind="holiday", name="春节")
                for day in range(6, 15)
            ),
            CalendarDay(date=date(2027, 2, 20), kind="workday", name="春节"),
        ]
    )
    clock.clear_cache()
    shanghai = ZoneInfo("Asia/Shanghai")
    generator = random.Random(2026)
    first = datetime(2026, 1, 1, tzinfo=shanghai)
    starts = [
        first + timedelta(minutes=generator.randrange(0, 700 * 24 * 60)) for _ in range(STARTS)
    ]
    limit = clock.LICENSING_LIMIT
    results = {"python": platform.python_version(),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "database": connection.vendor, "start_instants": STARTS}  # fmt: skip

    for label, span in [("1 day", timedelta(days=1)), ("1 month", timedelta(days=30)),
                        ("1 year", timedelta(days=365))]:  # fmt: skip
        pairs = [(start, start + span) for start in starts]

        def spans(pairs=pairs) -> int:
            for start, end in pairs:
                clock.working_seconds(start, end)
            return len(pairs)

        results[f"working_seconds_{label.replace(' ', '_')}"] = rate(
            f"working_seconds, {label} spans", spans
        )

    seconds = limit.seconds

    def deadlines() -> int:
        for start in starts:
            clock.add_working_time(start, seconds)
        return len(starts)

    results["add_working_time_20_days"] = rate("add_working_time, 20 working days", deadlines)

    paused = [
        (start, [(start + timedelta(days=3), start + timedelta(days=5))], start + timedelta(days=9))
        for start in starts
    ]

    def readings() -> int:
        for start, pauses, now in paused:
            clock.reading(start, limit, pauses, now=now)
        return len(paused)

    results["reading_20_days_one_pause"] = rate("reading, 20 working days, one pause", readings)

    out = ROOT / "bench" / "results" / "workhours.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
