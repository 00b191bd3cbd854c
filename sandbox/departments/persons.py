"""The simulated departments' records of private persons (issue #26), deterministic from
the resident identity number: the same person always gets the same answer, and a single
answer is row 0 of the computation a bulk extract would run for millions.

- Social insurance (HRSS): whether the person is insured now, by which enterprise of the
  register (a consistent-hash ring over the register's active enterprises, larger ones
  holding more of it, so a new enterprise takes over only its own arc), since when and
  how many months were paid; nobody under 16 or from 63 is insured.
- The age in whole years (HRSS), from the birth date in the number.
- The talent catalogue level (HRSS): mostly none, a few at levels A-E.
- The bank account held with the social security card (HRSS): for anyone ever insured.
- Housing: owns a home in the city (likelier with age), pays into the provident fund.

Registered into the hub as person providers (`register`, from receivers.py); the hub
never imports this module. Values leave in the departments' spellings (是/否, "B类").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db.models import Count, Max, Min

from datahub.catalogue import PERSON_CATALOGUE, person_interfaces
from datahub.columns import EPOCH
from datahub.providers import NoPersonRecord, register_person_provider
from enterprises.models import Enterprise, EnterpriseStatus

from .simulation import _pick, _salt, _splitmix

TRANSPORT = "inprocess"
# Insurance starts counted back from this month (a fixed anchor: the answers must not
# drift with the day they are asked for).
_ANCHOR_MONTH = 2026 * 12 + 11
# Virtual points on the employer ring per enterprise, by size: larger employers insure more.
_POINTS_BY_SIZE = {"micro": 1, "small": 3, "medium": 10, "large": 30}
_BANKS = (
    ("6222", "中国工商银行杭州分行"),
    ("6217", "中国建设银行杭州分行"),
    ("6228", "中国农业银行杭州分行"),
    ("6216", "中国银行杭州分行"),
    ("6230", "浙江农商银行"),
)
_TALENT = ["无", "A类", "B类", "C类", "D类", "E类"]
_TALENT_WEIGHTS = [0.85, 0.005, 0.02, 0.035, 0.04, 0.05]


def _label_hashes(labels: list[str]) -> np.ndarray:
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "big")
         for label in labels),
        dtype=np.uint64, count=len(labels),
    )  # fmt: skip


_POWERS = 10 ** np.arange(16, -1, -1, dtype=np.int64)


def _digits(numbers: list[str]) -> np.ndarray:
    """The 18 characters of each number as small integers (X as 10), one row each."""
    codes = np.asarray(numbers, dtype="<U18").view(np.uint32).reshape(len(numbers), 18)
    digits = codes.astype(np.int64) - ord("0")
    digits[codes == ord("X")] = 10
    return digits


def person_seeds(numbers: list[str]) -> np.ndarray:
    """One 64-bit seed per number (its first 17 digits, mixed), computed for millions at
    once."""
    return _splitmix(_digits(numbers)[:, :17].dot(_POWERS).astype(np.uint64) ^ _salt("person"))


def _uniform(seeds: np.ndarray, name: str) -> np.ndarray:
    bits = _splitmix(seeds ^ _salt(name))
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


@dataclass(frozen=True)
class EmployerRing:
    """The register's active enterprises on a hash ring: a person's point picks the next."""

    points: np.ndarray  # uint64, ascending
    usccs: np.ndarray  # the enterprise at each point

    @classmethod
    def of(cls, rows: list[tuple[str, str]]) -> EmployerRing:
        """rows: (uscc, size class) of the enterprises that insure people."""
        labels = [f"{uscc}#{k}" for uscc, size in rows for k in range(_POINTS_BY_SIZE[size])]
        owners = [uscc for uscc, size in rows for _k in range(_POINTS_BY_SIZE[size])]
        points = _label_hashes(labels)
        order = np.argsort(points, kind="stable")
        return cls(points[order], np.asarray(owners, dtype="<U18")[order])

    def pick(self, draws: np.ndarray) -> np.ndarray:
        if len(self.points) == 0:
            return np.full(len(draws), "", dtype="<U18")
        index = np.searchsorted(self.points, draws) % len(self.points)
        return self.usccs[index]


_ring_cache: dict[tuple, EmployerRing] = {}


def register_ring() -> EmployerRing:
    """The ring of the register as it is now (rebuilt when the register changes)."""
    active = Enterprise.objects.filter(status=EnterpriseStatus.ACTIVE)
    shape = active.aggregate(n=Count("id"), last=Max("id"), low=Min("uscc"), high=Max("uscc"))
    changed = Enterprise.objects.aggregate(at=Max("status_changed_at"))["at"]
    key = (*shape.values(), changed)
    if key not in _ring_cache:
        _ring_cache.clear()
        _ring_cache[key] = EmployerRing.of(list(active.values_list("uscc", "size_class")))
    return _ring_cache[key]


def simulate_persons(
    numbers: list[str], fact_names: list[str], as_of: date, ring: EmployerRing
) -> dict[str, np.ndarray]:
    """The named person facts for every number, in the hub's column units (datahub.columns):
    booleans, dates as days since 1970 (-1: none), money in fen, text as strings ("" none).
    Also "has_card": whether the person has a social security card (ever insured)."""
    digits = _digits(numbers)
    seeds = _splitmix(digits[:, :17].dot(_POWERS).astype(np.uint64) ^ _salt("person"))
    year = digits[:, 6:10].dot(np.array([1000, 100, 10, 1]))
    month, day = digits[:, 10] * 10 + digits[:, 11], digits[:, 12] * 10 + digits[:, 13]
    birth_month = year * 12 + month - 1
    age = as_of.year - year - ((as_of.month * 100 + as_of.day) < (month * 100 + day))
    month_now = as_of.year * 12 + as_of.month - 1
    career = birth_month + 12 * 18 + np.floor(_uniform(seeds, "career") * 72).astype(np.int64)
    since = np.maximum(_ANCHOR_MONTH - np.floor(_uniform(seeds, "since") * 121).astype(np.int64),
                       career)  # fmt: skip
    working_age = (age >= 16) & (age < 63)
    has_card = working_age & (since <= month_now)
    insured = has_card & (_uniform(seeds, "insured") < 0.85) & (len(ring.points) > 0)
    months = np.where(insured, month_now - since + 1, 0)
    gaps = np.floor(_uniform(seeds, "gaps") * 3).astype(np.int64)
    months = np.where(months > 12, months - gaps, months)
    out: dict[str, np.ndarray] = {"has_card": has_card}
    wanted = set(fact_names)
    if "person.hrss.insured" in wanted:
        out["person.hrss.insured"] = insured
    if "person.hrss.employer_uscc" in wanted:
        out["person.hrss.employer_uscc"] = np.where(
            insured, ring.pick(_splitmix(seeds ^ _salt("employer"))), ""
        )
    if "person.hrss.insured_since" in wanted:
        # Months since 1970 -> the first day of the month, in days since 1970.
        first = (since - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
        out["person.hrss.insured_since"] = np.where(insured, first.astype(np.int64), -1)
    if "person.hrss.months_paid" in wanted:
        out["person.hrss.months_paid"] = months
    if "person.hrss.age" in wanted:
        out["person.hrss.age"] = age.astype(np.int64)
    if "person.talent.level" in wanted:
        level = _pick(_uniform(seeds, "talent"), _TALENT, _TALENT_WEIGHTS)
        level[age < 18] = "无"
        out["person.talent.level"] = level
    bank = np.floor(_uniform(seeds, "bank") * len(_BANKS)).astype(np.int64)
    if "person.bank.account" in wanted:
        tail = (_splitmix(seeds ^ _salt("account")) % np.uint64(10**15)).astype(np.int64)
        prefixes = np.asarray([prefix for prefix, _name in _BANKS], dtype="<U4")[bank]
        out["person.bank.account"] = np.char.add(prefixes, np.char.zfill(tail.astype("<U15"), 15))
    if "person.bank.name" in wanted:
        out["person.bank.name"] = np.asarray([name for _prefix, name in _BANKS])[bank]
    owns = _uniform(seeds, "home") < np.clip(0.05 + (age - 22) * 0.025, 0.03, 0.75)
    if "person.housing.owns_home" in wanted:
        out["person.housing.owns_home"] = owns & (age >= 18)
    fund = insured & (_uniform(seeds, "fund") < 0.8)
    if "person.housing.provident_fund" in wanted:
        out["person.housing.provident_fund"] = fund
    if "person.housing.provident_fund_monthly" in wanted:
        yuan = np.floor(300 + _uniform(seeds, "fund-amount") * 3200).astype(np.int64)
        out["person.housing.provident_fund_monthly"] = np.where(fund, yuan * 100, 0)
    return out


def _wire(name: str, column: np.ndarray) -> object:
    """Row 0 of a column as the department writes it."""
    value = column[0]
    if column.dtype == np.bool_:
        return "是" if value else "否"
    if name == "person.hrss.insured_since":
        return "" if value < 0 else date.fromordinal(EPOCH.toordinal() + int(value)).isoformat()
    if name == "person.housing.provident_fund_monthly":
        return f"{int(value) // 100}.{int(value) % 100:02d}"
    if name in ("person.hrss.months_paid", "person.hrss.age"):
        return int(value)
    return str(value)


def answer_for(interface: str):
    """The answer function of one person interface."""
    specs = {spec.wire_field: spec for spec in person_interfaces()[interface]}

    def answer(number: str, wire_fields: list[str], as_of: date) -> dict:
        if any(field not in specs for field in wire_fields):
            raise NoPersonRecord(f"no field of those in {interface}")
        names = [specs[field].name for field in wire_fields]
        columns = simulate_persons([number], names, as_of, register_ring())
        if interface == "hrss.social_security_card" and not columns["has_card"][0]:
            raise NoPersonRecord("no social security card")
        return {field: _wire(specs[field].name, columns[specs[field].name])
                for field in wire_fields}  # fmt: skip

    return answer


def extract(numbers: list[str], fact_names: list[str], as_of: date) -> dict[str, np.ndarray]:
    """The bulk extract of person facts (the hub's column units), for batch evaluation."""
    columns = simulate_persons(numbers, fact_names, as_of, register_ring())
    out = {name: columns[name] for name in fact_names if name in PERSON_CATALOGUE}
    # Nobody without a social security card has its account: "" (none), as the single
    # answer is "no record".
    for name in ("person.bank.account", "person.bank.name"):
        if name in out:
            out[name] = np.where(columns["has_card"], out[name], "")
    return out


def register() -> None:
    """Every person interface of the catalogue, answered by this simulation."""
    for interface in person_interfaces():
        register_person_provider(interface, answer_for(interface), extract, transport=TRANSPORT)
