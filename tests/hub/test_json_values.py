"""datahub.columns.json_values: a whole column turned into the JSON values a batch claim
keeps, exactly as turning each cell into its typed value and then into JSON
(facttypes.to_json(columns.python_value(...))) does, a column at a time (the chunks of a
5,000,000-person run carry millions of them)."""

from datetime import date

import numpy as np
import pytest

from datahub.catalogue import CATALOGUE, PERSON_CATALOGUE, FactType
from datahub.columns import EPOCH, json_values, python_value
from datahub.facttypes import to_json
from subsidies.chunk_rows import facts_by_row, person_rows_at


def spec_of(kind: FactType):
    return next(spec for spec in (*CATALOGUE.values(), *PERSON_CATALOGUE.values())
                if spec.type is kind)  # fmt: skip


def one_by_one(spec, column: np.ndarray) -> list:
    return [to_json(python_value(spec, column, row)) for row in range(len(column))]


EDGES = [0, 1, -1, 9, -9, 10, -10, 99, -99, 100, -100, 101, -101, 12345, -12345,
         2**53 + 7, -(2**53) - 7, 2**62, -(2**62)]  # fmt: skip


@pytest.mark.parametrize("kind", [FactType.MONEY, FactType.DECIMAL, FactType.INTEGER])
def test_numbers_come_out_as_the_typed_values_would(kind):
    rng = np.random.default_rng(7)
    column = np.concatenate([np.array(EDGES, dtype=np.int64),
                             rng.integers(-10**9, 10**9, 2000, dtype=np.int64)])  # fmt: skip
    spec = spec_of(kind)
    assert json_values(spec, column) == one_by_one(spec, column)


def test_money_keeps_its_cents_and_its_sign():
    spec = spec_of(FactType.MONEY)
    assert json_values(spec, np.array([123450, -5, 0, -100], dtype=np.int64)) == [
        "1234.50", "-0.05", "0.00", "-1.00"]  # fmt: skip


def test_dates_across_the_whole_range_a_date_holds():
    spec = spec_of(FactType.DATE)
    days = [(date.min - EPOCH).days, (date(999, 5, 3) - EPOCH).days, -1, 0, 20_000,
            (date(2024, 2, 29) - EPOCH).days, (date.max - EPOCH).days]  # fmt: skip
    column = np.array(days, dtype=np.int64)
    assert json_values(spec, column) == one_by_one(spec, column)


def test_a_day_beyond_what_a_date_holds_fails_as_before():
    spec = spec_of(FactType.DATE)
    with pytest.raises(OverflowError):
        json_values(spec, np.array([0, (date.max - EPOCH).days + 1], dtype=np.int64))


def test_booleans_and_text():
    boolean = spec_of(FactType.BOOLEAN)
    flags = np.array([1, 0, 1], dtype=np.uint8)
    assert json_values(boolean, flags) == one_by_one(boolean, flags) == [True, False, True]
    text = next(spec for spec in CATALOGUE.values() if spec.type is FactType.ENUM)
    words = np.array(["小型", "medium", ""], dtype="<U8")
    assert json_values(text, words) == one_by_one(text, words)
    assert all(type(value) is str for value in json_values(text, words))


class _Snapshot:
    """The columns a chunk's rows are made from, as a snapshot holds them."""

    def __init__(self, columns: dict, known: dict, person_ids=None):
        self.columns, self.known = columns, known
        self.person_ids = np.asarray(person_ids if person_ids is not None else [], dtype=np.int64)


def test_a_chunks_facts_unknown_where_the_extract_does_not_know():
    money = next(name for name, spec in CATALOGUE.items() if spec.type is FactType.MONEY)
    day = next(name for name, spec in CATALOGUE.items() if spec.type is FactType.DATE)
    snapshot = _Snapshot(
        {money: np.array([150, -20, 7], dtype=np.int64), day: np.array([0, 19000, 5])},
        {money: np.array([True, True, False]), day: np.array([True, False, True])},
    )
    assert facts_by_row(snapshot, [money, day], np.array([2, 0, 1])) == [
        {money: None, day: "1970-01-06"},
        {money: "1.50", day: "1970-01-01"},
        {money: "-0.20", day: None},
    ]


def test_a_persons_payment_row_has_no_start_date_where_the_department_gives_none():
    snapshot = _Snapshot(
        {"person.bank.name": np.array(["杭州银行", "工商银行"]),
         "person.bank.account": np.array(["6222020200112233445", "6212260000000000001"]),
         "person.hrss.insured_since": np.array([-1, 19000], dtype=np.int64)},
        {"person.bank.name": np.array([True, True]),
         "person.bank.account": np.array([True, False]),
         "person.hrss.insured_since": np.array([True, True])},
        person_ids=[41, 42],
    )  # fmt: skip
    assert person_rows_at(snapshot, np.array([1, 0])) == [
        [42, "工商银行", "", "2022-01-08"],
        [41, "杭州银行", "6222020200112233445", None],
    ]
