"""Benchmarks for the foundation, on a throw-away database of the configured kind.

Run with `make bench-foundation` (embedded SQLite) or with DATABASE_URL/REDIS_URL set for
the real services (`make bench` runs it with the others: bench/run.py). Figures go to
bench/results/foundation-<database vendor>.json and are printed. Timings on these 2-core
machines are noisy: compare ratios within one run, not across runs.
"""

import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from qinqing.worker_process import database_url_for_current_connection, running_worker  # noqa: E402

ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "20000"))


def measure(name: str, action: Callable[[], object], *, repeat: int, warmup: int = 5) -> dict:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    result = {
        "name": name,
        "n": repeat,
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
        "per_second": round(1000 / statistics.mean(samples), 1),
    }
    print(
        f"{name:<48} median {result['median_ms']:>8.2f} ms   p95 {result['p95_ms']:>8.2f} ms"
        f"   {result['per_second']:>9.1f}/s"
    )
    return result


def main() -> None:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        if settings.REDIS_URL:
            # With a broker, /healthz needs a worker and the round trip is worth measuring.
            with running_worker(
                database_url=database_url_for_current_connection(),
                settings_module="tests.settings",
                log_path=ROOT / "var" / "bench-worker.log",
            ):
                results = run()
        else:
            results = run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    kind = connection.vendor + ("-redis" if settings.REDIS_URL else "")
    out = ROOT / "bench" / "results" / f"foundation-{kind}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {out.relative_to(ROOT)}")


def run() -> dict:
    from accounts.models import User
    from enterprises.models import Enterprise
    from qinqing.identifiers import find_uscc_problem

    started = time.perf_counter()
    call_command("seed_demo", enterprises=ENTERPRISES, seed=2021, stdout=io.StringIO())
    seeded_in = time.perf_counter() - started
    print(
        f"seed_demo: {ENTERPRISES} enterprises in {seeded_in:.1f} s "
        f"({ENTERPRISES / seeded_in:,.0f}/s)"
    )

    official = Client()
    official.force_login(User.objects.get(username="tax_city"))  # city-wide: sees all
    member = Client()
    member.force_login(User.objects.get(username="enterprise"))
    own = member.get("/api/v1/me/").json()["enterprises"][0]["uscc"]
    codes = list(Enterprise.objects.values_list("uscc", flat=True)[:1000])

    def ok(response):
        assert response.status_code == 200, response.status_code
        return response

    figures = [
        measure(
            "USCC validation (1000 codes)", lambda: [find_uscc_problem(c) for c in codes], repeat=50
        ),
        measure("GET /healthz", lambda: ok(official.get("/healthz")), repeat=300),
        measure(
            "GET /api/v1/enterprises/ (50 rows, official)",
            lambda: ok(official.get("/api/v1/enterprises/")),
            repeat=200,
        ),
        measure(
            "GET /api/v1/enterprises/?district=xihu&page=5",
            lambda: ok(official.get("/api/v1/enterprises/?district=xihu&page=5")),
            repeat=200,
        ),
        measure(
            "GET /api/v1/enterprises/{uscc}/ (member)",
            lambda: ok(member.get(f"/api/v1/enterprises/{own}/")),
            repeat=300,
        ),
        measure(
            "GET /enterprises/ page (25 rows, official)",
            lambda: ok(official.get("/enterprises/")),
            repeat=200,
        ),
        measure(
            "GET /enterprises/?q=钱江 page (search)",
            lambda: ok(official.get("/enterprises/?q=钱江")),
            repeat=100,
        ),
        measure(
            "GET /official/ workspace (counts over all)",
            lambda: ok(official.get("/official/")),
            repeat=100,
        ),
    ]
    if settings.REDIS_URL:
        from qinqing.tasks import ping

        figures.append(
            measure(
                "Celery round trip (ping task via Redis)",
                lambda: ping.delay().get(timeout=5),
                repeat=200,
            )
        )
    return {
        "database": connection.vendor,
        "redis": bool(os.environ.get("REDIS_URL")),
        "enterprises": ENTERPRISES,
        "seed_demo_per_second": round(ENTERPRISES / seeded_in),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": "python bench/foundation.py",
        "figures": figures,
    }


if __name__ == "__main__":
    main()
