"""A faster flush between tests on committed data (PostgreSQL).

Django empties the database after each test that commits (pytest-django's
`transactional_db`, the browser, worker and concurrency tests: about 390 of them) with one
TRUNCATE of every table. A TRUNCATE makes new files for each table, index and TOAST table
and unlinks the old ones at commit: about 1 s per test on a quiet machine, several under
CI's load, although a test writes to a handful of the hundred tables. Here the tables that
hold a row are found in one statement, and only those are emptied, with DELETE (no files
made or unlinked), foreign-key and other triggers set aside for that transaction
(`SET LOCAL session_replication_role = replica`: every table ends empty, so nothing is
left dangling) — all but the content types and permissions, which Django's signal after a
flush would write again the same, row by row. Needs a superuser (the test database's owner
here and in CI); otherwise, or when sequences are to be reset, Django's TRUNCATE runs as
before.
"""

from typing import Any

from django.db.backends.postgresql.operations import DatabaseOperations

_truncate_everything = DatabaseOperations.sql_flush
# Written again after every flush by post_migrate (create_contenttypes, create_permissions):
# kept as they are instead, which is what that signal would leave.
KEPT = frozenset({"django_content_type", "auth_permission"})


def _is_superuser(operations: DatabaseOperations) -> bool:
    with operations.connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        return cursor.fetchone()[0] == "on"


def _flush_tables_with_rows(self: DatabaseOperations, style: Any, tables: list[str], *,
                            reset_sequences: bool = False,
                            allow_cascade: bool = False) -> list[str]:  # fmt: skip
    if not tables or reset_sequences or not _is_superuser(self):
        return _truncate_everything(self, style, tables, reset_sequences=reset_sequences,
                                    allow_cascade=allow_cascade)  # fmt: skip
    quote = self.quote_name
    probe = " UNION ALL ".join(
        f"(SELECT {index} FROM {quote(table)} LIMIT 1)"  # noqa: S608 (catalogue names)
        for index, table in enumerate(tables)
    )
    with self.connection.cursor() as cursor:
        cursor.execute(probe)  # table names from the catalogue
        holding = [tables[index] for (index,) in cursor.fetchall() if tables[index] not in KEPT]
    if not holding:
        return []
    return ["SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {quote(table)}" for table in holding)]  # noqa: S608  # fmt: skip


def flush_only_tables_with_rows() -> None:
    DatabaseOperations.sql_flush = _flush_tables_with_rows
