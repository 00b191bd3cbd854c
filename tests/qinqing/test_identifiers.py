"""USCC validation (GB 32100-2015): what an official or enterprise sees when a code is wrong."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from qinqing.identifiers import (
    USCC_ALPHABET,
    find_uscc_problem,
    is_valid_uscc,
    make_uscc,
    normalise_uscc,
    uscc_check_character,
    validate_uscc,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English here; the Chinese ones are checked separately."""
    with translation.override("en"):
        yield


# Published codes of real enterprises: the standard's example, Alibaba (China), Huawei.
REAL_CODES = ["91110000600037341L", "91330100716105852F", "914403001922038216"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_published_codes_are_valid(code):
    assert find_uscc_problem(code) is None
    validate_uscc(code)  # does not raise


def test_check_character_follows_the_standard_formula():
    # 91110000600037341 -> sum of value*weight mod 31 gives L (value 20)
    assert uscc_check_character("91110000600037341") == "L"


def test_every_check_value_can_be_produced():
    """The check character can be any of the 31 characters, including 0 (sum ≡ 0 mod 31)."""
    seen = {make_uscc(f"330106MA{n:07d}")[-1] for n in range(2000)}
    assert seen == set(USCC_ALPHABET)


@pytest.mark.parametrize(
    ("code", "length"), [("", 0), ("9111000060003734", 16), ("91110000600037341LL", 19)]
)
def test_wrong_length_says_how_long_it_is(code, length):
    problem = find_uscc_problem(code)
    assert problem.code == "length"
    assert f"this one has {length}" in problem.message


@pytest.mark.parametrize("forbidden", ["I", "O", "S", "V", "Z"])
def test_letters_left_out_of_the_alphabet_are_named(forbidden):
    code = "91110000600037341L"
    bad = code[:10] + forbidden + code[11:]
    problem = find_uscc_problem(bad)
    assert problem.code == "character"
    assert f"Character 11 is “{forbidden}”" in problem.message
    assert "never used" in problem.message


@pytest.mark.parametrize("char", ["-", "a", "中", "*"])
def test_other_characters_are_refused_with_their_position(char):
    code = "91110000600037341L"
    bad = char + code[1:]
    problem = find_uscc_problem(bad)
    assert problem.code == "character"
    assert "Character 1 " in problem.message


def test_wrong_check_character_names_the_expected_one():
    problem = find_uscc_problem("91110000600037341X")
    assert problem.code == "check"
    assert "“X”" in problem.message and "“L”" in problem.message


def test_a_single_mistyped_character_is_always_caught():
    """The point of a check character: any one-character typo is detected."""
    code = "91330100716105852F"
    for position in range(17):
        for char in USCC_ALPHABET:
            if char != code[position]:
                typo = code[:position] + char + code[position + 1 :]
                assert not is_valid_uscc(typo), typo


def test_spaces_and_lower_case_are_normalised():
    assert normalise_uscc(" 9111 0000 6000 3734 1l ") == "91110000600037341L"
    assert is_valid_uscc("91110000600037341l")


def test_validator_raises_a_coded_translated_error():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        validate_uscc("91110000600037341X")
    assert caught.value.code == "uscc_check"
    with translation.override("zh-hans"):
        assert "校验" in caught.value.messages[0]


def test_make_uscc_refuses_bodies_outside_the_alphabet():
    with pytest.raises(ValueError):
        make_uscc("330106MA2OOOOOOO")
