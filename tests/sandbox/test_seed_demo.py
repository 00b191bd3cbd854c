"""seed_demo: the same seed gives the same register; a rerun changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from enterprises.models import Enterprise, EnterpriseMembership
from qinqing.identifiers import is_valid_uscc

pytestmark = pytest.mark.django_db


def register() -> list[tuple]:
    return list(
        Enterprise.objects.order_by("uscc").values_list(
            "uscc",
            "name",
            "district__code",
            "industry_division",
            "registered_capital",
            "bank_account",
        )
    )


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_same_seed_same_register_and_every_code_valid():
    seed(enterprises=60, seed=7)
    first = register()
    assert len(first) == 60
    assert all(is_valid_uscc(row[0]) for row in first)
    EnterpriseMembership.objects.all().delete()
    Enterprise.objects.all().delete()
    seed(enterprises=60, seed=7)
    assert register() == first


def test_a_different_seed_gives_a_different_register():
    seed(enterprises=20, seed=1)
    first = {row[0] for row in register()}
    Enterprise.objects.all().delete()
    seed(enterprises=20, seed=2)
    assert first.isdisjoint({row[0] for row in register()})


def test_rerun_is_idempotent_and_growing_keeps_the_first_ones():
    seed(enterprises=30, seed=5)
    first = register()
    users = User.objects.count()
    output = seed(enterprises=30, seed=5)
    assert "0 enterprises created" in output
    assert register() == first
    assert User.objects.count() == users
    seed(enterprises=45, seed=5)
    grown = register()
    assert len(grown) == 45 and set(first) <= set(grown)


def test_prints_every_demo_login_and_they_work(client):
    output = seed(enterprises=10, seed=3)
    for username in ("enterprise", "tax_city", "market_xihu", "auditor", "admin"):
        assert username in output
    assert "qinqing-demo-2026" in output
    enterprise_user = User.objects.get(username="enterprise")
    assert enterprise_user.enterprises.count() == 2
    response = client.post(
        "/accounts/login/", {"username": "market_xihu", "password": "qinqing-demo-2026"}
    )
    assert response.status_code == 302
    assert User.objects.get(username="market_xihu").district.code == "xihu"
