"""A dual-random inspection draw over a million enterprises (issue: credit).

PostgreSQL, in a test database of its own. A register of BENCH_DRAW_SIZE enterprises
(default 1,000,000; the demo generator's, written with COPY) gets grades A/B/C/D (15 / 55 /
20 / 10 %, written with COPY), a pool of 30 market-supervision inspectors across the
districts, and one city-wide campaign with the default ratios (A 5, B 10, C 30, D 70 %,
two inspectors per enterprise). Measured:

- publish: the population read with values_list, the canonical snapshot built, hashed
  (SHA-256), compressed and stored;
- draw: the snapshot read back and checked, the seed, every enterprise's HMAC-SHA256 key,
  the lowest k per stratum, the inspectors ranked per selected enterprise with conflicts
  excluded, and the selections (their inspectors on the row) written with COPY and
  committed;
- verify: the whole draw recomputed from the stored snapshot and compared;
- publication (issue #23): the draw's files (every enterprise's keyed hash, sorted per
  grade, and the selection) are written in the draw's transaction, so `draw_seconds`
  includes them; `files_seconds` is their share, measured alone; `outsider_verify_seconds`
  is tools/verify.py recomputing the draw from the three downloaded files, in-process.

Run: `DATABASE_URL=postgres://... make bench-credit-draw`. Writes
bench/results/credit-draw-postgresql.json. BENCH_KEEP_DB=1 keeps the test database and
its register between runs (a new campaign is drawn each time; seeding a million
enterprises takes minutes), for iterating; the figures are then not written.
"""

import datetime
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from stack import setup  # noqa: E402

setup("credit-draw")

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

SIZE = int(os.environ.get("BENCH_DRAW_SIZE", "1000000"))
KEEP = os.environ.get("BENCH_KEEP_DB") == "1"
POOL = 30
CHUNK = 50_000


def seed_register(count: int) -> None:
    from departments.models import District
    from enterprises.models import Enterprise
    from qinqing.bulk import bulk_insert
    from sandbox.city.register import demo_enterprises

    districts = list(District.objects.values_list("code", "admin_code"))
    district_ids = dict(District.objects.values_list("code", "pk"))
    batch: list = []
    for demo in demo_enterprises(count, seed=2021, districts=districts):
        batch.append(
            Enterprise(
                uscc=demo.uscc,
                name=demo.name,
                district_id=district_ids[demo.district_code],
                industry_section=demo.industry_section,
                industry_division=demo.industry_division,
                established_on=demo.established_on,
                registered_capital=demo.registered_capital,
                size_class=demo.size_class,
                legal_representative=demo.legal_representative,
                contact_phone=demo.contact_phone,
                bank_name=demo.bank_name,
                bank_account=demo.bank_account,
                status="active",
            )
        )
        if len(batch) >= CHUNK:
            bulk_insert(batch)
            batch = []
    bulk_insert(batch)


def seed_grades() -> None:
    """One INSERT … SELECT: a grade for everyone, by a hash of the id (15/55/20/10 %)."""
    from credit.grades.selectors import scoring_model_in_force

    model = scoring_model_in_force()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO credit_creditgrade (enterprise_id, grade, score, model_id, grade_since, "
            "computed_at) SELECT id, CASE WHEN h < 15 THEN 'A' WHEN h < 70 THEN 'B' "
            "WHEN h < 90 THEN 'C' ELSE 'D' END, 80, %s, now()::date, now() FROM "
            "(SELECT id, abs(hashtext(id::text)) %% 100 AS h FROM enterprises_enterprise) s",
            [model.pk],
        )


def seed_pool() -> list:
    from accounts.models import Role, User
    from departments.models import Department, District

    if KEEP and User.objects.filter(username__startswith="inspector").exists():
        return list(User.objects.filter(username__startswith="inspector"))
    market = Department.objects.get(code="market")
    districts = [*list(District.objects.all()), None]
    return User.objects.bulk_create(
        [
            User(
                username=f"inspector{n}",
                role=Role.OFFICIAL,
                department=market,
                district=districts[n % len(districts)],
            )
            for n in range(POOL)
        ]
    )


def timed(function, *args, **kwargs):
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return round(time.perf_counter() - began, 2), result


def run() -> dict:
    from accounts.models import Role, User
    from credit.inspections.services import create_campaign, publish_campaign, run_draw
    from credit.inspections.snapshots import stored_snapshot
    from credit.inspections.verification import verify
    from departments.models import Department
    from enterprises.models import Enterprise

    figures: dict = {"enterprises": SIZE, "inspector_pool": POOL}
    if not (KEEP and Enterprise.objects.count() == SIZE):
        figures["seed_seconds"], _ = timed(seed_register, SIZE)
        figures["grades_seconds"], _ = timed(seed_grades)
    pool = seed_pool()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    manager, _ = User.objects.get_or_create(
        username="campaign-manager",
        role=Role.OFFICIAL,
        department=Department.objects.get(code="market"),
    )
    campaign = create_campaign(actor=manager, title="bench", items=["x"], inspectors=pool)
    secrets = {"department": "bench department secret", "supervisor": "bench supervisor secret"}
    figures["publish_seconds"], _ = timed(
        publish_campaign,
        campaign.pk,
        actor=manager,
        public_event="bench: closing value of the SSE Composite Index",
        public_event_on=datetime.date.today(),
        commitments={party: hashlib.sha256(s.encode()).hexdigest() for party, s in secrets.items()},
    )
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx(
            "run_draw(campaign.pk, actor=manager, public_value='1', reveals=secrets)",
            globals(),
            locals(),
            sort="cumtime",
        )
        sys.exit()
    from credit.inspections import draw as algorithm

    figures["snapshot_read_seconds"], (data, snapshot) = timed(stored_snapshot, campaign)
    figures["draw_compute_only_seconds"], _ = timed(
        algorithm.compute_draw, snapshot, algorithm.snapshot_hash(data), "3012.45"
    )
    figures["draw_seconds"], drawn = timed(
        run_draw, campaign.pk, actor=manager, public_value="3012.45", reveals=secrets
    )
    from credit.inspections.models import DrawFiles
    from credit.inspections.publication import file_bytes, population_text

    figures["files_seconds"], _ = timed(population_text, snapshot, bytes.fromhex(drawn.seed))
    files = DrawFiles.objects.get(draw=drawn)
    folder = Path(tempfile.mkdtemp(prefix="bench-draw-"))
    names = ("draw.json", "population.txt", "selection.txt")
    for name in names:
        (folder / name).write_bytes(file_bytes(files, name))
    figures["population_file_bytes"] = (folder / "population.txt").stat().st_size
    sys.path.insert(0, str(ROOT / "tools"))
    import verify as outsider

    figures["outsider_verify_seconds"], said = timed(
        outsider.check_draw, *(folder / name for name in names), None
    )
    figures["outsider_verified"] = bool(said)
    shutil.rmtree(folder)
    figures["strata"] = drawn.strata
    figures["selected"] = drawn.selections.count()
    figures["verify_seconds"], found = timed(verify, campaign)
    figures["verified"] = found.ok
    figures["problems"] = [str(problem) for problem in found.problems]
    return figures


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/credit_draw.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=not KEEP, keepdb=KEEP)
    try:
        figures = run()
    finally:
        connections.close_all()
        if not KEEP:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    if KEEP:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    results = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        **figures,
    }
    target = ROOT / "bench" / "results" / "credit-draw-postgresql.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
