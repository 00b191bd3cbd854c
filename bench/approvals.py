"""Approval within hours — measured (issue: project approvals).

On the real stack (PostgreSQL, Redis, a real Celery worker, the simulated departments at
their default latencies), two figures:

- a five-item industrial project submitted with commitments: from the click (submit) to
  the application being approved — target under 5 seconds;
- a new enterprise's establishment: from submit to the enterprise being in the register
  with its founder as legal representative (the six items decided by the worker).

Run: `DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-approvals`. The working
time computation rate is measured by `make bench-workhours`.
"""

import io
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("approvals")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

RUNS = int(os.environ.get("BENCH_APPROVAL_RUNS", 40))
PROJECT = {
    "project_name": "年产5万台电机智能工厂", "district": "xihu", "land_parcel": "XH2026-017",
    "land_use_type": "industrial", "industry_division": "38", "total_investment": "120000000",
    "floor_area": "36000", "production_capacity": "年产5万台电机",
    "environmental_category": "report_form", "hazardous_chemicals": False,
}  # fmt: skip


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1)  # noqa: E731
    return {"n": len(ordered), "p50_ms": pick(0.5), "p95_ms": pick(0.95),
            "max_ms": round(ordered[-1], 1)}  # fmt: skip


def main() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    from accounts.models import Role, User
    from approvals.models import Application, ApplicationStatus, ServicePackage
    from approvals.services.applications import save_answers, start_application, submit_application
    from enterprises.models import Enterprise, EnterpriseMembership
    from qinqing.worker_process import database_url_for_current_connection, running_worker

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results: dict = {"python": platform.python_version(),
                     "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores"}  # fmt: skip
    try:
        call_command("seed_demo", enterprises=max(RUNS * 2, 200), seed=2021, stdout=io.StringIO())
        applicant = User.objects.get(username="enterprise")
        enterprises = list(Enterprise.objects.order_by("id")[:RUNS])
        EnterpriseMembership.objects.bulk_create(
            [EnterpriseMembership(enterprise=e, user=applicant, role="agent") for e in enterprises],
            ignore_conflicts=True,
        )
        project = ServicePackage.objects.get(code="industrial-project")
        establishment = ServicePackage.objects.get(code="enterprise-establishment")
        log = ROOT / "var" / "bench-approvals-worker.log"
        with running_worker(database_url=database_url_for_current_connection(),
                            settings_module="qinqing.settings", log_path=log,
                            concurrency=8):  # fmt: skip
            on_commitment = []
            for enterprise in enterprises:
                draft = start_application(package=project, actor=applicant,
                                                   enterprise=enterprise)  # fmt: skip
                save_answers(draft.pk, actor=applicant, answers=PROJECT)
                started = time.perf_counter()
                submit_application(draft.pk, actor=applicant, on_commitment=True)
                status = Application.objects.values_list("status", flat=True).get(pk=draft.pk)
                on_commitment.append((time.perf_counter() - started) * 1000)
                assert status == ApplicationStatus.APPROVED, status
            results["five_item_project_on_commitments"] = percentiles(on_commitment)
            print("five-item project on commitments:", results["five_item_project_on_commitments"])

            registered = []
            for number in range(max(RUNS // 4, 5)):
                founder = User.objects.create_user(f"founder{number}", role=Role.ENTERPRISE)
                draft = start_application(package=establishment, actor=founder)
                save_answers(draft.pk, actor=founder, answers={
                    "enterprise_name": f"杭州基准新创{number}科技有限公司", "district": "binjiang",
                    "address": "滨江区网商路599号", "industry_division": "65",
                    "business_scope": "软件开发", "registered_capital": "1000000",
                    "legal_representative": "李明", "shareholders": "李明",
                    "bank_name": "杭州银行", "bank_account": "6222020200112233445"})  # fmt: skip
                started = time.perf_counter()
                submit_application(draft.pk, actor=founder)
                while not Application.objects.filter(
                    pk=draft.pk, created_enterprise__isnull=False
                ).exists():
                    if time.perf_counter() - started > 60:
                        raise SystemExit("an establishment did not finish within 60 s")
                    time.sleep(0.02)
                registered.append((time.perf_counter() - started) * 1000)
            results["enterprise_establishment"] = percentiles(registered)
            print("enterprise establishment:", results["enterprise_establishment"])
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    target = ROOT / "bench" / "results" / "approvals-postgresql.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print("written to", target.relative_to(ROOT))


if __name__ == "__main__":
    main()
