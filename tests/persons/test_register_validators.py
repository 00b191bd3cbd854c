"""One validator base for every identifier: the USCC's and the resident identity number's
validators keep their names (migrations name them) and their messages and codes."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from qinqing.identifiers import IdentifierValidator, UsccValidator, make_uscc, organisation_code
from qinqing.resident_ids import ResidentIdValidator, make_resident_id


def test_both_deconstruct_to_the_names_migrations_use():
    assert UsccValidator().deconstruct() == ("qinqing.identifiers.UsccValidator", (), {})
    assert ResidentIdValidator().deconstruct() == (
        "qinqing.resident_ids.ResidentIdValidator", (), {})  # fmt: skip


def test_each_equals_only_its_own_kind():
    assert UsccValidator() == UsccValidator()
    assert ResidentIdValidator() == ResidentIdValidator()
    assert UsccValidator() != ResidentIdValidator()
    assert len({UsccValidator(), UsccValidator(), ResidentIdValidator()}) == 2
    assert isinstance(UsccValidator(), IdentifierValidator)


def test_valid_values_pass():
    UsccValidator()(make_uscc("330100" + organisation_code("MA000001")))
    ResidentIdValidator()(make_resident_id("330106", date(1990, 1, 1), 12))


@pytest.mark.parametrize(
    "validator, value, code",
    [(ResidentIdValidator(), "33010619900230123X", "resident_id_birth_date"),
     (ResidentIdValidator(), "330106", "resident_id_length"),
     (UsccValidator(), "91330100", "uscc_length")],
)  # fmt: skip
def test_a_wrong_value_is_refused_with_its_code(validator, value, code):
    with pytest.raises(ValidationError) as refused:
        validator(value)
    assert refused.value.code == code
    assert value not in str(refused.value.message)
