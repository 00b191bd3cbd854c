"""`make bench`: every benchmark in bench/, the framework floor first, then the report.

    DATABASE_URL=postgres://… REDIS_URL=redis://… make bench
    BENCH_QUICK=1 make bench        # skip the million-enterprise benchmarks
    BENCH_ONLY=floor,load make bench # just these (names below)

Each benchmark runs as a subprocess with the environment given (each makes its own
throw-away or named database from DATABASE_URL) and writes bench/results/*.json; this
stamps each file it produced with the command and date if the benchmark did not, then
bench/report.py renders docs/performance.md. A benchmark that fails is reported and the
others still run; the exit status is then 1. The floor runs first so that every figure's
ratio compares with a floor measured in the same sitting.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# name, script, results files it writes, long (skipped with BENCH_QUICK=1)
BENCHMARKS: list[tuple[str, str, list[str], bool]] = [
    ("floor", "bench/floor.py", ["floor.json"], False),
    ("foundation", "bench/foundation.py", ["foundation-postgresql-redis.json"], False),
    ("workhours", "bench/workhours.py", ["workhours.json"], False),
    ("approvals", "bench/approvals.py", ["approvals-postgresql.json"], False),
    ("claims", "bench/claims.py", ["claims-postgresql.json"], False),
    ("load", "bench/load.py", ["load.json"], False),
    ("hub", "bench/hub.py", ["hub-postgresql.json"], True),
    ("policies", "bench/policies.py", ["policies-postgresql.json"], True),
    ("batch", "bench/batch.py", ["batch-postgresql.json"], True),
    ("reevaluate", "bench/reevaluate.py", ["reevaluate-postgresql.json"], False),
    ("credit", "bench/credit.py", ["credit-postgresql.json"], True),
    ("credit-draw", "bench/credit_draw.py", ["credit-draw-postgresql.json"], True),
    ("dashboards", "bench/dashboards.py", ["dashboards-postgresql.json"], True),
]


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        print("make bench needs PostgreSQL and Redis: set DATABASE_URL=postgres://… and "
              "REDIS_URL=redis://… (docs/performance.md).", file=sys.stderr)  # fmt: skip
        raise SystemExit(2)
    quick = os.environ.get("BENCH_QUICK") == "1"
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    failed, ran = [], []
    for name, script, outputs, long in BENCHMARKS:
        if (only and name not in only) or (quick and long and not only):
            print(f"== {name}: skipped (keeps {', '.join(outputs)})")
            continue
        print(f"\n== {name}: {sys.executable} {script}", flush=True)
        before = {out: _mtime(out) for out in outputs}
        started = time.monotonic()
        done = subprocess.run([sys.executable, script], cwd=ROOT, check=False)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            failed.append(name)
            print(f"== {name}: FAILED (exit {done.returncode}) after {seconds:.0f} s")
            continue
        ran.append(f"{name} {seconds:.0f} s")
        for out in outputs:
            if _mtime(out) != before[out]:
                _stamp(RESULTS / out, f"python {script}", name)
    print("\n== report")
    subprocess.run([sys.executable, "bench/report.py"], cwd=ROOT, check=True)
    print(f"\nran: {', '.join(ran) or 'nothing'}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        raise SystemExit(1)


def _mtime(name: str) -> float | None:
    path = RESULTS / name
    return path.stat().st_mtime if path.exists() else None


def _stamp(path: Path, command: str, name: str) -> None:
    """Every results file carries its date and the command that wrote it."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        return
    data.setdefault("when", time.strftime("%Y-%m-%d %H:%M:%S %z"))
    data.setdefault("command", command)
    data.setdefault("make", f"make bench (BENCH_ONLY={name})")
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
