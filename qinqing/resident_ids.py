"""The resident identity number (公民身份号码, GB 11643-1999): how a person is known.

18 characters: a 6-digit address code (the first two name the province), the birth date
(YYYYMMDD), a 3-digit sequence number and a check character (0-9 or X) computed from the
first 17 by ISO 7064 MOD 11-2. Validated like the USCC (qinqing/identifiers.py): the first
problem found, precise enough to tell the user what to fix.

The number is personal information (PIPL): it is shown only through `mask_resident_id`
(330106********123X), the one masking of it, and stored only as the register keeps it
(enterprises/persons/protection.py: a keyed hash to find it, an encrypted copy to use it).
"""

from datetime import date

import numpy as np
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from .identifiers import IdentifierProblem, IdentifierValidator
from .masking import mask_digits

RESIDENT_ID_LENGTH = 18
# ISO 7064 MOD 11-2: the weight of position i (1-based, from the left) is 2^(18-i) mod 11.
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
# The province-level codes of GB/T 2260 (and 81-83: residence permits of Hong Kong, Macao
# and Taiwan residents, which use the same numbering).
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)  # fmt: skip
EARLIEST_BIRTH = date(1900, 1, 1)


# What is wrong with a number (never the number itself: messages are safe to log).
ResidentIdProblem = IdentifierProblem


def normalise_resident_id(raw: str) -> str:
    """Users paste numbers with spaces or a lower-case x; neither changes the number."""
    return "".join(raw.split()).upper()


def resident_id_check_character(first17: str) -> str:
    """The 18th character for the given first 17 digits."""
    total = sum(
        int(char) * weight for char, weight in zip(first17, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return _CHECK_CHARACTERS[total % 11]


def birth_date_of(number: str) -> date | None:
    """The birth date written in characters 7 to 14, or None when it is not a date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def find_resident_id_problem(number: str, *, today: date | None = None) -> ResidentIdProblem | None:
    """The first problem with an (already normalised) number, or None when it is valid."""
    if len(number) != RESIDENT_ID_LENGTH:
        return ResidentIdProblem(
            "length",
            _("A resident identity number has 18 characters; this one has %(count)d.")
            % {"count": len(number)},
        )
    for position, char in enumerate(number, start=1):
        if char.isascii() and char.isdigit():
            continue
        if position == RESIDENT_ID_LENGTH and char == "X":
            continue
        if position == RESIDENT_ID_LENGTH:
            message = _("The last character must be a digit or X.")
        else:
            message = _("Character %(position)d must be a digit.") % {"position": position}
        return ResidentIdProblem("character", message)
    if int(number[:2]) not in PROVINCE_CODES:
        return ResidentIdProblem(
            "region",
            _(
                "The first two digits (%(code)s) name no province: the number probably "
                "starts with a mistyped address code."
            )
            % {"code": number[:2]},
        )
    born = birth_date_of(number)
    if born is None:
        return ResidentIdProblem(
            "birth_date",
            _("Characters 7 to 14 must be the birth date (YYYYMMDD); %(text)s is no date.")
            % {"text": number[6:14]},
        )
    today = today or timezone.localdate()
    if born > today or born < EARLIEST_BIRTH:
        return ResidentIdProblem(
            "birth_date",
            _("The birth date in characters 7 to 14 (%(born)s) cannot be right.")
            % {"born": born.isoformat()},
        )
    expected = resident_id_check_character(number[:17])
    if number[17] != expected:
        return ResidentIdProblem(
            "check",
            _(
                "The check character (the 18th) is “%(actual)s” but should be “%(expected)s”: "
                "one of the digits is probably mistyped."
            )
            % {"actual": number[17], "expected": expected},
        )
    return None


def is_valid_resident_id(raw: str) -> bool:
    return find_resident_id_problem(normalise_resident_id(raw)) is None


@deconstructible
class ResidentIdValidator(IdentifierValidator):
    """Expects a normalised value (see normalise_resident_id)."""

    code_prefix = "resident_id"

    def find_problem(self, value: str) -> IdentifierProblem | None:
        return find_resident_id_problem(value)


validate_resident_id = ResidentIdValidator()


def make_resident_id(address: str, born: date, sequence: int) -> str:
    """A valid number from its parts (demo data and factories): the 6-digit address code,
    the birth date and the 3-digit sequence number (odd for men, even for women)."""
    first17 = f"{address}{born:%Y%m%d}{sequence:03d}"
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("not the parts of a resident identity number")
    return first17 + resident_id_check_character(first17)


def mask_resident_id(number: str) -> str:
    """The one way a resident identity number is shown: the address code and the last
    four characters, 330106********123X (the same as qinqing.masking does in free text)."""
    return mask_digits(number, keep_start=6, keep_end=4)


# --- Many at once (bulk registration) -------------------------------------------------------
_CHECK_CODES = np.array([ord(char) for char in _CHECK_CHARACTERS], dtype=np.int64)
_WEIGHTS = np.array(RESIDENT_ID_WEIGHTS, dtype=np.int64)
_PROVINCES = np.array(sorted(PROVINCE_CODES), dtype=np.int64)


def invalid_resident_ids(numbers: list[str], *, today: date | None = None) -> np.ndarray:
    """The positions of the (normalised) numbers that find_resident_id_problem would refuse,
    computed for millions at once: length, characters, province, birth date, check
    character. Ask find_resident_id_problem for the precise message of one."""
    count = len(numbers)
    if not count:
        return np.array([], dtype=np.int64)
    lengths = np.fromiter(map(len, numbers), dtype=np.int64, count=count)
    good = lengths == RESIDENT_ID_LENGTH
    padded = numbers if good.all() else [n if len(n) == RESIDENT_ID_LENGTH else "0" * 18
                                         for n in numbers]  # fmt: skip
    codes = np.asarray(padded, dtype="<U18").view(np.uint32).reshape(count, 18).astype(np.int64)
    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    good &= is_digit[:, :17].all(axis=1) & (is_digit[:, 17] | (codes[:, 17] == ord("X")))
    digits = np.where(is_digit, codes - ord("0"), 0)
    good &= np.isin(digits[:, 0] * 10 + digits[:, 1], _PROVINCES)
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    good &= (month >= 1) & (month <= 12) & (year >= EARLIEST_BIRTH.year)
    first = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    month_days = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(
        np.int64
    )
    good &= (day >= 1) & (day <= month_days)
    born = first.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1)
    today = today or timezone.localdate()
    good &= born <= np.datetime64(today.isoformat(), "D")
    good &= _CHECK_CODES[(digits[:, :17] @ _WEIGHTS) % 11] == codes[:, 17]
    return np.flatnonzero(~good)


def birth_years(numbers: list[str]) -> np.ndarray:
    """The birth year of each (valid) number."""
    codes = np.asarray(numbers, dtype="<U18").view(np.uint32).reshape(len(numbers), 18)
    return (codes[:, 6:10].astype(np.int64) - ord("0")) @ np.array([1000, 100, 10, 1])
