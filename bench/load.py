"""The load test: locust against gunicorn on loopback, over a realistic mix of the portal's
traffic (bench/locustfile.py), on PostgreSQL, Redis and a real Celery worker.

    make bench-load                     # the full form (BENCH_LOAD_USERS, BENCH_LOAD_TIME)
    .venv/bin/python bench/load.py --short --out PATH   # the CI form (tests/bench/)

The full form uses a database of its own on DATABASE_URL's server (BENCH_LOAD_DB, default
qinqing_load; created when missing, kept between runs) and seeds it once: the demo data
(20,000 enterprises, the demo policies, claims and approvals) plus generate_city_data at
5 % (50,000 claims, 5,000 approval items, 5,000 requests, 50,000 data calls) so that the
officials' lists and dashboards page through real volumes. Seeding runs in a subprocess
without REDIS_URL, so its tasks (the automatic policy's batch run) run there and then, not
in the worker during the measurement.

Then, with production settings (bench/settings.py: DEBUG off, whitenoise for static files):
a Celery worker process (8 threads) for the claims, gunicorn (2 processes x 8 threads, one
process per core), and locust as a process of its own. Users are logged in beforehand
(sessions made here): the mix measures pages, not the password hash. Figures per route
(requests/s, p50/p95/p99, failures, 5xx) go to bench/results/load.json and are printed.
"""

import argparse
import atexit
import io
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadkit  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/qinqing_load"
# name: enterprises seeded, generate_city_data scale, enterprise logins x enterprises each,
# locust users, run time, think time between a user's actions (s)
VOLUMES = {
    "full": {"enterprises": 20000, "city_scale": 0.05, "logins": 40, "per_login": 25,
             "users": int(os.environ.get("BENCH_LOAD_USERS", "40")),
             "run_time": os.environ.get("BENCH_LOAD_TIME", "150s"), "wait": ("0.5", "2"),
             "fast_hasher": False},
    "short": {"enterprises": 2000, "city_scale": 0.002, "logins": 8, "per_login": 6,
              "users": 12, "run_time": os.environ.get("BENCH_LOAD_SHORT_TIME", "20s"),
              "wait": ("0.1", "0.5"), "fast_hasher": True},
}  # fmt: skip
OFFICIALS = ("tax_city", "hrss_city", "hrss_binjiang", "market_xihu", "housing_city",
             "science_city")  # fmt: skip
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "8"))
LOAD_DATABASE = os.environ.get("BENCH_LOAD_DB", "qinqing_load")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", nargs="?", default="run", choices=["run", "seed"])
    parser.add_argument("--short", action="store_true", help="the CI form: small, 20 s")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/load.json)")
    args = parser.parse_args()
    volume = "short" if args.short else "full"
    if args.step == "seed":
        seed(VOLUMES[volume])
    else:
        run(volume, args.out or ROOT / "bench" / "results" / "load.json")


def run(volume: str, out: Path) -> None:
    spec = VOLUMES[volume]
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if volume == "full":  # a database of its own on that server, kept and reused
        database_url = database_url.rsplit("/", 1)[0] + "/" + LOAD_DATABASE
    else:  # a fresh one beside the given one, with all that migrations load; dropped after
        database_url += "_loadshort"
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    if not database_url.startswith("postgres"):
        raise SystemExit("The load test needs PostgreSQL: DATABASE_URL=postgres://...")
    env = loadkit.production_env(database_url=database_url, redis_url=redis_url, name="load")
    work = ROOT / "var" / "load" / volume
    work.mkdir(parents=True, exist_ok=True)
    if volume != "full":
        drop_database(database_url)
        atexit.register(drop_database, database_url)
    # The short form copies CI's migrated template where there is one (loadkit).
    create_database(
        database_url, template=loadkit.migrated_template() if volume != "full" else None
    )

    started = time.monotonic()
    subprocess.run([sys.executable, __file__, "seed", *(["--short"] if volume == "short" else [])],
                   cwd=ROOT, env={**env, "REDIS_URL": ""}, check=True)  # fmt: skip
    seeded = time.monotonic() - started
    print(f"database ready in {seeded:.1f} s")

    os.environ.update(env)
    import django

    django.setup()
    from qinqing.worker_process import running_worker

    fixture_path = work / "fixture.json"
    fixture, volumes = prepare(spec)
    loadkit.write_json(fixture_path, fixture)
    machine = loadkit.machine(database_url=database_url, redis_url=redis_url)
    run_started = time.time()
    with (
        running_worker(database_url=database_url, settings_module="bench.settings",
                       log_path=work / "worker.log", concurrency=WORKER_THREADS),
        loadkit.gunicorn(env, log_path=work / "gunicorn.log") as host,
    ):  # fmt: skip
        print(f"gunicorn at {host} ({loadkit.GUNICORN_WORKERS} x {loadkit.GUNICORN_THREADS}), "
              f"{spec['users']} users for {spec['run_time']}")  # fmt: skip
        figures = loadkit.run_locust(
            host=host, users=spec["users"], spawn_rate=max(1, spec["users"] / 5),
            run_time=spec["run_time"], out_prefix=work / "locust", fixture=fixture_path,
            extra_env={"LOAD_WAIT_MIN": spec["wait"][0], "LOAD_WAIT_MAX": spec["wait"][1],
                       "LOAD_VISIT_ALL": "1" if volume == "short" else "0"},
        )  # fmt: skip
        claims = claims_since(run_started, settle_seconds=30)
    results = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": "make bench-load" if volume == "full" else "python bench/load.py --short",
        "database": database_url.rsplit("/", 1)[1],
        "argv": shlex.join([Path(sys.executable).name, *sys.argv]),
        "form": volume,
        "machine": machine,
        "setup": {
            "gunicorn": f"{loadkit.GUNICORN_WORKERS} processes x {loadkit.GUNICORN_THREADS} "
            f"threads (gthread), keep-alive {loadkit.GUNICORN_KEEP_ALIVE} s",
            "celery_worker": f"1 process x {WORKER_THREADS} threads",
            "settings": "bench.settings (production settings, DEBUG off), loopback HTTP",
            "think_time_s": list(spec["wait"]),
            "database_ready_seconds": round(seeded, 1),
            "volumes": volumes,
        },
        "routes_expected": list(loadkit.ROUTES),
        "claims_during_run": claims,
        **figures,
    }
    loadkit.write_json(out, results)
    loadkit.print_routes(f"load test ({volume}): {spec['users']} users, {spec['run_time']}",
                         figures)  # fmt: skip
    print(f"claims submitted during the run, by status once settled: {claims}")
    print(f"\nwritten to {out}")


def drop_database(database_url: str) -> None:
    base, name = database_url.rsplit("/", 1)
    subprocess.run(["psql", base + "/postgres", "-c",
                    f'drop database if exists "{name}" with (force)'],
                   check=True, capture_output=True)  # fmt: skip


def create_database(database_url: str, *, template: str | None = None) -> None:
    base, name = database_url.rsplit("/", 1)
    query = "select 1 from pg_database where datname = :'name'"
    exists = subprocess.run(["psql", base + "/postgres", "-tA", "-v", f"name={name}"],
                            input=query, capture_output=True, text=True,
                            check=True).stdout.strip()  # fmt: skip
    if not exists:
        sql = f'create database "{name}"' + (f' template "{template}"' if template else "")
        subprocess.run(["psql", base + "/postgres", "-c", sql], check=True, capture_output=True)


def seed(spec: dict) -> None:
    """Migrate and seed (once): runs in its own process without REDIS_URL, tasks in-process."""
    import django

    django.setup()
    from django.core.management import CommandError, call_command

    from policies.models import Policy

    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"  migrate {time.monotonic() - started:.1f} s", flush=True)
    if Policy.objects.filter(code="stable-jobs-2026").exists():
        return
    if spec["fast_hasher"]:
        # The short form's throw-away demo logins: nobody logs in with a password (the
        # sessions are made directly), so the deliberately slow hash only costs CI time.
        from django.test.utils import override_settings

        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
                          ).enable()  # fmt: skip
    steps = [
        ("seed_demo", {"enterprises": spec["enterprises"], "seed": 2021}),
        ("refresh_extracts", {"purpose": "基准：初始化批量抽取 (bench: bulk extracts)"}),
        ("seed_demo_policies", {"leave_batch_runs": True}),
        ("demo_data_reads", {}),
        ("seed_demo_claims", {}),
        ("seed_demo_approvals", {}),
        ("generate_city_data", {"enterprises": 0, "scale": spec["city_scale"]}),
        ("refresh_dashboards", {}),
    ]
    for name, options in steps:
        started = time.monotonic()
        try:
            call_command(name, **options, **quiet)
        except CommandError as error:
            print(f"  {name}: {error}")
        print(f"  {name} {time.monotonic() - started:.1f} s", flush=True)


def prepare(spec: dict) -> tuple[dict, dict]:
    """Logins (sessions made here), API tokens, a partner client, and for each enterprise
    login the (enterprise, policy) pairs it may claim and has not claimed yet."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    from accounts.models import Role, User
    from accounts.services import create_user
    from approvals.models import Item as ApprovalItem
    from dashboards.selectors.pages import SECTIONS
    from departments.models import Department
    from directline.models import Request as DirectRequest
    from enterprises.models import Enterprise, EnterpriseMembership, MemberRole
    from enterprises.services import add_member
    from partners.services import create_partner_client
    from policies.evaluation import is_targeted
    from policies.models import Policy
    from subsidies.claims import open_version
    from subsidies.models import Claim

    def session(user: User) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.set_expiry(6 * 3600)
        store.create()
        return store.session_key

    from django.utils import timezone

    today = timezone.localdate()
    # An enterprise claims the policies paying enterprises (the rent subsidy pays persons).
    open_policies = [policy for policy in Policy.objects.prefetch_related("target_districts")
                     if (version := open_version(policy, today)) is not None
                     and not version.pays_persons]  # fmt: skip
    claimed = set(Claim.objects.values_list("enterprise_id", "policy_id").distinct())
    taken = set(EnterpriseMembership.objects.values_list("enterprise_id", flat=True))
    fresh = (Enterprise.objects.filter(status="active").exclude(pk__in=taken)
             .order_by("pk").iterator())  # fmt: skip

    def pairs_of(enterprise: Enterprise) -> list[list[str]]:
        return [
            [enterprise.uscc, policy.code]
            for policy in open_policies
            if is_targeted(policy, enterprise) and (enterprise.pk, policy.pk) not in claimed
        ]

    enterprise_users = []
    for number in range(spec["logins"]):
        user = User.objects.filter(username=f"load-enterprise-{number}").first() or create_user(
            username=f"load-enterprise-{number}", password=None, role=Role.ENTERPRISE,
            display_name=f"压测企业用户 {number}",
        )  # fmt: skip
        mine = [m.enterprise for m in user.enterprise_memberships.select_related("enterprise")]
        claimables = [pair for enterprise in mine for pair in pairs_of(enterprise)]
        unclaimed = {uscc for uscc, _code in claimables}
        while len(unclaimed) < spec["per_login"]:
            enterprise = next(fresh, None)
            if enterprise is None:
                break
            add_member(enterprise=enterprise, user=user, role=MemberRole.LEGAL_REPRESENTATIVE,
                       actor=None)  # fmt: skip
            mine.append(enterprise)
            new = pairs_of(enterprise)
            claimables += new
            unclaimed |= {uscc for uscc, _code in new}
        enterprise_users.append({"username": user.username, "session": session(user),
                                 "enterprises": [e.uscc for e in mine if e.uscc in unclaimed]
                                 or [e.uscc for e in mine],
                                 "claimables": claimables})  # fmt: skip

    officials = [{"username": name, "session": session(User.objects.get(username=name))}
                 for name in OFFICIALS]  # fmt: skip
    tokens = [Token.objects.get_or_create(user=User.objects.get(username=name))[0].key
              for name in ("tax_city", "hrss_city", "auditor")]  # fmt: skip
    client, secret = create_partner_client(
        name=f"load-{int(time.time() * 1000)}", scopes=["policies:read", "claims:read"],
        department=Department.objects.get(code="hrss"), requests_per_minute=1_000_000,
    )  # fmt: skip
    fixture = {
        "enterprise_users": enterprise_users,
        "officials": officials,
        "api_tokens": tokens,
        "partner": {"client_id": client.application.client_id, "client_secret": secret},
        "policies": sorted(Policy.objects.values_list("code", flat=True)),
        "dashboard_sections": list(SECTIONS),
    }
    volumes = {
        "enterprises": Enterprise.objects.count(),
        "policies": Policy.objects.count(),
        "claims": Claim.objects.count(),
        "approval_items": ApprovalItem.objects.count(),
        "requests": DirectRequest.objects.count(),
        "claimable_pairs": sum(len(u["claimables"]) for u in enterprise_users),
    }
    print("volumes:", volumes)
    return fixture, volumes


def claims_since(started: float, *, settle_seconds: float) -> dict[str, int]:
    """The claims submitted during the run, by status, once the worker has decided them all
    (or settle_seconds have passed)."""
    from datetime import UTC, datetime

    from django.db.models import Count

    from subsidies.models import Claim, ClaimStatus

    since = datetime.fromtimestamp(started, tz=UTC)
    deadline = time.monotonic() + settle_seconds
    while True:
        rows = (Claim.objects.filter(created_at__gte=since, origin="enterprise")
                .values("status").annotate(n=Count("pk")))  # fmt: skip
        statuses = {row["status"]: row["n"] for row in rows}
        if not statuses.get(ClaimStatus.CHECKING) or time.monotonic() > deadline:
            return statuses
        time.sleep(1)


if __name__ == "__main__":
    main()
