"""The combined sheet: answers checked against the package's fields, and the rules table
that decides from them which items an application needs. Pure reads, no writes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from departments.models import District
from enterprises.industries import DIVISIONS
from enterprises.models import bank_account_validator

from .models import FieldType, ItemRule, ItemType, Operator, ServicePackage, SheetField

DIVISION_CODES = frozenset(division.code for division in DIVISIONS)
MAX_PEOPLE = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SectionProgress:
    """One line of the applicant's task list."""

    section: str
    answered: int
    required: int

    @property
    def complete(self) -> bool:
        return self.answered >= self.required


def fields_of(package: ServicePackage) -> list[SheetField]:
    return list(package.fields.order_by("order", "pk"))


def _text(field: SheetField, raw: Any) -> str:
    value = str(raw).strip()
    if _CONTROL.search(value):
        raise ValueError(_("Remove the control characters from this answer."))
    limit = 4000 if field.type == FieldType.LONG_TEXT else field.max_length
    if len(value) > limit:
        raise ValueError(_("At most %(max)d characters.") % {"max": limit})
    return value


def _number(field: SheetField, raw: Any, *, places: int | None) -> str:
    text = str(raw).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Enter a number.")) from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 14:
        raise ValueError(_("Enter a number.")) from None
    if places == 0 and value != value.to_integral_value():
        raise ValueError(_("Enter a whole number."))
    if field.min_value is not None and value < field.min_value:
        raise ValueError(_("Must be at least %(min)s.") % {"min": field.min_value})
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    return str(value)


def _people(field: SheetField, raw: Any) -> list[dict[str, str]]:
    """Shareholders and the like: a list of {name, id_number?, share?}; a text answer
    gives one name per line."""
    if isinstance(raw, str):
        raw = [{"name": line} for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, list) or len(raw) > MAX_PEOPLE:
        raise ValueError(_("Give at most %(max)d people.") % {"max": MAX_PEOPLE})
    people = []
    for person in raw:
        if not isinstance(person, Mapping) or not str(person.get("name", "")).strip():
            raise ValueError(_("Every person needs a name."))
        people.append(
            {
                key: _text(field, person[key])
                for key in ("name", "share")
                if key in person and person[key] not in (None, "")
            }
        )
    return people


def _bank_account(raw: Any) -> str:
    """Digits only, as the register keeps them (enterprises.models.bank_account_validator):
    the number is printed in groups, the spaces are not part of it."""
    value = "".join(str(raw).split())
    try:
        bank_account_validator(value)
    except ValidationError as error:
        raise ValueError(error.messages[0]) from None
    return value


def clean_value(field: SheetField, raw: Any) -> Any:
    """The stored form of one answer, or ValueError with a message for the applicant.
    Empty answers are None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        return None
    kind = field.type
    if kind in (FieldType.TEXT, FieldType.LONG_TEXT):
        return _text(field, raw)
    if kind == FieldType.INTEGER:
        return int(_number(field, raw, places=0))
    if kind == FieldType.DECIMAL:
        return _number(field, raw, places=None)
    if kind == FieldType.MONEY:
        return _number(field, raw, places=2)
    if kind == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "on", "1", "是"):
            return True
        if text in ("false", "no", "off", "0", "否"):
            return False
        raise ValueError(_("Answer yes or no."))
    if kind == FieldType.CHOICE:
        allowed = [choice[0] for choice in field.choices]
        if str(raw) not in allowed:
            raise ValueError(_("Choose one of the options offered."))
        return str(raw)
    if kind == FieldType.DISTRICT:
        if not District.objects.filter(code=str(raw)).exists():
            raise ValueError(_("Choose a district of the city."))
        return str(raw)
    if kind == FieldType.INDUSTRY:
        if str(raw) not in DIVISION_CODES:
            raise ValueError(_("Choose an industry division."))
        return str(raw)
    if kind == FieldType.PEOPLE:
        return _people(field, raw)
    if kind == FieldType.BANK_ACCOUNT:
        return _bank_account(raw)
    raise ValueError(_("This question cannot be answered here."))


def clean_answers(
    package: ServicePackage, raw: Mapping[str, Any], *, fields: list[SheetField] | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check the answers given (any subset of the sheet): stored values and errors per key."""
    by_key = {field.key: field for field in (fields or fields_of(package))}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        field = by_key.get(key)
        if field is None:
            errors[key] = [_("This sheet has no question %(key)s.") % {"key": key}]
            continue
        try:
            values[key] = clean_value(field, value)
        except ValueError as error:
            errors[key] = [str(error)]
    return values, errors


def missing_answers(fields: Iterable[SheetField], answers: Mapping[str, Any]) -> dict[str, list]:
    return {
        field.key: [_("This question must be answered.")]
        for field in fields
        if field.required and answers.get(field.key) in (None, "", [])
    }


def progress(fields: Iterable[SheetField], answers: Mapping[str, Any]) -> list[SectionProgress]:
    sections: dict[str, list[int]] = {}
    for field in fields:
        counts = sections.setdefault(field.section, [0, 0])
        if field.required:
            counts[1] += 1
            counts[0] += answers.get(field.key) not in (None, "", [])
    return [SectionProgress(name, done, required) for name, (done, required) in sections.items()]


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


def rule_holds(rule: ItemRule, answers: Mapping[str, Any]) -> bool:
    answer = answers.get(rule.field_key)
    op = rule.operator
    if op == Operator.TRUE:
        return answer is True
    if op == Operator.FALSE:
        return answer is False or answer is None
    if answer is None:
        return False
    if op == Operator.IN:
        options = rule.value if isinstance(rule.value, list) else [rule.value]
        return str(answer) in {str(option) for option in options}
    left, right = _comparable(answer), _comparable(rule.value)
    if op == Operator.EQ:
        return left == right
    if op == Operator.NE:
        return left != right
    try:
        return {
            Operator.GT: left > right,
            Operator.GTE: left >= right,
            Operator.LT: left < right,
            Operator.LTE: left <= right,
        }[op]
    except TypeError:  # a text answer compared with a number: the rule cannot hold
        return False


def needed_item_types(package: ServicePackage, answers: Mapping[str, Any]) -> list[ItemType]:
    """The items this sheet calls for: every item type whose rules all hold."""
    types = package.item_types.select_related("department").prefetch_related("rules")
    return [
        item_type
        for item_type in types.order_by("order", "pk")
        if all(rule_holds(rule, answers) for rule in item_type.rules.all())
    ]


def answers_for(item_type: ItemType, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What one department receives: only the answers its item names."""
    return {key: answers.get(key) for key in item_type.field_keys}
