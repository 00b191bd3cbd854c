"""The employee rent subsidy at city scale (issue #26): a policy paying persons, every
person decided and every qualifying one paid, in the same batch machinery as enterprises.

PostgreSQL, Redis and real Celery worker processes. Seed the register (`--enterprises`,
default a tenth of the persons), register `--persons` persons (default 5,000,000) in bulk
(enterprises.persons.services.register_many), refresh the enterprise and person extracts,
publish the demo's employee rent subsidy (automatic mode: sandbox/city/generator/
policy_specs.py) and time its batch run from the moment it is started — once every worker
process has answered a ping addressed to it by name — to every qualifying person decided
(claims made, budget reserved) and to every payment confirmed by the simulated treasury.

The floor, measured in the same sitting on the same database (bench/bulkkit.py): a COPY
out of exactly the extract columns the run reads (the person facts its rules name, the
card's account and the insurance start the payments and the roster carry, the employer's
facts, the register), and a COPY into scratch copies of the same tables with the same
indexes of exactly the rows the run kept (claims, disbursements, ledger legs, treasury
records, audit, outbox, notifications, chunk rows). The run is reported as a multiple of
that floor.

Run: `DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-persons`
(`ARGS="--persons 200000"` for a quick run). Writes bench/results/persons-postgresql.json.
Reported too: how many of the claims' and disbursements' updates PostgreSQL made in place
(`updates`: HOT, no index touched). BENCH_WITHOUT_FOREIGN_KEYS=1, an experiment: the run
with no check of the claims', disbursements' and ledger legs' keys at all (the set-checked
keys' triggers dropped, and the foreign-key constraints still there: the users'), to
measure what the checks cost; its figures go to
bench/results/persons-postgresql-without-foreign-keys.json.
"""

import argparse
import io
import json
import os
import platform
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bulkkit  # noqa: E402
from stack import setup  # noqa: E402

setup("persons")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count, Min  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", os.cpu_count() or 2))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", 2))
DEADLINE_SECONDS = 3 * 3600
# An experiment, not the product: the run without PostgreSQL's per-row foreign-key checks
# on the tables a chunk writes most (claims, disbursements, ledger legs), to measure what
# they cost. Its figures go to a file of their own.
WITHOUT_FOREIGN_KEYS = os.environ.get("BENCH_WITHOUT_FOREIGN_KEYS") == "1"
FOREIGN_KEYS_DROPPED = ("subsidies_claim", "subsidies_disbursement", "subsidies_ledgerentry")
POLICY = "employee-rent-2026"
REGIONS = ("330102", "330105", "330106", "330108", "330109", "330110")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静磊洋艳勇杰婷强军丽涛明超霞平刚"


def residents(count: int):
    """(identity number, name) of `count` distinct residents, born 1975-2002."""
    from qinqing.resident_ids import make_resident_id

    first = date(1975, 1, 1)
    for index in range(count):
        region = REGIONS[index % len(REGIONS)]
        born = first + timedelta(days=(index // len(REGIONS)) % 10_000)
        sequence = (index // (len(REGIONS) * 10_000)) % 999 + 1
        name = SURNAMES[index % 20] + GIVEN[(index // 20) % 20] + GIVEN[(index // 400) % 20]
        yield make_resident_id(region, born, sequence), name


def one_size(persons: int, enterprises: int) -> dict:
    from enterprises.persons.services import register_many
    from policies.models import Policy
    from qinqing.celery import app as celery_app
    from qinqing.worker_process import queues_of
    from subsidies.models import BatchChunk, BatchRun, Claim
    from subsidies.tasks import start_batch_run

    figures: dict = {"persons": persons, "enterprises": enterprises}
    out = io.StringIO()
    if WITHOUT_FOREIGN_KEYS:
        figures["foreign_keys_dropped"] = drop_foreign_keys(FOREIGN_KEYS_DROPPED)
    began = time.perf_counter()
    call_command("seed_demo", enterprises=enterprises, seed=2021, stdout=out)
    figures["seed_seconds"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    registered = register_many(residents(persons))
    figures["register_persons_seconds"] = round(time.perf_counter() - began, 1)
    figures["registered"] = registered
    began = time.perf_counter()
    call_command("refresh_extracts", purpose="benchmark", stdout=out)
    figures["extracts_seconds"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    call_command("seed_demo_policies", budget=10**12, leave_batch_runs=True, stdout=out)
    figures["publish_seconds"] = round(time.perf_counter() - began, 1)
    # The publications queued their runs: drop them, and start the one measured by hand,
    # with the clock running, once the workers are up.
    with celery_app.connection_for_write() as broker:
        for queue in queues_of(settings.CELERY_TASK_DEFAULT_QUEUE):
            broker.default_channel.queue_purge(queue)
    version = Policy.objects.get(code=POLICY).versions.get(status="published")
    with connection.cursor() as cursor:  # the clock's edge: rows older than it are not ours
        cursor.execute("SELECT now()")
        edge = cursor.fetchone()[0]
    gc_folder = bulkkit.gc_stats_dir()
    with bulkkit.workers(WORKER_PROCESSES, WORKER_THREADS, name="persons",
                         log_dir=ROOT / "var") as nodes:  # fmt: skip
        figures["workers"] = nodes
        figures["load_average_at_start"] = bulkkit.load_average()
        started = time.time()
        with bulkkit.cpu_measured(figures), bulkkit.statements_measured(figures):
            start_batch_run.delay(version.pk)
            while time.time() - started < DEADLINE_SECONDS:
                run = BatchRun.objects.filter(version=version).first()
                if run is not None and run.status != BatchRun.Status.RUNNING:
                    break
                time.sleep(0.1)
        figures["load_average_at_end"] = bulkkit.load_average()
        run = BatchRun.objects.get(version=version)
    if gc_folder is not None:
        figures["worker_garbage_collections"] = bulkkit.gc_stats(gc_folder)
    decided = run.decided_at.timestamp() - started if run.decided_at else None
    paid = run.finished_at.timestamp() - started if run.finished_at else None
    claims = Claim.objects.filter(version=version)
    figures.update(
        status=run.status,
        detail=run.detail,
        evaluated=run.enterprises,  # persons, for a version paying persons
        qualified=run.qualified,
        chunks=run.chunks,
        chunks_paid=BatchChunk.objects.filter(run=run, paid_at__isnull=False).count(),
        seconds_to_all_decided=round(decided, 2) if decided else None,
        seconds_to_all_paid=round(paid, 2) if paid else None,
        # How long the run's start (evaluating everyone, before the first chunk) kept the
        # other workers waiting (bench/batch.py's figure of the same name).
        first_chunk_decided_seconds=round(BatchChunk.objects.filter(run=run).aggregate(
            first=Min("decided_at"))["first"].timestamp() - started, 2) if run.chunks else None,
        claims_by_status=dict(claims.values_list("status").annotate(n=Count("id"))),
        persons_paid_twice=claims.values("person_id").annotate(n=Count("id"))
        .filter(n__gt=1).count(),
    )  # fmt: skip
    figures["updates"] = bulkkit.updates_by_table()
    figures["floor"] = floor(version, run, edge)
    floor_seconds = figures["floor"]["seconds"]
    rows = figures["floor"]["rows_written"]
    if paid:
        figures["persons_paid_per_second"] = round(run.qualified / paid)
        figures["rows_per_second"] = round(rows / paid)
        figures["multiple_of_floor"] = round(paid / floor_seconds, 2)
    figures["floor"]["persons_per_second"] = round(run.qualified / floor_seconds)
    figures["floor"]["rows_per_second"] = round(rows / floor_seconds)
    return figures


def drop_foreign_keys(tables) -> list[str]:
    """Drop every check of the keys of `tables` in the run's test database (the
    experiment BENCH_WITHOUT_FOREIGN_KEYS): the set-checked keys' triggers and the
    foreign-key constraints; returns their names."""
    from qinqing import foreign_keys

    unchecked = [key for key in foreign_keys.declared_references() if key.table in tables]
    foreign_keys.uninstall(unchecked)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, conrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1",
            [list(tables)],
        )
        found = cursor.fetchall()
        for name, table in found:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return [key.stem for key in unchecked] + [name for name, _table in found]


def person_extract_selects(fact_names) -> list[str]:
    """The SELECTs reading exactly the person extract columns these facts live in."""
    from datahub.catalogue import PERSON_CATALOGUE
    from datahub.extracts.subjects import PERSONS, column_name

    quote = connection.ops.quote_name
    by_department: dict[str, list[str]] = {}
    for name in dict.fromkeys(fact_names):
        by_department.setdefault(PERSON_CATALOGUE[name].department, []).append(column_name(name))
    return [
        f"SELECT person_id, {', '.join(quote(c) for c in columns)} "  # noqa: S608
        f"FROM {quote(PERSONS.table(department))}"
        for department, columns in by_department.items()
    ]


def floor(version, run, edge) -> dict:
    """The irreducible work of this run, in this sitting (bench/bulkkit.py)."""
    from policies.evaluation import BLACK_LIST
    from subsidies.chunk_rows import PERSON_PAYMENT_FACTS

    rules = version.rules
    person_facts = [*rules.person_fact_names, "person.hrss.employer_uscc", *PERSON_PAYMENT_FACTS]
    employer_facts = [*rules.employer_fact_names, BLACK_LIST]
    selects = [*person_extract_selects(person_facts), *bulkkit.extract_selects(employer_facts),
               "SELECT id, uscc, district_id, industry_section FROM enterprises_enterprise",
               "SELECT id, name FROM enterprises_person"]  # fmt: skip
    return bulkkit.batch_floor(version, run, edge, selects)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=5_000_000)
    parser.add_argument("--enterprises", type=int, default=None,
                        help="the register's size (default: a tenth of the persons)")  # fmt: skip
    options = parser.parse_args()
    persons = options.persons
    enterprises = options.enterprises or max(100, persons // 10)
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        sys.exit("needs DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    setup_test_environment()
    results = {"when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "command": f"make bench-persons (--persons {persons} --enterprises {enterprises})",
               "worker_processes": WORKER_PROCESSES, "threads_per_worker": WORKER_THREADS,
               "runs": []}  # fmt: skip
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        figures = one_size(persons, enterprises)
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(figures, ensure_ascii=False))
    results["runs"].append(figures)
    name = (
        "persons-postgresql-without-foreign-keys" if WITHOUT_FOREIGN_KEYS else "persons-postgresql"
    )
    target = ROOT / "bench" / "results" / f"{name}.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
