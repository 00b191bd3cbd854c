"""GB 11643-1999: the check character (ISO 7064 MOD 11-2), the birth date, the region."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from qinqing.masking import mask_personal_data
from qinqing.resident_ids import (
    find_resident_id_problem,
    is_valid_resident_id,
    make_resident_id,
    mask_resident_id,
    normalise_resident_id,
    resident_id_check_character,
    validate_resident_id,
)

# The standard's own examples (GB 11643-1999, appendix).
STANDARD_X = "11010519491231002X"
STANDARD_4 = "440524188001010014"


def test_the_standards_examples_have_their_check_characters():
    assert resident_id_check_character(STANDARD_X[:17]) == "X"
    assert resident_id_check_character(STANDARD_4[:17]) == "4"
    assert find_resident_id_problem(STANDARD_X) is None


def test_a_lower_case_x_and_spaces_are_the_same_number():
    assert normalise_resident_id(" 110105 19491231 002x ") == STANDARD_X
    assert is_valid_resident_id("11010519491231002x")


def test_a_wrong_check_character_names_the_right_one():
    problem = find_resident_id_problem(STANDARD_X[:17] + "1")
    assert problem.code == "check"
    assert "“X”" in problem.message


@pytest.mark.parametrize("position", range(17))
def test_any_single_mistyped_digit_is_caught(position):
    digit = STANDARD_X[position]
    for replacement in "0123456789":
        if replacement == digit:
            continue
        typo = STANDARD_X[:position] + replacement + STANDARD_X[position + 1 :]
        assert find_resident_id_problem(typo) is not None, typo


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "length"),
        ("11010519491231002XX", "length"),
        ("1101051949123100AX", "character"),
        ("1101051949123100X2", "character"),
        ("11010519491231002Y", "character"),
        ("990105194912310020", "region"),
        ("000105194912310020", "region"),
        (make_resident_id("330106", date(1996, 3, 7), 1)[:6] + "19960230" + "0011", "birth_date"),
        ("330106" + "19961301" + "0011", "birth_date"),
    ],
)
def test_each_problem_is_named(number, code):
    assert find_resident_id_problem(number).code == code


def test_a_birth_date_in_the_future_or_before_1900_is_refused():
    tomorrow = make_resident_id("330106", date(2030, 1, 2), 11)
    assert find_resident_id_problem(tomorrow, today=date(2030, 1, 1)).code == "birth_date"
    assert find_resident_id_problem(tomorrow, today=date(2030, 1, 2)) is None
    assert find_resident_id_problem(STANDARD_4).code == "birth_date"


def test_a_leap_day_is_a_date():
    assert find_resident_id_problem(make_resident_id("330106", date(2000, 2, 29), 7)) is None


def test_the_validator_raises_with_the_problems_code():
    with pytest.raises(ValidationError) as caught:
        validate_resident_id(STANDARD_X[:17] + "0")
    assert caught.value.code == "resident_id_check"
    validate_resident_id(STANDARD_X)


def test_the_problem_message_never_repeats_the_number():
    problem = find_resident_id_problem(STANDARD_X[:17] + "0")
    assert STANDARD_X[:17] not in problem.message


def test_the_one_masking_keeps_the_address_code_and_the_last_four():
    assert mask_resident_id(STANDARD_X) == "110105********002X"


def test_free_text_masking_agrees_with_the_one_masking():
    number = make_resident_id("330106", date(1996, 3, 7), 123)
    masked = mask_resident_id(number)
    assert mask_personal_data(f"身份证 {number} 已核验") == f"身份证 {masked} 已核验"
