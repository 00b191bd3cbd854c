"""qinqing.jsontext: the JSON the bulk writers, the outbox and the audit trail store is
what json.dumps with Django's encoder gave (issue #24: encoded about five times faster),
and what orjson refuses fails or succeeds exactly as json.dumps does."""

import dataclasses
import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

from qinqing import jsontext

SHANGHAI = timezone(timedelta(hours=8))


@dataclasses.dataclass
class Point:
    x: int


VALUES = [
    {"amount": Decimal("800.00"), "status": "paid", "n": 3, "ok": True, "none": None},
    {
        "at": datetime(2026, 12, 7, 8, 30, 1, 123456, tzinfo=UTC),
        "local": datetime(2026, 12, 7, 16, 30, 1, 654321, tzinfo=SHANGHAI),
        "naive": datetime(2026, 12, 7, 8, 30),
        "day": date(2026, 12, 7),
        "clock": time(9, 15, 30, 250000),
    },
    {"label": _("status"), "uuid": UUID("12345678-1234-5678-1234-567812345678")},
    {1: "int key", "nested": [{"中文": "员工租房补贴", "tab\t": 'a\\b\n"q"'}, (1, 2)]},
    [1.5, -0.0, 1e16, 12345678901234567890 // 10**3],
    "\u2028 line separator, é, 😀",
]


@pytest.mark.parametrize("value", VALUES)
def test_the_text_means_what_json_dumps_with_djangos_encoder_meant(value):
    ours = jsontext.dumps(value)
    theirs = json.dumps(value, cls=DjangoJSONEncoder)
    assert json.loads(ours) == json.loads(theirs)


def test_dates_and_times_are_written_as_djangos_encoder_writes_them():
    # Django's encoder: milliseconds, "Z" for UTC; orjson alone would keep microseconds.
    text = jsontext.dumps({"at": datetime(2026, 12, 7, 8, 30, 1, 123456, tzinfo=UTC)})
    assert json.loads(text) == {"at": "2026-12-07T08:30:01.123Z"}


def test_what_orjson_refuses_is_written_or_refused_as_json_dumps_would():
    huge = {"n": 2**70}  # beyond 64 bits
    assert jsontext.dumps(huge) == json.dumps(huge, cls=DjangoJSONEncoder)
    lone = {"text": "\ud800"}  # a lone surrogate: json escapes it as json.dumps does
    assert jsontext.dumps(lone) == json.dumps(lone, cls=DjangoJSONEncoder)
    with pytest.raises(TypeError):
        jsontext.dumps({"point": Point(1)})  # nobody knows a dataclass here, as before
    with pytest.raises(TypeError):
        jsontext.plain({"amount": Decimal("1.00")})  # plain JSON types only, as before


def test_a_not_a_number_is_written_null_not_invalid_json():
    assert json.loads(jsontext.dumps({"x": float("nan")})) == {"x": None}
