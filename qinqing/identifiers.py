"""The Unified Social Credit Code (USCC, GB 32100-2015): every enterprise's public identity.

18 characters from 0-9 and A-Y without I, O, S, V, Z (31 characters valued 0-30); the 18th
is a check character computed from the first 17. Characters 9-17 are the organisation code
(GB 11714-1997): 8 characters and its own check character (0-9 or X), which every real code
satisfies too.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}
_NEVER_USED = frozenset("IOSVZ")


@dataclass(frozen=True)
class IdentifierProblem:
    """What is wrong with an identifier (a USCC, a resident identity number), precise
    enough to tell the user how to fix it; never the identifier itself, so a message is
    safe to log."""

    code: str
    message: str


# The names the callers know (and pickled problems, if any) keep working.
UsccProblem = IdentifierProblem


@deconstructible
class IdentifierValidator:
    """Model and form validator built on a find-the-first-problem function: the one
    boilerplate of every identifier's validator (deconstructible for migrations, equal to
    any instance of its own class). A subclass names `find_problem` and `code_prefix`; it
    expects a normalised value."""

    code_prefix = "identifier"

    def find_problem(self, value: str) -> IdentifierProblem | None:
        raise NotImplementedError

    def __call__(self, value: str) -> None:
        problem = self.find_problem(value)
        if problem is not None:
            raise ValidationError(problem.message, code=f"{self.code_prefix}_{problem.code}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


def normalise_uscc(raw: str) -> str:
    """Users paste codes with spaces or in lower case; neither changes the code."""
    return "".join(raw.split()).upper()


def uscc_check_character(first17: str) -> str:
    """The 18th character for the given first 17 (which must use the USCC alphabet)."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def find_uscc_problem(code: str) -> UsccProblem | None:
    """Return the first problem with an (already normalised) code, or None when it is valid."""
    if len(code) != USCC_LENGTH:
        return UsccProblem(
            "length",
            _("A Unified Social Credit Code has 18 characters; this one has %(count)d.")
            % {"count": len(code)},
        )
    for position, char in enumerate(code, start=1):
        if char in _VALUE:
            continue
        if char in _NEVER_USED:
            message = _(
                "Character %(position)d is “%(char)s”, which is never used in a Unified "
                "Social Credit Code (I, O, S, V and Z are left out to avoid confusion)."
            )
        else:
            message = _(
                "Character %(position)d is “%(char)s”; only digits and the capital letters "
                "A–Y except I, O, S, V and Z are allowed."
            )
        return UsccProblem("character", message % {"position": position, "char": char})
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return UsccProblem(
            "check",
            _(
                "The check character (the 18th) is “%(actual)s” but should be “%(expected)s”: "
                "one of the characters is probably mistyped."
            )
            % {"actual": code[17], "expected": expected},
        )
    expected = organisation_check_character(code[8:16])
    if code[16] != expected:
        return UsccProblem(
            "organisation_check",
            _(
                "Characters 9 to 17 are the organisation code, whose check character (the "
                "17th) is “%(actual)s” but should be “%(expected)s”: one of characters 9 to 16 "
                "is probably mistyped."
            )
            % {"actual": code[16], "expected": expected},
        )
    return None


def is_valid_uscc(raw: str) -> bool:
    return find_uscc_problem(normalise_uscc(raw)) is None


@deconstructible
class UsccValidator(IdentifierValidator):
    """Expects a normalised value (see normalise_uscc). Named in enterprises' migrations."""

    code_prefix = "uscc"

    def find_problem(self, value: str) -> IdentifierProblem | None:
        return find_uscc_problem(value)


validate_uscc = UsccValidator()


def make_uscc(body: str, *, registration_authority: str = "9", organisation_type: str = "1") -> str:
    """Build a valid code from the admin-division code and organisation code (16 chars).

    `body` is the 6-digit administrative division code followed by the 9-character
    organisation code; used by demo data and factories.
    """
    first17 = f"{registration_authority}{organisation_type}{body}"
    if len(first17) != 17 or any(char not in _VALUE for char in first17):
        raise ValueError(f"not a USCC body: {body!r}")
    return first17 + uscc_check_character(first17)


# GB 11714 organisation code: 8 characters and a check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_check_character(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body: digits are
    worth 0-9 and letters A-Z 10-35, weighted 3, 7, 9, 10, 5, 8, 4, 2; the check is
    11 − sum mod 11, written X for 10 and 0 for 11."""
    total = sum(int(char, 36) * weight for char, weight in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def organisation_code(body8: str) -> str:
    """Append the GB 11714 check character to an 8-character organisation code body."""
    return body8 + organisation_check_character(body8)


def new_uscc(admin_code: str, body8: str, **kwargs: str) -> str:
    """A valid code for a new enterprise: the 6-digit division code and the 8-character
    organisation code body; both check characters computed (GB 11714, then GB 32100)."""
    return make_uscc(admin_code + organisation_code(body8), **kwargs)
