"""Deterministic simulated department data, computed for many enterprises at once.

The departments are not ours, so their systems are simulated. The same enterprise always
gets the same answer (values derive from a hash of its USCC, the fact and the period), with
a realistic spread: some enterprises owe tax, have nobody insured, are deregistered or on
the abnormal-operations list, so that every typical criterion has enterprises that fail it.

One vectorised function serves both paths: a single-enterprise answer is row 0 of the
same computation the bulk extract runs for a million rows, so the two always agree. The
columns are in the hub's units (datahub.columns).
"""

import hashlib
from dataclasses import dataclass
from datetime import date

import numpy as np

from datahub.catalogue import CATALOGUE
from datahub.columns import EPOCH

SIZE_CODES = {"micro": 0, "small": 1, "medium": 2, "large": 3}
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass
class RegisterColumns:
    """What the simulated departments know of each enterprise: the market register."""

    uscc: list[str]
    size: np.ndarray  # int8, SIZE_CODES
    capital_fen: np.ndarray  # int64
    established_days: np.ndarray  # int64, days since 1970-01-01
    division: np.ndarray  # int16, 1..97
    section: np.ndarray  # <U1

    def __len__(self) -> int:
        return len(self.uscc)

    @classmethod
    def from_rows(cls, rows: list[tuple]) -> "RegisterColumns":
        """rows: register entries (datahub.adapters.RegisterEntry's order: uscc, size_class,
        registered_capital, established_on, division, section)."""
        return cls(
            uscc=[row[0] for row in rows],
            size=np.array([SIZE_CODES[row[1]] for row in rows], dtype=np.int8),
            capital_fen=np.array([int(row[2] * 100) for row in rows], dtype=np.int64),
            established_days=np.array([(row[3] - EPOCH).days for row in rows], dtype=np.int64),
            division=np.array([int(row[4]) for row in rows], dtype=np.int16),
            section=np.array([row[5] for row in rows], dtype="<U1"),
        )


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return x ^ (x >> np.uint64(31))


def _salt(text: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big"))


def enterprise_seeds(usccs: list[str]) -> np.ndarray:
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(code.encode(), digest_size=8).digest(), "big")
         for code in usccs),
        dtype=np.uint64, count=len(usccs),
    )  # fmt: skip


class _Draws:
    """Independent uniform draws in [0, 1) per enterprise, one stream per named purpose."""

    def __init__(self, seeds: np.ndarray) -> None:
        self.seeds = seeds

    def uniform(self, name: str) -> np.ndarray:
        bits = _splitmix(self.seeds ^ _salt(name))
        return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)

    def between(self, name: str, low: float, high: float) -> np.ndarray:
        return low + (high - low) * self.uniform(name)


def simulate(columns: RegisterColumns, fact_names: list[str], as_of: date) -> dict[str, np.ndarray]:
    """Values of the named facts for every enterprise, as exact numpy columns:
    money in fen (int64), quantities in tenths (int64), dates in days since 1970 (int64),
    booleans (bool), enumerations as their string value."""
    draws = _Draws(enterprise_seeds(columns.uscc))
    period = f"{as_of.year}-{as_of.month:02d}"
    size = columns.size
    # The enterprise's "true" workforce, shared by every department that reflects it.
    low = np.array([1, 10, 100, 1000])[size]
    high = np.array([9, 99, 999, 5000])[size]
    employees = np.floor(low + (high - low + 1) * draws.uniform("employees")).astype(np.int64)
    employees[draws.uniform("nobody-insured") < 0.04] = 0
    out: dict[str, np.ndarray] = {}
    wanted = set(fact_names)

    def need(*names: str) -> bool:
        return bool(wanted.intersection(names))

    if need("hrss.insured_employees", *[f"hrss.insured_employees_m{n}" for n in range(1, 13)]):
        out["hrss.insured_employees"] = employees
        for n in range(1, 13):
            wobble = draws.between(f"insured-{period}-{n}", 0.85, 1.1)
            out[f"hrss.insured_employees_m{n}"] = np.floor(employees * wobble).astype(np.int64)
    if need("hrss.new_hires_this_year"):
        share = draws.between(f"hires-{as_of.year}", 0.0, 0.3)
        out["hrss.new_hires_this_year"] = np.floor(employees * share).astype(np.int64)
    if need("hrss.continuous_contribution_months"):
        age_months = np.maximum(((as_of - EPOCH).days - columns.established_days) // 30, 0)
        months = np.minimum(age_months, np.floor(draws.between("contrib", 6, 240)))
        broken = draws.uniform("contrib-broken") < 0.06
        months[broken] = np.floor(draws.between("contrib-short", 0, 6))[broken]
        months[employees == 0] = 0
        out["hrss.continuous_contribution_months"] = months.astype(np.int64)
    if need("hrss.annual_wage_bill"):
        wage_yuan = np.floor(draws.between(f"wage-{as_of.year - 1}", 60_000, 150_000))
        out["hrss.annual_wage_bill"] = (employees * wage_yuan * 100).astype(np.int64)

    revenue_fen = (employees * np.floor(draws.between(f"rev-{as_of.year - 1}", 2e5, 2e6))
                   * 100).astype(np.int64)  # fmt: skip
    if need("tax.annual_revenue"):
        out["tax.annual_revenue"] = revenue_fen
    if need("tax.tax_paid"):
        rate = draws.between(f"taxrate-{as_of.year - 1}", 0.01, 0.06)
        out["tax.tax_paid"] = np.floor(revenue_fen * rate).astype(np.int64)
    if need("tax.credit_grade"):
        out["tax.credit_grade"] = _pick(
            draws.uniform("taxgrade"), list("ABMCD"), [0.35, 0.4, 0.2, 0.03, 0.02]
        )
    if need("tax.arrears"):
        owes = draws.uniform(f"arrears-{period}") < 0.08
        amount = np.floor(draws.between("arrears-amount", 1_000, 500_000) * 100).astype(np.int64)
        out["tax.arrears"] = np.where(owes, amount, 0)
    if need("tax.last_filing_on"):
        days_ago = np.floor(draws.between(f"filing-{period}", 1, 90)).astype(np.int64)
        out["tax.last_filing_on"] = (as_of - EPOCH).days - days_ago

    registered = draws.uniform("lease") < 0.75
    area_tenths = np.where(
        registered, np.floor(np.maximum(employees, 1) * draws.between("area", 5, 30) * 10), 0
    ).astype(np.int64)
    if need("housing.lease_registered"):
        out["housing.lease_registered"] = registered
    if need("housing.leased_floor_area"):
        out["housing.leased_floor_area"] = area_tenths
    if need("housing.monthly_rent"):
        rent_per_m2 = np.floor(draws.between("rent", 30, 150))
        out["housing.monthly_rent"] = (area_tenths * rent_per_m2 * 10).astype(np.int64)
    if need("housing.lease_expires_on"):
        ahead = np.floor(draws.between("lease-end", 30, 5 * 365)).astype(np.int64)
        out["housing.lease_expires_on"] = np.where(
            registered, (as_of - EPOCH).days + ahead, (as_of - EPOCH).days - 1
        )

    if need("market.registration_status"):
        out["market.registration_status"] = _pick(
            draws.uniform("status"), ["active", "revoked", "deregistered"], [0.96, 0.02, 0.02]
        )
    if need("market.established_on"):
        out["market.established_on"] = columns.established_days.copy()
    if need("market.industry_code"):
        out["market.industry_code"] = np.char.zfill(columns.division.astype(str), 2)
    if need("market.registered_capital"):
        out["market.registered_capital"] = columns.capital_fen.copy()
    if need("market.abnormal_operations"):
        out["market.abnormal_operations"] = draws.uniform(f"abnormal-{period}") < 0.04

    manufacturing = columns.section == "C"
    holds_land = draws.uniform("land") < np.where(manufacturing, 0.4, 0.03)
    parcels = np.where(holds_land, np.floor(draws.between("parcels", 1, 4)), 0).astype(np.int64)
    if need("planning.land_parcels"):
        out["planning.land_parcels"] = parcels
    if need("planning.land_use_type"):
        use = np.where(manufacturing, "industrial", "commercial").astype("<U10")
        use[draws.uniform("mixed-use") < 0.1] = "mixed"
        use[parcels == 0] = "none"
        out["planning.land_use_type"] = use
    return {name: out[name] for name in fact_names if name in out}


def _pick(uniform: np.ndarray, values, weights) -> np.ndarray:
    edges = np.cumsum(weights)
    return np.asarray(values, dtype="<U16")[
        np.minimum(np.searchsorted(edges, uniform), len(edges) - 1)
    ]


def simulated_facts() -> set[str]:
    """Facts a simulated department can answer (credit comes from the credit capability)."""
    return {name for name, spec in CATALOGUE.items() if spec.department != "ndrc"}
