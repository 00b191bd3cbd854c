"""Behind PgBouncer in transaction mode (issue #25): every transaction may run on another
server connection, so the code must not rely on anything a server session keeps.

Run on every database; .ci/run also runs this file through its PgBouncer.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
APPS = [p for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"]
# Session-level state in SQL: advisory locks held across transactions, LISTEN, SET
# without LOCAL (SET CONSTRAINTS and SET TRANSACTION last the transaction), prepared
# statements, WITH HOLD cursors. SQL keywords in capitals, as the code writes them.
SESSION_STATE = re.compile(
    r"pg_advisory_lock|pg_try_advisory_lock\(|\bLISTEN\b|\bUNLISTEN\b|"
    r"""execute\(\s*f?["']\s*SET\s+(?!LOCAL|CONSTRAINTS|TRANSACTION)|\bPREPARE\s+\w+\s+AS\b|WITH\s+HOLD""",
)


def source_files() -> list[Path]:
    return [path for app in APPS for path in app.rglob("*.py") if "migrations" not in path.parts]


def test_no_code_relies_on_server_session_state():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION_STATE.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []


def test_the_source_scan_sees_the_code():
    assert len(source_files()) > 100
    assert SESSION_STATE.search("cursor.execute(\"SET work_mem = '1GB'\")")
    assert not SESSION_STATE.search("cursor.execute(\"SET LOCAL work_mem = '256MB'\")")
    assert not SESSION_STATE.search('execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")')


@pytest.mark.postgres
@pytest.mark.django_db
def test_behind_a_pooler_no_statement_is_prepared_on_the_server():
    if not settings.DATABASE_POOLER:
        pytest.skip("only behind a pooler (DATABASE_POOLER=pgbouncer)")
    assert settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    for _ in range(10):  # psycopg would prepare from the 5th run on its own
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from django_migrations where app = %s", ["auth"])
    connection.ensure_connection()
    assert connection.connection.prepare_threshold is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_without_a_pooler_a_statement_run_again_is_planned_once_per_connection():
    """DB_PREPARED_STATEMENTS (on by default): a statement the connection has run five times
    is prepared on the server, so PostgreSQL stops parsing and planning it on every run
    (an instant claim's PostgreSQL CPU fell to 0.70x, docs/performance.md)."""
    if settings.DATABASE_POOLER:
        pytest.skip("behind a pooler nothing is prepared (the test above)")
    from departments.models import Department

    for _ in range(6):
        list(Department.objects.filter(code="taxation").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('FROM "departments_department"' in statement and "$1" in statement
               for statement in prepared), prepared  # fmt: skip
