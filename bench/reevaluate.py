"""Re-evaluation when facts change (issue #22), at city scale.

PostgreSQL, Redis and real Celery worker processes. Seed N enterprises (BENCH_REEVAL_SIZE,
default 100,000; the target is 1,000,000), refresh the extracts, publish ten automatic
policies that nobody meets yet (their batch runs find no one), then let the Human
Resources department's next extract change the insured staff of 1 % of the enterprises
so that they meet all ten. Timed from the extract's arrival (refresh_extract called with
the department's columns in hand) to every newly qualifying claim paid: the old extract
read and compared in memory, the rows that differ staged and merged, the signal, the
re-evaluation task, the ten evaluations over the changed rows, the chunks decided and
paid by the workers.

The floor, measured in the same sitting on the same database right after the run
(bench/bulkkit.py): COPY out of the columns the work reads (the old extract's fact
columns, compared, and the register's ids), and COPY in of the rows it wrote (the
extract rows that changed; every claim, disbursement, ledger leg, treasury record, audit
row, outbox event, notification and chunk row it kept) into scratch copies of their
tables with their indexes. The figure is reported as a multiple
of that floor. BENCH_REEVAL_QUALIFY (1 to 10, default 10) is how many of the ten
policies a changed enterprise newly meets: ten claims each is the worst case.

Run: `DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-reevaluate`
(BENCH_REEVAL_SIZE=1000000 for the target). Writes bench/results/reevaluate-postgresql.json.
"""

import io
import json
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bulkkit  # noqa: E402
from stack import setup  # noqa: E402

setup("reevaluate")

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

SIZE = int(os.environ.get("BENCH_REEVAL_SIZE", "100000"))
SHARE = float(os.environ.get("BENCH_REEVAL_SHARE", "0.01"))
POLICIES = 10
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 2))
DEADLINE_SECONDS = 1800
STAFF = "hrss.insured_employees"
NOBODY = 100_000  # insured staff no simulated enterprise has
# How many of the ten policies a changed enterprise newly meets: all ten (the worst case,
# ten claims each) by default; BENCH_REEVAL_QUALIFY=1 for one claim each.
QUALIFY = max(1, min(POLICIES, int(os.environ.get("BENCH_REEVAL_QUALIFY", POLICIES))))
CHANGED_TO = NOBODY + QUALIFY - 1  # meets the thresholds NOBODY … NOBODY + QUALIFY - 1


def publish_policies() -> list:
    """Ten automatic Human Resources policies nobody meets yet (four eyes, as always)."""
    from accounts.models import User
    from departments.models import Department
    from policies.models import DeliveryMode, Policy
    from policies.services.boundary_cases import generate_boundary_cases
    from policies.services.drafts import create_draft
    from policies.services.publication import approve, submit_for_approval

    author = User.objects.get(username="hrss_city")
    approver = User.objects.get(username="hrss_binjiang")
    hrss = Department.objects.get(code="hrss")
    versions = []
    day = timezone.localdate()
    for number in range(POLICIES):
        policy = Policy.objects.create(
            code=f"bench-follow-{number}", department=hrss, title_zh=f"随数而变 {number}",
            title_en=f"Follows the facts {number}", summary_zh="-", summary_en="-",
            legal_basis_zh="-", benefit_type="employment_subsidy",
            delivery_mode=DeliveryMode.AUTOMATIC,
        )  # fmt: skip
        version = create_draft(
            policy=policy, actor=author, valid_from=day - timedelta(days=1),
            valid_until=day + timedelta(days=365),
            criteria={"all": [{"id": "staff", "label": {"zh": "参保人数", "en": "Insured staff"},
                               "clause": "§3", "fact": STAFF, "op": "ge",
                               "value": NOBODY + number}]},
            benefit={"amount": f"{1000 + number}.00"}, parameters={}, rounding="half_up",
            budget=10**10, claim_period="yearly",
        )  # fmt: skip
        generate_boundary_cases(version)
        versions.append(approve(submit_for_approval(version, actor=author), actor=approver))
    return versions


def floor(versions: list, runs: list, edge) -> dict:
    """The irreducible work, on this database in this sitting, measured after the run
    (bulkkit.work_floor): a COPY out of the old extract's fact columns (every column the
    new extract is compared with) and of the register's ids; a COPY into scratch copies of
    the extract rows that changed (only they are written: the others are already there)
    and of every row the re-evaluation kept (claims, disbursements, ledger legs, treasury
    records, audit rows, outbox events, notifications, chunk rows)."""
    from datahub.extracts.subjects import column_name, department_facts, table_name

    compared = bulkkit.extract_selects([spec.name for spec in department_facts("hrss")])
    run_ids = ", ".join(str(int(run.pk)) for run in runs) or "NULL"
    return bulkkit.work_floor(
        [version.pk for version in versions],
        f"reevaluation_run_id IN ({run_ids})",
        edge,
        [compared[0], "SELECT id FROM enterprises_enterprise"],
        also={table_name("hrss"): f"{column_name(STAFF)} = {CHANGED_TO}"},
    )


def one_size(enterprises: int) -> dict:
    from datahub.extracts import subjects
    from datahub.extracts.refresh import refresh_extract
    from datahub.extracts.subjects import department_facts, extract_columns, load_register
    from qinqing.celery import app as celery_app
    from qinqing.worker_process import queues_of
    from sandbox.treasury.models import TreasuryRecord
    from subsidies.batch import start
    from subsidies.models import BatchRun, Claim, Reevaluation, ReevaluationRun

    figures: dict = {"enterprises": enterprises, "policies": POLICIES, "share_changed": SHARE,
                     "policies_newly_met": QUALIFY,
                     "load_average_at_start": round(os.getloadavg()[0], 1)}  # fmt: skip
    out = io.StringIO()
    began = time.perf_counter()
    call_command("seed_demo", enterprises=enterprises, seed=2021, stdout=out)
    figures["seed_seconds"] = round(time.perf_counter() - began, 1)
    call_command("refresh_extracts", purpose="benchmark", stdout=out)
    versions = publish_policies()
    with celery_app.connection_for_write() as broker:  # the publications' queued runs
        for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE):
            broker.default_channel.queue_purge(queue)
    for version in versions:  # nobody qualifies yet: each run is done at once
        start(version.pk)
    assert all(run.status == BatchRun.Status.DONE and run.qualified == 0
               for run in BatchRun.objects.filter(version__in=versions))  # fmt: skip
    # The department's next extract, computed before the clock starts (its work, not ours):
    # 1 % of the enterprises now have enough insured staff for all ten policies.
    ids, register = load_register()
    specs = department_facts("hrss")
    columns = extract_columns("hrss", specs, ids, register, time_today())
    rng = np.random.default_rng(22)
    chosen = rng.choice(len(ids), size=int(len(ids) * SHARE), replace=False)
    columns[STAFF] = columns[STAFF].copy()
    columns[STAFF][chosen] = CHANGED_TO
    figures["changed"] = len(chosen)

    def arrived(department, specs_, ids_, register_, as_of):
        return columns

    with bulkkit.workers(WORKER_PROCESSES, WORKER_THREADS, name="reevaluate",
                         log_dir=ROOT / "var") as nodes:  # fmt: skip
        figures["workers"] = nodes
        subjects.extract_columns = arrived
        edge = timezone.now()
        started = time.time()
        try:
            refresh_extract("hrss", purpose="benchmark: the department's extract")
        finally:
            subjects.extract_columns = extract_columns
        figures["seconds_to_extract_swapped"] = round(time.time() - started, 3)
        figures["load_average_at_arrival"] = round(os.getloadavg()[0], 1)
        change = None
        while time.time() - started < DEADLINE_SECONDS:
            change = Reevaluation.objects.first()
            if change is not None and change.finished_at is not None:
                break
            time.sleep(0.05)
        change = Reevaluation.objects.first()
    runs = list(ReevaluationRun.objects.filter(reevaluation=change))
    paid = Claim.objects.filter(version__in=versions, status="paid").count()
    figures.update(
        signalled_enterprises=change.enterprises if change else 0,
        runs=len(runs),
        newly_qualifying=sum(run.qualified for run in runs),
        paid=paid,
        claims=Claim.objects.filter(version__in=versions).count(),
        treasury_payments=TreasuryRecord.objects.count(),
        seconds_to_all_paid=round(change.finished_at.timestamp() - started, 3)
        if change and change.finished_at
        else None,
    )
    figures["floor"] = floor(versions, runs, edge)
    figures["floor_seconds"] = figures["floor"]["seconds"]
    if figures["seconds_to_all_paid"]:
        figures["multiple_of_floor"] = round(
            figures["seconds_to_all_paid"] / figures["floor_seconds"], 2
        )
    return figures


def time_today():
    return timezone.localdate()


def main() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    setup_test_environment()
    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "worker_processes": WORKER_PROCESSES, "threads_per_worker": WORKER_THREADS,
               "command": "BENCH_REEVAL_SIZE=<enterprises> BENCH_REEVAL_QUALIFY=<1..10> "
                          "make bench-reevaluate",
               "runs": []}  # fmt: skip
    target = ROOT / "bench" / "results" / "reevaluate-postgresql.json"
    if target.exists():  # the other sizes and scenarios measured before are kept
        results["runs"] = [run for run in json.loads(target.read_text()).get("runs", [])
                           if (run.get("enterprises"), run.get("policies_newly_met", POLICIES))
                           != (SIZE, QUALIFY)]  # fmt: skip
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        figures = one_size(SIZE)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(figures, ensure_ascii=False))
    results["runs"].append(figures)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
