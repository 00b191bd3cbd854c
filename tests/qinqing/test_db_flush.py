"""The suite's faster flush (tests/db_flush.py) empties every table that held rows, keys
and all, and keeps the content types Django would write again."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from enterprises.models import Enterprise, EnterpriseMembership
from qinqing.audit.models import AuditEvent
from tests.factories import EnterpriseFactory, member_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_flush_empties_the_tables_that_held_rows_despite_their_keys_and_triggers(
    reference_data,
):
    enterprise = EnterpriseFactory()
    member_of(enterprise)  # a user and a membership pointing at the enterprise
    AuditEvent.objects.create(action="test.flush", object_type="test", object_id="1")
    kinds = ContentType.objects.count()
    # As a committing test's teardown calls it (sequences are not reset).
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False,
                 inhibit_post_migrate=True)  # fmt: skip
    assert not Enterprise.objects.exists()
    assert not EnterpriseMembership.objects.exists()
    assert not AuditEvent.objects.exists()  # the append-only trigger set aside, not dropped
    assert ContentType.objects.count() == kinds
