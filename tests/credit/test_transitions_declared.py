"""Every credit status changes through the one mechanism: each model with a status
declares its table over exactly its choices, and no credit module writes a status itself."""

import re
from pathlib import Path

from django.apps import apps

from qinqing.transitions import Transitions

CREDIT = Path(__file__).resolve().parents[2] / "credit"
# A status (or the inspection's result, its status by another name) assigned (alone or in
# a tuple), updated, or named among the fields a save writes.
WRITES = re.compile(
    r"\.(status|result)\s*=[^=]|\.(status|result),[^=\n]*=[^=]"
    r"|update\([^)]*\b(status|result)\s*=|update_fields=\[[^\]]*\"(status|result)\""
)


def test_every_credit_model_with_a_status_declares_its_table():
    found = {}
    for model in apps.get_app_config("credit").get_models():
        names = {f.name for f in model._meta.concrete_fields}
        field = "status" if "status" in names else "result" if "result" in names else None
        if field is None:
            continue
        machine = model.__dict__.get("transitions")
        assert isinstance(machine, Transitions), model.__name__
        assert machine.field == field
        choices = {value for value, _label in model._meta.get_field(field).choices}
        assert machine.states == choices, model.__name__
        found[model.__name__] = machine.action
    assert found == {
        "CreditRecord": "credit.record",
        "ListEntry": "credit.list_entry",
        "Commitment": "credit.commitment",
        "InspectionCampaign": "credit.campaign",
        "InspectionSelection": "credit.inspection",
        "InspectorAssignment": "credit.assignment",
        "RepairApplication": "credit.repair",
    }


def test_no_credit_module_writes_a_status_itself():
    offenders = [
        f"{path.relative_to(CREDIT)}:{number}: {line.strip()}"
        for path in CREDIT.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if WRITES.search(line)
    ]
    assert offenders == []
