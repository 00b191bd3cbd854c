"""A model change without its migration fails here (and in `make lint`): otherwise every
test passes on the test database, built by the migrations, while the models say more."""

import io

import pytest
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader


def test_every_model_change_has_its_migration(monkeypatch):
    # Compares the models with the migration files only: no database is read (the
    # applied-history check is the database's business, not this test's).
    monkeypatch.setattr(MigrationLoader, "check_consistent_history", lambda self, conn: None)
    out = io.StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, stdout=out, verbosity=1)
    except SystemExit:
        pytest.fail(f"models changed without a migration (makemigrations):\n{out.getvalue()}")
