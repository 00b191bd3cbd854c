"""Foreign-key checks at a moment the caller chooses (PostgreSQL)."""

from django.db import connection


def check_foreign_keys_now() -> None:
    """Run the foreign-key checks the caller's transaction has deferred so far, now, and
    defer the later ones again (PostgreSQL; nothing elsewhere). Django's foreign keys are
    checked at the commit: a transaction that takes a contended row lock last (a budget's
    reservation) would otherwise hold it through thousands of checks at its commit, while
    every other chunk waits for the row. Either way a missing row fails the transaction.
    Transaction-scoped (SET CONSTRAINTS), so safe behind PgBouncer in transaction mode."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
