"""The officials' claims page lists the recent batch runs: a run of a version paying
persons counts persons, not enterprises."""

from django.test import Client
from django.urls import reverse

from policies.models import Beneficiary
from subsidies.models import BatchRun
from tests.factories import OfficialFactory, department

from .rent import rent_policy

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_a_persons_run_counts_persons_and_an_enterprises_run_enterprises(db):
    persons = rent_policy(code="rent").versions.get()
    enterprises = rent_policy(code="rent-e", beneficiary=Beneficiary.ENTERPRISE).versions.get()
    BatchRun.objects.create(version=persons, status=BatchRun.Status.DONE, enterprises=1204)
    BatchRun.objects.create(version=enterprises, status=BatchRun.Status.DONE, enterprises=31)
    client = Client()
    client.force_login(OfficialFactory(department=department("hrss"), district=None))
    text = client.get(reverse("subsidies:claims"), **EN).content.decode()
    assert "1204 persons" in text and "31 enterprises" in text
    assert "1204 enterprises" not in text
