"""Values arrive as each department writes them ("1,234.50", "2015年6月1日", "是");
they leave as the catalogue's type. A string never reaches a comparison."""

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from qinqing.money import yuan

from .catalogue import FactSpec, FactType

# The JSON form of a value lives with the types (no Django, for the rule engine); read here
# too by the callers that normalise and store.
from .facttypes import to_json

__all__ = ["FactValue", "MalformedValue", "normalise", "to_json"]

FactValue = Decimal | int | date | bool | str


class MalformedValue(ValueError):
    """The department sent something that is not a value of the declared type."""


_TRUE = {"1", "true", "yes", "y", "是", "有", "t"}
_FALSE = {"0", "false", "no", "n", "否", "无", "f"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
_NUMBER_NOISE = re.compile(r"[,，\s¥￥元]|m²|平方米")


def normalise(spec: FactSpec, raw: Any) -> FactValue:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise MalformedValue(f"{spec.name}: empty value")
    try:
        return _CONVERTERS[spec.type](spec, raw)
    except MalformedValue:
        raise
    except (ValueError, TypeError, InvalidOperation, ArithmeticError) as error:
        raise MalformedValue(f"{spec.name}: {raw!r} is not a {spec.type.value}") from error


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise MalformedValue("a boolean is not a number")
    if isinstance(raw, float):
        # JSON decoders here use Decimal; a float means precision may already be lost.
        raise MalformedValue("a float is not an exact amount")
    text = _NUMBER_NOISE.sub("", str(raw))
    value = Decimal(text)
    if not value.is_finite():
        raise MalformedValue(f"{raw!r} is not finite")
    return value


def _money(spec: FactSpec, raw: Any) -> Decimal:
    value = _decimal(raw)
    if value != value.quantize(Decimal("0.01")):
        raise MalformedValue(f"{spec.name}: {raw!r} has more than two decimal places")
    return yuan(value)


def _quantity(spec: FactSpec, raw: Any) -> Decimal:
    """Quantities are kept to one decimal place (a tenth of a m²), as the extracts store
    them; a finer value from a department is rounded half up, never silently truncated."""
    return _decimal(raw).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _integer(spec: FactSpec, raw: Any) -> int:
    value = _decimal(raw)
    if value != value.to_integral_value():
        raise MalformedValue(f"{spec.name}: {raw!r} is not a whole number")
    return int(value)


def _date(spec: FactSpec, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise MalformedValue(f"{spec.name}: {raw!r} is not a date in a known format")


def _boolean(spec: FactSpec, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise MalformedValue(f"{spec.name}: {raw!r} is not yes or no")


def _enum(spec: FactSpec, raw: Any) -> str:
    text = str(raw).strip()
    value = spec.aliases.get(text, text)
    if value not in spec.choices and value.upper() in spec.choices:
        value = value.upper()
    if value not in spec.choices:
        raise MalformedValue(f"{spec.name}: {raw!r} is not one of {', '.join(spec.choices)}")
    return value


_CONVERTERS = {
    FactType.MONEY: _money,
    FactType.DECIMAL: _quantity,
    FactType.INTEGER: _integer,
    FactType.DATE: _date,
    FactType.BOOLEAN: _boolean,
    FactType.ENUM: _enum,
}
