"""`make bench-report` renders docs/performance.md's generated table from the committed
results: it must read every results file in the shape its benchmark writes today (a
benchmark that changed its file's shape broke the report once, unnoticed)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_report_renders_every_committed_result():
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)

    block = report.render()

    for name, title, _command, _rows in report.BENCHMARKS:
        if (ROOT / "bench" / "results" / name).exists():
            assert f"| {title} | not measured yet" not in block
            assert f"| {title} | " in block, title
