"""Render the generated figures of docs/performance.md from bench/results/*.json.

    make bench-report        # re-render without re-running anything

Everything between <!-- bench:begin --> and <!-- bench:end --> is replaced; the
hand-written sections around it are kept. Each figure is shown with its value, its unit,
its ratio to the framework floor measured on the same machine (bench/floor.py) and the
command that produced it:

- latency of an HTTP request under the load test ÷ the floor view's latency under the same
  load (same percentile);
- latency of one request at a time (foundation, dashboards: server time) ÷ the floor view's
  latency from one client (same percentile);
- latency of work done by a Celery worker (claim to paid, approvals) ÷ the trivial task's
  round trip through Redis (p50);
- requests/s ÷ the floor view's requests/s; work items/s done by workers ÷ trivial tasks/s.

Figures with no such floor (pure computation, bulk SQL) show "—". A results file measured
on another day than the floor is marked, since the ratio then compares two sittings.
"""

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

# (label, value, unit, floor kind, percentile)
Row = tuple[str, float | None, str, str | None, str]


def _load(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def foundation(data: dict) -> Iterator[Row]:
    for figure in data["figures"]:
        name = figure["name"]
        if name.startswith("Celery"):
            kind = "task_latency"
        elif name.startswith("GET"):
            kind = "http_one"
        else:
            kind = None
        yield name + " (median)", figure["median_ms"], "ms", kind, "p50"
        yield name + " (p95)", figure["p95_ms"], "ms", kind, "p95"


def hub(data: dict) -> Iterator[Row]:
    for transport in ("inprocess", "http"):
        block = data.get(f"fetch_{transport}", {})
        for mode, label in (("sequential", "one at a time"), ("concurrent_8_threads", "8 threads")):
            if mode in block:
                kind = "http_one" if transport == "http" and mode == "sequential" else None
                yield (f"fetch_facts, {transport}, {label} (p50)", block[mode]["p50_ms"], "ms",
                       kind, "p50")  # fmt: skip
                yield (f"fetch_facts, {transport}, {label}", block[mode]["fetches_per_second"],
                       "fetches/s", None, "")  # fmt: skip
    snapshot = data.get("snapshot_refresh")
    if snapshot:  # two departments' extracts, each case summed over both
        for case, label in (("first", "first"), ("unchanged", "nothing changed"),
                            ("one_percent_changed", "1 % changed")):  # fmt: skip
            if case in snapshot:
                yield (f"bulk extracts, {snapshot['enterprises']:,} enterprises, {label} "
                       f"({snapshot[case]['x_floor']}× its COPY floor)",
                       snapshot[case]["seconds"], "s", None, "")  # fmt: skip


def policies(data: dict) -> Iterator[Row]:
    yield "single rule evaluation", data.get("single_evaluation_us"), "µs", None, ""
    yield "1M evaluations in memory", data.get("batch_1m_evaluation_seconds"), "s", None, ""
    end = data.get("end_to_end_from_database")
    if end:
        yield "1M enterprises read and evaluated", end["total_seconds"], "s", None, ""


def claims(data: dict) -> Iterator[Row]:
    """Through HTTP since issue #24 (bench/claims.py): a partner system's claims."""
    one = data.get("one_claimant")
    if one:
        settled = one["settled_by_server_stamp"]
        yield "claim to paid over HTTP, one claimant (p50)", settled["p50_ms"], "ms", None, "p50"
        yield ("claim to paid, one claimant, beyond the simulated waiting (p50)",
               one["p50_minus_simulated_waiting_ms"], "ms", "task_latency", "p50")  # fmt: skip
    many = data.get("concurrent")
    if many:
        yield (f"claims paid per second, {many['claimants']} concurrent claimants",
               many["claims_per_second"], "claims/s", None, "")  # fmt: skip
    if data.get("server_cpu_ms_per_claim") is not None:
        yield ("server CPU per paid claim (web, workers, PostgreSQL, Redis)",
               data["server_cpu_ms_per_claim"], "ms", None, "")  # fmt: skip


def batch(data: dict) -> Iterator[Row]:
    """Each size's scenarios (one worker process, two, two with an instant queue's worker),
    each against its own COPY floor; a rate of claims is not compared with Celery's tasks/s
    (a task carries 2,000 claims), so no ratio to the framework's floor here."""
    for run in data.get("runs", []):
        size = f"{run['enterprises']:,}"
        for name, scenario in (run.get("scenarios") or {"": run}).items():
            label = f"batch, {size} enterprises{f' ({name})' if name else ''}"
            if scenario.get("seconds_to_all_paid") is None:
                continue
            yield (f"{label}: all paid ({scenario.get('multiple_of_floor')}× its COPY floor)",
                   scenario["seconds_to_all_paid"], "s", None, "")  # fmt: skip
            yield (f"{label}: paid", scenario.get("claims_per_second"), "claims/s", None, "")


def persons(data: dict) -> Iterator[Row]:
    for run in data.get("runs", []):
        if run.get("seconds_to_all_paid") is None:
            continue
        yield (f"persons batch, {run['persons']:,} persons: all paid "
               f"({run.get('multiple_of_floor')}× its COPY floor)", run["seconds_to_all_paid"],
               "s", None, "")  # fmt: skip


def reevaluate(data: dict) -> Iterator[Row]:
    for run in data.get("runs", []):
        if run.get("seconds_to_all_paid") is None:
            continue
        yield (f"re-evaluation, {run['enterprises']:,} enterprises, 1 % changed, "
               f"{run.get('policies_newly_met', 10)} of ten policies newly met each: all paid "
               f"({run.get('multiple_of_floor')}× its COPY floor)", run["seconds_to_all_paid"],
               "s", None, "")  # fmt: skip


def credit(data: dict) -> Iterator[Row]:
    for run in data.get("runs", []):
        size = f"{run['enterprises']:,}"
        yield f"grades, {size}: first computation", run["recompute_first"]["seconds"], "s", None, ""
        yield (f"grades, {size}: nothing changed", run["recompute_unchanged"]["seconds"], "s",
               None, "")  # fmt: skip
        yield f"grades, {size}: daily sweep", run["daily_sweep"]["seconds"], "s", None, ""


def credit_draw(data: dict) -> Iterator[Row]:
    size = f"{data.get('enterprises', 0):,}"
    yield f"dual-random draw, {size} enterprises", data.get("draw_seconds"), "s", None, ""
    yield f"publication, {size}", data.get("publish_seconds"), "s", None, ""
    yield f"verification, {size}", data.get("verify_seconds"), "s", None, ""


def approvals(data: dict) -> Iterator[Row]:
    for key, label in (("five_item_project_on_commitments", "five-item project on commitments"),
                       ("enterprise_establishment", "enterprise establishment")):  # fmt: skip
        if key in data:
            yield (
                f"{label}, submit to decided (p50)",
                data[key]["p50_ms"],
                "ms",
                "task_latency",
                "p50",
            )
            yield (
                f"{label}, submit to decided (p95)",
                data[key]["p95_ms"],
                "ms",
                "task_latency",
                "p50",
            )


def workhours(data: dict) -> Iterator[Row]:
    for key, value in data.items():
        if isinstance(value, dict) and "us_each" in value:
            yield key.replace("_", " "), value["us_each"], "µs", None, ""


def dashboards(data: dict) -> Iterator[Row]:
    pages = [page for viewer in (data.get("pages") or {}).values() for page in viewer]
    if pages:
        worst = max(pages, key=lambda page: page["p50_ms"])
        yield (
            "dashboards, worst page or API call, warm (p50)",
            worst["p50_ms"],
            "ms",
            "http_one",
            "p50",
        )
    if data.get("worst_p95_ms") is not None:
        yield (
            "dashboards, worst page or API call, warm (p95)",
            data["worst_p95_ms"],
            "ms",
            "http_one",
            "p95",
        )
    if data.get("worst_cold_p95_ms") is not None:
        yield ("dashboards, worst page or API call, cold (p95)", data["worst_cold_p95_ms"], "ms",
               "http_one", "p95")  # fmt: skip
    refresh = data.get("refresh") or {}
    if "total_seconds" in refresh:
        yield "dashboards, every tally rebuilt", refresh["total_seconds"], "s", None, ""


def load(data: dict) -> Iterator[Row]:
    total = data["total"]
    yield "load test, all routes", total["requests_per_second"], "req/s", "http_throughput", ""
    yield "load test, all routes (p99)", total["p99_ms"], "ms", "http_load", "p99"


# results file -> (title, command, rows)
BENCHMARKS: list[tuple[str, str, str, Callable[[dict], Iterator[Row]]]] = [
    ("load.json", "Load test", "make bench-load", load),
    ("foundation-postgresql-redis.json", "Foundation", "make bench-foundation", foundation),
    ("claims-postgresql.json", "Claims", "make bench-claims", claims),
    ("approvals-postgresql.json", "Approvals", "make bench-approvals", approvals),
    ("hub-postgresql.json", "Data hub", "make bench-hub", hub),
    ("policies-postgresql.json", "Rule engine", "make bench-policies", policies),
    ("batch-postgresql.json", "Enjoy without applying", "make bench-batch", batch),
    ("persons-postgresql.json", "Employee rent subsidy", "make bench-persons", persons),
    ("reevaluate-postgresql.json", "Re-evaluation", "make bench-reevaluate", reevaluate),
    ("credit-postgresql.json", "Credit grades", "make bench-credit", credit),
    ("credit-draw-postgresql.json", "Dual-random draw", "make bench-credit-draw", credit_draw),
    ("dashboards-postgresql.json", "Dashboards", "make bench-dashboards", dashboards),
    ("workhours.json", "Working-hours clock", "make bench-workhours", workhours),
]


def _n(value: float | None, digits: int | None = None) -> str:
    if value is None:
        return "—"
    if digits is None:
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f}"


def _ratio(value: float | None, kind: str | None, percentile: str, floor: dict) -> str:
    if value is None or kind is None or not floor:
        return "—"
    http, celery = floor.get("http", {}), floor.get("celery", {})
    pct = percentile or "p50"
    base = {
        "http_load": http.get(f"{pct}_ms"),
        "http_one": http.get("one_client", {}).get(f"{pct}_ms"),
        "http_throughput": http.get("requests_per_second"),
        "task_latency": celery.get("round_trip_p50_ms"),
        "task_throughput": celery.get("tasks_per_second"),
    }.get(kind)
    if not base:
        return "—"
    ratio = value / base
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:,.1f}×" if ratio >= 1 else f"{ratio:.2f}×"


FLOOR_NAMES = {
    "http_load": "floor view under load",
    "http_one": "floor view, one client",
    "http_throughput": "floor view req/s",
    "task_latency": "Celery round trip p50",
    "task_throughput": "Celery tasks/s",
}


def render() -> str:
    floor = _load("floor.json") or {}
    lines = [BEGIN, "", "<!-- Generated by bench/report.py from bench/results/*.json "
             "(`make bench-report`); edit outside the markers. -->", ""]  # fmt: skip
    lines += _machine(floor) + _floor(floor)
    loaded = _load("load.json")
    if loaded:
        lines += _load_table(loaded, floor)
    lines += ["### Every figure, as a multiple of the floor", "",
              "| benchmark | figure | value | unit | ratio to floor | floor | measured | command |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    floor_day = (floor.get("when") or "")[:10]
    for name, title, command, rows in BENCHMARKS:
        data = _load(name)
        if data is None:
            lines.append(f"| {title} | not measured yet | | | | | | `{command}` |")
            continue
        when = (data.get("when") or _first_when(data) or "")[:16]
        mark = "" if when[:10] == floor_day else " ¹"
        command = (
            data.get("command") if str(data.get("command", "")).startswith("make") else command
        )
        for label, value, unit, kind, pct in rows(data):
            floor_name = FLOOR_NAMES.get(kind, "") if kind else ""
            ratio = _ratio(value, kind, pct, floor)
            ratio += mark if ratio != "—" else ""
            lines.append(f"| {title} | {label} | {_n(value)} | {unit} | {ratio} | {floor_name} "
                         f"| {when} | `{command}` |")  # fmt: skip
    lines += ["", "¹ Measured on another day than the floor: the ratio compares two sittings "
              "(rerun `make bench` for one).", "", END]  # fmt: skip
    return "\n".join(lines)


def _first_when(data: dict) -> str | None:
    for run in data.get("runs", []):
        if isinstance(run, dict) and run.get("when"):
            return run["when"]
    return None


def _machine(floor: dict) -> list[str]:
    machine = floor.get("machine")
    if not machine:
        return ["No floor measured yet: run `make bench` (or `python bench/floor.py`).", ""]
    load = ", ".join(str(x) for x in machine.get("load_average", []))
    return [
        f"### Machine (floor measured {floor.get('when', '?')})",
        "",
        f"- CPU: {machine.get('cpu')}, {machine.get('cores')} cores; memory "
        f"{machine.get('memory_gb')} GB; {machine.get('os')} (Linux {machine.get('kernel')})",
        f"- Python {machine.get('python')}, PostgreSQL {machine.get('postgresql') or '?'}, "
        f"Redis {machine.get('redis') or '?'}",
        f"- Load average when the floor was measured: {load} (other work shares the cores: "
        "compare ratios, not absolute figures)",
        "",
    ]


def _floor(floor: dict) -> list[str]:
    http, celery = floor.get("http"), floor.get("celery")
    if not http or not celery:
        return []
    one = http.get("one_client", {})
    return [
        f"### The floor (`{floor.get('command')}`, bench/results/floor.json)",
        "",
        "| floor | figure |",
        "| --- | --- |",
        f"| minimal Django view (`bench/urls.py`), {http['gunicorn']}, {http['users']} locust "
        f"users without think time | **{_n(http['requests_per_second'], 0)} req/s**, p50 "
        f"{_n(http['p50_ms'])} ms, p95 {_n(http['p95_ms'])} ms, p99 {_n(http['p99_ms'])} ms, "
        f"{http['failures']} failures |",
        f"| the same view, one request at a time from one client | p50 {_n(one.get('p50_ms'))} "
        f"ms, p95 {_n(one.get('p95_ms'))} ms, p99 {_n(one.get('p99_ms'))} ms |",
        f"| trivial Celery task through Redis, {celery['worker']}: round trip | p50 "
        f"**{_n(celery['round_trip_p50_ms'])} ms**, p95 {_n(celery['round_trip_p95_ms'])} ms, "
        f"p99 {_n(celery['round_trip_p99_ms'])} ms |",
        f"| the same task, {celery['burst']:,} queued at once | **"
        f"{_n(celery['tasks_per_second'], 0)} tasks/s** |",
        "",
    ]


def _load_table(data: dict, floor: dict) -> list[str]:
    setup, locust, total = data["setup"], data["locust"], data
    http = floor.get("http", {})
    lines = [
        f"### Load test ({data['when']}, `{data['command']}`, bench/results/load.json)",
        "",
        f"locust, {locust['users']} users for {locust['run_time']} (think "
        f"time {setup['think_time_s'][0]}–{setup['think_time_s'][1]} s), against gunicorn "
        f"{setup['gunicorn']} with {setup['settings']}; Celery worker {setup['celery_worker']}; "
        f"data: {_volumes(setup.get('volumes', {}))}. Machine load average at the start: "
        f"{', '.join(str(x) for x in data['machine'].get('load_average', []))}.",
        "",
        "| route | requests | failures | 5xx | req/s | p50 ms | p95 ms | p99 ms "
        "| p99 ÷ floor p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in [*data["routes"], total["total"]]:
        bold = "**" if row["route"] == "all routes" else ""
        ratio = _ratio(row["p99_ms"], "http_load", "p99", floor) if http else "—"
        lines.append(f"| {bold}{row['route']}{bold} | {row['requests']:,} | {row['failures']} | "
                     f"{row['server_errors']} | {_n(row['requests_per_second'])} | "
                     f"{_n(row['p50_ms'], 0)} | {_n(row['p95_ms'], 0)} | {_n(row['p99_ms'], 0)} "
                     f"| {ratio} |")  # fmt: skip
    claims = data.get("claims_during_run")
    if claims:
        settled = ", ".join(f"{status} {n}" for status, n in sorted(claims.items()))
        lines += ["", f"Claims submitted during the run, by status once settled: {settled}."]
    if http:
        rate = total["total"]["requests_per_second"]
        lines += ["", f"All routes together: {_n(rate)} req/s at this offered load = "
                  f"{_ratio(rate, 'http_throughput', '', floor)} of the floor view's saturated "
                  "req/s (the users think between actions, so this is the load offered, not the "
                  "portal's capacity)."]  # fmt: skip
    return [*lines, ""]


def _volumes(volumes: dict) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {value:,}" for key, value in volumes.items())


def main() -> None:
    text = DOC.read_text()
    block = render()
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        _old, after = rest.split(END, 1)
        text = before + block + after
    else:
        print(f"{DOC}: no {BEGIN} … {END} markers; add them where the figures belong",
              file=sys.stderr)  # fmt: skip
        raise SystemExit(1)
    DOC.write_text(text)
    print(f"rendered {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
