"""A city's worth of data for the dashboards' benchmark and for looking at the pages.

`generate_city_data` (the management command) calls `generate()`: enterprises with credit
grades, published policies with budgets, claims with their disbursements and ledger,
industrial-project approvals with commitments and permits, direct-line requests, data-hub
calls and one drawn inspection campaign, spread over the 18 months before `as_of`.

Why not the services: they are the right way to make one record (checks, locks, audit),
and about a thousand times too slow for a million. The rows written here respect every
database constraint and the services' invariants that the dashboards read (a paid claim
has exactly one confirmed disbursement and its two ledger legs; a budget's reserve covers
what was paid or is being paid; an open item has a deadline, a paused one has an open
pause). The inspection campaign alone goes through the services, so its draw verifies.

Deterministic: the same seed, volumes and `as_of` write the same rows. On PostgreSQL rows
go in with COPY (ids chosen here, sequences moved past them afterwards); elsewhere
(SQLite, for tests) with executemany, which is slow but fine for small volumes.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, models, transaction
from django.utils import timezone

# Every generated run names its policies "citydata-<generation>-…": the marker a second run
# looks for before it writes anything.
POLICY_PREFIX = "citydata-"
WINDOW_MONTHS = 18
CHUNK = 50_000


class AlreadyGenerated(Exception):
    """The database already holds generated data and --force was not given."""


@dataclass(frozen=True)
class Volumes:
    enterprises: int = 1_000_000
    claims: int = 1_000_000
    items: int = 100_000
    requests: int = 100_000
    data_calls: int = 1_000_000
    selections: int = 10_000

    def scaled(self, factor: float) -> Volumes:
        return Volumes(
            **{name: max(0, round(value * factor)) for name, value in self.__dict__.items()}
        )


@dataclass
class Summary:
    generation: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # rows written per step
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [f"generation {self.generation}: records"]
        lines += [f"  {name:<24} {count:>10,}" for name, count in self.counts.items()]
        lines.append("steps: rows written (all tables) and seconds")
        lines += [
            f"  {name:<24} {self.rows.get(name, 0):>10,} {secs:>8.1f}s"
            for name, secs in self.seconds.items()
        ]
        total = sum(self.seconds.values())
        lines.append(f"  {'total':<24} {sum(self.rows.values()):>10,} {total:>8.1f}s")
        return lines


# --- Writing rows ------------------------------------------------------------------------


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def _next_id(model: type[models.Model]) -> int:
    top = model.objects.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _default(field: models.Field) -> Any:
    value = field.get_default()
    if value is None and not field.null:
        raise ValueError(f"{field.model.__name__}.{field.name} needs a value")
    if isinstance(field, models.JSONField) and value is not None:
        return json.dumps(value)
    return value


def write_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `names`, the primary key included when given)
    into `model`'s table. JSON values are passed already dumped to text; datetimes aware.
    Columns not named get their field's default (the database has none of its own).
    Returns the number of rows written."""
    table = connection.ops.quote_name(model._meta.db_table)
    given = set(_columns(model, names))
    # An omitted primary key comes from the table's sequence.
    missing = [
        f for f in model._meta.concrete_fields if f.column not in given and not f.primary_key
    ]
    defaults = tuple(_default(f) for f in missing)
    if defaults:
        rows = (tuple(row) + defaults for row in rows)
    names = [*names, *(f.name for f in missing)]
    columns = ", ".join(connection.ops.quote_name(c) for c in _columns(model, names))
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    written += 1
        else:
            marks = ", ".join(["%s"] * len(names))
            # Table and column names come from the model's meta, never from input.
            statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            batch: list[list] = []
            for row in rows:
                batch.append([_sqlite_value(value) for value in row])
                if len(batch) >= 5000:
                    cursor.executemany(statement, batch)
                    written += len(batch)
                    batch = []
            if batch:
                cursor.executemany(statement, batch)
                written += len(batch)
        if "id" in names and connection.vendor == "postgresql" and written:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {table}))",  # noqa: S608
                [model._meta.db_table],
            )
    return written


def _ts(seconds: np.ndarray) -> list[str] | list[datetime]:
    """Epoch seconds (UTC) as values a COPY or an INSERT takes, vectorised."""
    micro = np.round(np.asarray(seconds, dtype=np.float64) * 1e6).astype(np.int64)
    stamps = np.datetime_as_string(micro.astype("datetime64[us]"), unit="us")
    if connection.vendor == "postgresql":
        return [f"{text}+00" for text in stamps.tolist()]
    return [datetime.fromisoformat(text).replace(tzinfo=UTC) for text in stamps.tolist()]


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _money(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --- What the city looks like -----------------------------------------------------------


@dataclass(frozen=True)
class PolicySpec:
    slug: str
    department: str
    title_zh: str
    title_en: str
    benefit_type: str
    mode: str  # automatic / confirm / apply
    period: str  # yearly / quarterly / once
    median_yuan: int
    cap_yuan: int
    weight: float  # share of the claims
    sections: tuple[str, ...] = ()


POLICIES: tuple[PolicySpec, ...] = (
    PolicySpec(
        "stable-jobs",
        "hrss",
        "稳岗返还补贴",
        "Job stability refund",
        "employment_subsidy",
        "automatic",
        "yearly",
        3000,
        50000,
        0.16,
    ),
    PolicySpec(
        "hiring-graduates",
        "hrss",
        "吸纳高校毕业生就业补贴",
        "Hiring graduates subsidy",
        "employment_subsidy",
        "automatic",
        "quarterly",
        1500,
        20000,
        0.09,
    ),
    PolicySpec(
        "training",
        "hrss",
        "以工代训补贴",
        "Training-on-the-job subsidy",
        "employment_subsidy",
        "confirm",
        "quarterly",
        2000,
        30000,
        0.07,
    ),
    PolicySpec(
        "small-rent",
        "housing",
        "小微企业房租补贴",
        "Rent subsidy for small enterprises",
        "rent_subsidy",
        "confirm",
        "yearly",
        8000,
        30000,
        0.08,
    ),
    PolicySpec(
        "fee-relief",
        "taxation",
        "小微企业“六税两费”减免",
        "Six taxes and two fees relief",
        "tax_relief",
        "automatic",
        "quarterly",
        1200,
        10000,
        0.12,
    ),
    PolicySpec(
        "vat-refund",
        "taxation",
        "增值税留抵退税",
        "VAT credit refund",
        "tax_relief",
        "automatic",
        "yearly",
        20000,
        500000,
        0.05,
    ),
    PolicySpec(
        "rd-award",
        "science",
        "企业研发投入奖励",
        "R&D investment award",
        "award",
        "apply",
        "yearly",
        50000,
        1000000,
        0.03,
        ("C", "I", "M"),
    ),
    PolicySpec(
        "high-tech",
        "science",
        "高新技术企业认定奖励",
        "High-tech enterprise award",
        "award",
        "apply",
        "once",
        200000,
        500000,
        0.01,
        ("C", "I", "M"),
    ),
    PolicySpec(
        "digital-upgrade",
        "economy",
        "数字化改造补助",
        "Digital upgrade grant",
        "cash_subsidy",
        "apply",
        "yearly",
        80000,
        2000000,
        0.02,
        ("C",),
    ),
    PolicySpec(
        "specialised-sme",
        "economy",
        "专精特新企业奖励",
        "Specialised and innovative SME award",
        "award",
        "apply",
        "once",
        300000,
        1000000,
        0.01,
        ("C", "I"),
    ),
    PolicySpec(
        "energy-saving",
        "economy",
        "节能技术改造补助",
        "Energy-saving retrofit grant",
        "cash_subsidy",
        "confirm",
        "yearly",
        30000,
        500000,
        0.02,
        ("C", "D"),
    ),
    PolicySpec(
        "export-credit",
        "commerce",
        "出口信用保险保费补助",
        "Export credit insurance premium subsidy",
        "cash_subsidy",
        "automatic",
        "quarterly",
        5000,
        100000,
        0.06,
        ("C", "F"),
    ),
    PolicySpec(
        "e-commerce",
        "commerce",
        "跨境电商发展扶持",
        "Cross-border e-commerce support",
        "cash_subsidy",
        "confirm",
        "yearly",
        20000,
        300000,
        0.03,
        ("F", "I"),
    ),
    PolicySpec(
        "loan-interest",
        "local_finance",
        "小微企业贷款贴息",
        "Small enterprise loan interest subsidy",
        "interest_subsidy",
        "automatic",
        "quarterly",
        4000,
        50000,
        0.08,
    ),
    PolicySpec(
        "guarantee-fee",
        "local_finance",
        "融资担保费补贴",
        "Financing guarantee fee subsidy",
        "interest_subsidy",
        "confirm",
        "yearly",
        6000,
        50000,
        0.04,
    ),
    PolicySpec(
        "talent-housing",
        "housing_fund",
        "人才租房补贴",
        "Talent rental housing subsidy",
        "rent_subsidy",
        "automatic",
        "monthly",
        800,
        5000,
        0.06,
    ),
    PolicySpec(
        "tourism-recovery",
        "culture_tourism",
        "文旅企业纾困补助",
        "Tourism recovery grant",
        "cash_subsidy",
        "confirm",
        "once",
        10000,
        100000,
        0.02,
        ("H", "R"),
    ),
    PolicySpec(
        "logistics",
        "transport",
        "物流降本增效奖励",
        "Logistics efficiency award",
        "award",
        "apply",
        "yearly",
        50000,
        500000,
        0.01,
        ("G",),
    ),
    PolicySpec(
        "green-agri",
        "agriculture",
        "绿色农业补贴",
        "Green agriculture subsidy",
        "cash_subsidy",
        "automatic",
        "yearly",
        5000,
        50000,
        0.02,
        ("A",),
    ),
    PolicySpec(
        "first-set",
        "ndrc",
        "首台（套）装备奖励",
        "First-of-a-kind equipment award",
        "award",
        "apply",
        "once",
        500000,
        3000000,
        0.02,
        ("C",),
    ),
)

# Claim outcomes by delivery mode, chosen so that the city as a whole is about 80 % paid,
# 8 % not eligible, 3 % waiting for data, 2 % in review and 2 % payment failed.
STATUS_MIX: dict[str, dict[str, float]] = {
    "automatic": {
        "paid": 84.5,
        "ineligible": 8,
        "awaiting_data": 3.5,
        "payment_failed": 2.5,
        "budget_exhausted": 1,
        "paying": 0.5,
    },
    "confirm": {
        "paid": 78,
        "ineligible": 6,
        "awaiting_data": 3,
        "offered": 8,
        "withdrawn": 2,
        "payment_failed": 2,
        "budget_exhausted": 0.5,
        "paying": 0.5,
    },
    "apply": {
        "paid": 58,
        "ineligible": 12,
        "awaiting_data": 2,
        "in_review": 17,
        "rejected": 7,
        "withdrawn": 2,
        "payment_failed": 2,
    },
}
# Typical time from the claim to the treasury's confirmation, in seconds: log-normal (median,
# sigma), and a long tail of 2 % ten to a hundred times slower (retries, bank holidays).
CLAIM_TO_CASH: dict[str, tuple[float, float]] = {
    "automatic": (2.2, 0.45),
    "confirm": (3 * 3600, 1.8),  # the enterprise's click: minutes to days
    "apply": (2 * 86400, 1.0),  # an official's review: hours to a week
}
GRADE_SHARES = {"A": 0.15, "B": 0.55, "C": 0.20, "D": 0.10}
GRADE_SCORES = {"A": (90, 100), "B": (70, 89), "C": (50, 69), "D": (20, 49)}

REQUEST_DEPARTMENTS = {
    "taxation": 20,
    "hrss": 18,
    "market": 14,
    "housing_fund": 6,
    "data": 10,
    "economy": 6,
    "science": 5,
    "commerce": 5,
    "planning": 4,
    "construction": 4,
    "ecology": 3,
    "transport": 2,
    "local_finance": 3,
}
REQUEST_SUBJECTS = {
    "policy_question": (
        "稳岗返还何时到账？",
        "研发奖励的申报条件是什么？",
        "房租补贴的面积如何计算？",
        "留抵退税需要哪些条件？",
    ),
    "difficulty": (
        "招工难，希望对接用工资源",
        "厂房租金上涨，经营压力大",
        "融资难，希望银行对接",
        "项目用地指标迟迟未落实",
    ),
    "suggestion": ("建议简化发票申领流程", "建议延长政策兑现期限", "建议开放更多数据接口"),
    "service_complaint": ("窗口办事等待时间过长", "电话多次无人接听", "补贴审核进度不透明"),
}
CATEGORY_WEIGHTS = {
    "policy_question": 50,
    "difficulty": 25,
    "suggestion": 15,
    "service_complaint": 10,
}
REQUEST_STATUS_MIX = {"closed": 56, "answered": 22, "open": 15, "info_requested": 4, "reopened": 3}
DATA_CALL_OUTCOMES = {
    "ok": 89.5,
    "cached": 6,
    "timeout": 1.5,
    "unavailable": 1,
    "not_found": 1.5,
    "malformed": 0.5,
}
DATA_CALL_PURPOSES = (
    "补贴资格核验 (subsidy eligibility check)",
    "审批表单预填 (approval sheet prefill)",
    "政策计算器 (policy calculator)",
    "信用评价 (credit grading)",
    "诉求办理 (direct-line request)",
)

# The application outcomes of industrial projects (share, then what each item may be).
APPLICATION_MIX = {"approved": 62, "in_review": 20, "rejected": 8, "withdrawn": 5, "revoked": 5}


def _choice(rng: np.random.Generator, mix: dict[str, float], size: int) -> np.ndarray:
    keys = list(mix)
    weights = np.array([mix[key] for key in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=weights / weights.sum())]


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# --- The generator ------------------------------------------------------------------------


class CityData:
    def __init__(
        self, volumes: Volumes, *, as_of: date, seed: int = 2021, log: Callable[[str], None] = print
    ) -> None:
        self.volumes = volumes
        self.as_of = as_of
        self.seed = seed
        self.log = log
        self.summary = Summary()
        zone = timezone.get_default_timezone()
        # The end of `as_of`, or now when that is today: nothing happens in the future.
        self.end = min(
            datetime.combine(as_of, datetime.min.time(), zone) + timedelta(days=1),
            timezone.now(),
        )
        self.start = datetime.combine(
            _months_back(as_of, WINDOW_MONTHS - 1), datetime.min.time(), zone
        )
        # Local time for office hours and weekdays (times are generated as epoch seconds).
        self.offset = zone.utcoffset(datetime(2026, 1, 1))  # Asia/Shanghai has no DST

    # ---- helpers ----

    def rng(self, part: str) -> np.random.Generator:
        """One generator per part, so changing one part's volume leaves the others alone."""
        digest = hashlib.sha256(f"{self.seed}:{self.generation}:{part}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "big"))

    def step(self, name: str, function: Callable[[], int]) -> None:
        began = time.perf_counter()
        self.log(f"{name} …")
        count = function()
        seconds = time.perf_counter() - began
        self.summary.rows[name] = count
        if name in ("enterprises", "credit_grades", "data_calls"):
            self.summary.counts[name] = count
        self.summary.seconds[name] = round(seconds, 2)
        self.log(f"{name}: {count:,} rows in {seconds:.1f} s")

    def times(
        self,
        rng: np.random.Generator,
        size: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        office: bool = True,
    ) -> np.ndarray:
        """Epoch seconds between start and end: more recent months busier (the portal
        grows), and mostly in office hours on weekdays when `office`."""
        low = (start or self.start).timestamp()
        high = (end or self.end).timestamp()
        days = max(1, int((high - low) // 86400))
        # Growth: density rising linearly to twice the first month's.
        u = rng.random(size)
        day = np.floor(days * (np.sqrt(1 + 3 * u) - 1)).astype(np.int64)
        day = np.minimum(day, days - 1)
        if office:
            # Weekends are quieter: move 80 % of weekend events to the Friday before.
            local_midnight = low + day * 86400
            weekday = ((local_midnight + self.offset.total_seconds()) // 86400 + 3) % 7
            weekend = (weekday >= 5) & (rng.random(size) < 0.8)
            day = np.where(weekend, np.maximum(day - (weekday - 4), 0), day)
            hour = rng.choice(24, size=size, p=_HOURS)
            second = hour * 3600 + rng.integers(0, 3600, size)
        else:
            second = rng.integers(0, 86400, size)
        return np.minimum(low + day * 86400 + second, high - 1).astype(np.float64)

    # ---- the run ----

    def run(self, *, force: bool = False) -> Summary:
        from policies.models import Policy

        codes = Policy.objects.filter(code__startswith=POLICY_PREFIX).values_list("code", flat=True)
        generations = {int(code.split("-")[1]) for code in codes if code.split("-")[1].isdigit()}
        if generations and not force:
            raise AlreadyGenerated(
                f"generated data is already here (generation {max(generations)}); "
                "run with --force to add another generation"
            )
        self.generation = max(generations, default=0) + 1
        self.summary.generation = self.generation
        self.log(f"generating generation {self.generation}, {self.start:%Y-%m-%d} to {self.as_of}")
        with transaction.atomic():
            self.step("enterprises", self.enterprises)
            self.step("credit_grades", self.grades)
            self.load_register()
            self.step("users", self.users)
            self.step("claims", self.claims)
            self.step("approvals", self.approvals)
            self.step("requests", self.requests)
            self.step("data_calls", self.data_calls)
            committing = time.perf_counter()
        # PostgreSQL checks the deferred foreign keys of every row written at the commit:
        # a good part of the whole at full volume, so it is reported as a step of its own.
        self.summary.seconds["commit"] = round(time.perf_counter() - committing, 2)
        self.log(f"commit (foreign keys checked): {self.summary.seconds['commit']:.1f} s")
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner guesses for every query that follows.
            self.step("analyze", _analyze)
        self.step("inspections", self.inspections)
        return self.summary

    # ---- enterprises and grades ----

    def enterprises(self) -> int:
        from departments.models import District
        from enterprises.demo import demo_enterprises
        from enterprises.models import Enterprise

        count = self.volumes.enterprises
        if not count:
            return 0
        districts = list(District.objects.values_list("code", "admin_code"))
        district_ids = dict(District.objects.values_list("code", "pk"))
        taken: set[str] = set()
        if Enterprise.objects.exists():
            taken = set(Enterprise.objects.values_list("uscc", flat=True).iterator(CHUNK))
        first = _next_id(Enterprise)
        rng = random.Random(self.seed * 1000 + self.generation)
        # Registered before the window, mostly years before (the register is older).
        start = self.start.timestamp()
        created = start - np.random.default_rng(self.seed).exponential(400 * 86400, count) - 86400
        created_text = _ts(created)

        def rows() -> Iterator[tuple]:
            made = 0
            for demo in demo_enterprises(
                count + len(taken), seed=self.seed + self.generation - 1, districts=districts
            ):
                if demo.uscc in taken:
                    continue
                stamp = created_text[made]
                yield (
                    first + made,
                    demo.uscc,
                    demo.name,
                    district_ids[demo.district_code],
                    demo.industry_section,
                    demo.industry_division,
                    demo.established_on,
                    demo.registered_capital,
                    demo.size_class,
                    demo.legal_representative,
                    demo.contact_phone,
                    demo.bank_name,
                    demo.bank_account,
                    "active" if rng.random() > 0.01 else "revoked",
                    stamp,
                    stamp,
                )
                made += 1
                if made == count:
                    return

        return write_rows(
            Enterprise,
            [
                "id",
                "uscc",
                "name",
                "district",
                "industry_section",
                "industry_division",
                "established_on",
                "registered_capital",
                "size_class",
                "legal_representative",
                "contact_phone",
                "bank_name",
                "bank_account",
                "status",
                "created_at",
                "updated_at",
            ],
            rows(),
        )

    def grades(self) -> int:
        """A grade for every enterprise that has none (15 / 55 / 20 / 10 %)."""
        from credit.grades.models import CreditGrade
        from credit.grades.selectors import scoring_model_in_force
        from enterprises.models import Enterprise

        model = scoring_model_in_force()
        ids = np.array(
            list(
                Enterprise.objects.filter(credit_grade__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
                .iterator(CHUNK)
            ),
            dtype=np.int64,
        )
        rng = self.rng("grades")
        grades = _choice(rng, GRADE_SHARES, len(ids))
        u = rng.random(len(ids))
        since = (self.as_of - timedelta(days=1)).isoformat()
        now = _dt(self.end.timestamp() - 3600)
        rows = (
            (
                int(pk),
                grade,
                int(GRADE_SCORES[grade][0] + f * (GRADE_SCORES[grade][1] - GRADE_SCORES[grade][0])),
                model.pk,
                since,
                now,
            )
            for pk, grade, f in zip(ids.tolist(), grades.tolist(), u.tolist(), strict=True)
        )
        return write_rows(
            CreditGrade,
            ["enterprise", "grade", "score", "model", "grade_since", "computed_at"],
            rows,
        )

    def load_register(self) -> None:
        """The active register as arrays: what claims, applications and requests draw from."""
        from departments.models import Department, District
        from enterprises.models import Enterprise

        began = time.perf_counter()
        rows = list(
            Enterprise.objects.filter(status="active")
            .order_by("pk")
            .values_list(
                "pk", "district_id", "industry_section", "bank_name", "bank_account", "uscc"
            )
            .iterator(CHUNK)
        )
        self.ent_uscc = [row[5] for row in rows]
        self.ent_ids = np.array([row[0] for row in rows], dtype=np.int64)
        self.ent_district = np.array([row[1] for row in rows], dtype=np.int64)
        self.ent_section = np.array([row[2] for row in rows], dtype="<U1")
        self.ent_bank = [(row[3] or "杭州银行", row[4] or "6222000000000000000") for row in rows]
        self.districts = dict(District.objects.values_list("pk", "code"))
        self.departments = dict(Department.objects.values_list("code", "pk"))
        self.log(
            f"register: {len(rows):,} active enterprises read in "
            f"{time.perf_counter() - began:.1f} s"
        )

    # ---- people ----

    def users(self) -> int:
        """Officials in the departments that decide here, and one member (legal
        representative) for each enterprise that raises requests or applies for projects."""
        from accounts.models import User
        from enterprises.models import EnterpriseMembership

        g = self.generation
        rng = self.rng("users")
        needed = min(len(self.ent_ids), self.volumes.items // 4 + self.volumes.requests // 2 + 1)
        pick = (
            np.sort(rng.choice(len(self.ent_ids), size=needed, replace=False))
            if needed
            else np.array([], dtype=np.int64)
        )
        self.member_rows = pick  # indices into the register arrays
        first = _next_id(User)
        joined = _dt(self.start.timestamp() - 86400)
        official_codes = sorted(
            set(REQUEST_DEPARTMENTS)
            | {"ndrc", "planning", "construction", "ecology", "emergency", "market"}
            | {spec.department for spec in POLICIES}
        )
        rows: list[tuple] = []
        self.officials: dict[str, list[int]] = {}
        self.supervisors: dict[str, int] = {}
        user_id = first
        for code in official_codes:
            department = self.departments.get(code)
            if department is None:
                continue
            for number, district in enumerate([None, *sorted(self.districts)]):
                supervisor = district is None
                rows.append(
                    (
                        user_id,
                        "!",
                        False,
                        f"cd{g}-{code}-{number}",
                        "",
                        "",
                        "",
                        False,
                        True,
                        joined,
                        "official",
                        f"{code} {number}",
                        department,
                        district,
                        supervisor,
                    )
                )
                self.officials.setdefault(code, []).append(user_id)
                if supervisor:
                    self.supervisors[code] = user_id
                user_id += 1
        self.member_user: dict[int, int] = {}
        for index in pick.tolist():
            rows.append(
                (
                    user_id,
                    "!",
                    False,
                    f"cd{g}-m{int(self.ent_ids[index])}",
                    "",
                    "",
                    "",
                    False,
                    True,
                    joined,
                    "enterprise",
                    "",
                    None,
                    None,
                    False,
                )
            )
            self.member_user[index] = user_id
            user_id += 1
        written = write_rows(
            User,
            [
                "id",
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "role",
                "display_name",
                "department",
                "district",
                "is_supervisor",
            ],
            rows,
        )
        self.summary.counts["officials"] = sum(len(ids) for ids in self.officials.values())
        self.summary.counts["enterprise_members"] = len(self.member_user)
        first_membership = _next_id(EnterpriseMembership)
        written += write_rows(
            EnterpriseMembership,
            ["id", "enterprise", "user", "role", "created_at"],
            (
                (
                    first_membership + n,
                    int(self.ent_ids[index]),
                    uid,
                    "legal_representative",
                    joined,
                )
                for n, (index, uid) in enumerate(self.member_user.items())
            ),
        )
        return written

    # ---- policies and claims ----

    def claims(self) -> int:
        from policies.models import Policy, PolicyVersion
        from subsidies.models import (
            Budget,
            Claim,
            Disbursement,
            LedgerEntry,
            budget_account,
            enterprise_account,
        )

        n = self.volumes.claims
        rng = self.rng("claims")
        specs = [spec for spec in POLICIES if spec.department in self.departments]
        weights = np.array([spec.weight for spec in specs])
        # Oversample, then keep the first claim of each (enterprise, policy, period).
        draw = int(n * 1.15) + 100
        policy = rng.choice(len(specs), size=draw, p=weights / weights.sum())
        enterprise = np.empty(draw, dtype=np.int64)
        for index, spec in enumerate(specs):
            mask = policy == index
            pool = (
                np.flatnonzero(np.isin(self.ent_section, spec.sections))
                if spec.sections
                else np.arange(len(self.ent_ids))
            )
            if len(pool) == 0:
                pool = np.arange(len(self.ent_ids))
            enterprise[mask] = pool[rng.integers(0, len(pool), int(mask.sum()))]
        created = self.times(rng, draw)
        local = (created + self.offset.total_seconds()).astype("datetime64[s]")
        year = local.astype("datetime64[Y]").astype(int) + 1970
        month = local.astype("datetime64[M]").astype(int) % 12
        period_kind = np.array([spec.period for spec in specs])[policy]
        period_index = np.where(
            period_kind == "yearly",
            year * 100,
            np.where(
                period_kind == "quarterly",
                year * 100 + 20 + month // 3,
                np.where(period_kind == "monthly", year * 100 + 40 + month, 0),
            ),
        )
        key = (enterprise * 64 + policy) * 1_000_000 + period_index
        _unique, first = np.unique(key, return_index=True)
        keep = np.sort(first)[:n]
        policy, enterprise, created, period_index = (
            policy[keep],
            enterprise[keep],
            created[keep],
            period_index[keep],
        )
        n = len(keep)
        modes = np.array([spec.mode for spec in specs])[policy]
        status = np.empty(n, dtype=object)
        for mode, mix in STATUS_MIX.items():
            mask = modes == mode
            status[mask] = _choice(rng, mix, int(mask.sum()))
        # Amounts in fen: log-normal around each policy's median, capped, whole yuan.
        medians = np.array([spec.median_yuan for spec in specs], dtype=float)[policy]
        caps = np.array([spec.cap_yuan for spec in specs], dtype=float)[policy]
        amount = np.minimum(np.round(medians * rng.lognormal(0, 0.6, n)), caps)
        amount_fen = (np.maximum(amount, 100) * 100).astype(np.int64)
        has_amount = np.isin(
            status,
            [
                "paid",
                "payment_failed",
                "paying",
                "in_review",
                "offered",
                "rejected",
                "budget_exhausted",
            ],
        )
        # Claim to cash.
        median = np.array([CLAIM_TO_CASH[m][0] for m in modes.tolist()])
        sigma = np.array([CLAIM_TO_CASH[m][1] for m in modes.tolist()])
        elapsed = median * np.exp(sigma * rng.standard_normal(n))
        tail = rng.random(n) < 0.02
        elapsed = np.where(tail, elapsed * rng.uniform(10, 100, n), elapsed)
        confirmed = created + elapsed
        # A payment confirmed after `as_of` has not happened yet: that claim is still paying.
        late = (status == "paid") & (confirmed >= self.end.timestamp())
        status[late] = "paying"
        created_text = _ts(created)
        confirmed_text = _ts(np.minimum(confirmed, self.end.timestamp() - 1))

        # Policies, versions and budgets: each budget covers what is reserved with room left.
        paid_mask = status == "paid"
        reserving = np.isin(status, ["paid", "payment_failed", "paying"])
        reserved = np.bincount(
            policy[reserving], weights=amount_fen[reserving], minlength=len(specs)
        )
        g = self.generation
        valid_from = self.start.date()
        valid_until = date(self.as_of.year, 12, 31)
        published = _dt(self.start.timestamp() - 7 * 86400)
        version_ids: list[int] = []
        policy_ids: list[int] = []
        for index, spec in enumerate(specs):
            total_fen = (
                int(max(reserved[index] * 1.3, 10_000_000 * 100) // 100_000_000 + 1) * 100_000_000
            )
            item = Policy.objects.create(
                code=f"{POLICY_PREFIX}{g}-{spec.slug}",
                department_id=self.departments[spec.department],
                title_zh=spec.title_zh,
                title_en=spec.title_en,
                summary_zh=f"{spec.title_zh}（演示数据）",
                summary_en=f"{spec.title_en} (generated data)",
                legal_basis_zh="第一条 依法登记存续的企业。\n第二条 按规定标准给予支持。",
                legal_basis_en="Art. 1 Registered, active enterprises. Art. 2 Support as set.",
                benefit_type=spec.benefit_type,
                delivery_mode=spec.mode,
                target_industry_sections=list(spec.sections),
            )
            version = PolicyVersion.objects.create(
                policy=item,
                number=1,
                status="published",
                valid_from=valid_from,
                valid_until=valid_until,
                criteria=_CRITERIA,
                benefit=_benefit(spec),
                parameters={},
                budget=Decimal(total_fen) / 100,
                per_enterprise_cap=Decimal(spec.cap_yuan),
                claim_period=spec.period,
                published_at=published,
                submitted_at=published,
            )
            Budget.objects.create(
                version=version,
                total=Decimal(total_fen) / 100,
                reserved=Decimal(int(reserved[index])) / 100,
            )
            policy_ids.append(item.pk)
            version_ids.append(version.pk)
        self.policy_ids = policy_ids
        self.log(f"claims: {len(specs)} policies published, {n:,} claims drawn")

        first = _next_id(Claim)
        ids = np.arange(first, first + n)
        period_text = _period_texts(period_index)
        # An apply-mode claim is reviewed by an official of the policy's department.
        reviewers = [self.officials.get(spec.department) or [None] for spec in specs]
        ent_ids = self.ent_ids
        decision_by_status = {
            status_name: json.dumps(
                {
                    "status": {"ineligible": "ineligible", "awaiting_data": "unknown"}.get(
                        status_name, "eligible"
                    ),
                    "source": "generated",
                    "criteria": [],
                }
            )
            for status_name in set(STATUS_MIX["automatic"])
            | set(STATUS_MIX["confirm"])
            | set(STATUS_MIX["apply"])
        }

        def claim_rows() -> Iterator[tuple]:
            for row in range(n):
                state = status[row]
                p = int(policy[row])
                mode = specs[p].mode
                money = _money(int(amount_fen[row])) if has_amount[row] else None
                reviewed = mode == "apply" and state in ("paid", "rejected", "payment_failed")
                stamp = created_text[row]
                yield (
                    int(ids[row]),
                    int(ent_ids[enterprise[row]]),
                    policy_ids[p],
                    version_ids[p],
                    period_text[row],
                    state,
                    money,
                    decision_by_status[state],
                    None,
                    1,
                    None,
                    "enterprise" if mode == "apply" else "batch",
                    "" if state != "rejected" else "材料不符合要求",
                    reviewers[p][row % len(reviewers[p])] if reviewed else None,
                    confirmed_text[row] if reviewed else None,
                    stamp,
                    confirmed_text[row] if state == "paid" else stamp,
                )

        written = write_rows(
            Claim,
            [
                "id",
                "enterprise",
                "policy",
                "version",
                "period",
                "status",
                "amount",
                "decision",
                "facts",
                "checks",
                "next_check_at",
                "origin",
                "review_note",
                "reviewed_by",
                "reviewed_at",
                "created_at",
                "updated_at",
            ],
            claim_rows(),
        )
        self.summary.counts["claims"] = n
        self.summary.counts["claims_paid"] = int(paid_mask.sum())

        paying = np.flatnonzero(np.isin(status, ["paid", "payment_failed", "paying"]))
        first_disbursement = _next_id(Disbursement)
        banks = self.ent_bank
        disbursement_state = {"paid": "confirmed", "payment_failed": "failed", "paying": "sent"}

        def disbursement_rows() -> Iterator[tuple]:
            for offset, row in enumerate(paying.tolist()):
                state = status[row]
                bank_name, bank_account = banks[enterprise[row]]
                cid = int(ids[row])
                done = state == "paid"
                yield (
                    first_disbursement + offset,
                    cid,
                    f"qinqing-claim-{cid}",
                    _money(int(amount_fen[row])),
                    bank_name,
                    bank_account,
                    disbursement_state[state],
                    f"TR{cid:012d}" if done else "",
                    3 if state == "payment_failed" else 1,
                    "" if state != "payment_failed" else "收款账户状态异常 (account frozen)",
                    created_text[row],
                    confirmed_text[row] if done else None,
                )

        written += write_rows(
            Disbursement,
            [
                "id",
                "claim",
                "idempotency_key",
                "amount",
                "bank_name",
                "bank_account",
                "status",
                "reference",
                "attempts",
                "last_error",
                "created_at",
                "confirmed_at",
            ],
            disbursement_rows(),
        )
        # The ledger: two legs per confirmed payment, the budget pays, the enterprise receives.
        paid_rows = np.flatnonzero(paid_mask)
        uscc = self.ent_uscc
        accounts = [budget_account(f"{POLICY_PREFIX}{g}-{spec.slug}", 1) for spec in specs]
        first_entry = _next_id(LedgerEntry)

        def ledger_rows() -> Iterator[tuple]:
            entry = first_entry
            for row in paid_rows.tolist():
                cid = int(ids[row])
                money = _money(int(amount_fen[row]))
                key = f"qinqing-claim-{cid}"
                when = confirmed_text[row]
                yield (entry, key, accounts[int(policy[row])], money, "0.00", cid, when)
                yield (
                    entry + 1,
                    key,
                    enterprise_account(uscc[enterprise[row]]),
                    "0.00",
                    money,
                    cid,
                    when,
                )
                entry += 2

        written += write_rows(
            LedgerEntry,
            ["id", "transaction", "account", "debit", "credit", "claim", "created_at"],
            ledger_rows(),
        )
        self.summary.counts["policies"] = len(specs)
        self.summary.counts["disbursements"] = len(paying)
        self.summary.counts["ledger_entries"] = 2 * len(paid_rows)
        return written

    # ---- approvals ----

    def approvals(self) -> int:
        from approvals.models import Application, Item, ItemPause, ItemType, Permit, ServicePackage
        from credit.commitments.models import Commitment
        from credit.commitments.services import current_notice
        from qinqing.workhours.clock import TimeLimit, add_working_time

        target = self.volumes.items
        if not target or not self.member_user:
            return 0
        package = ServicePackage.objects.get(code="industrial-project")
        types = {
            t.code: t for t in ItemType.objects.filter(package=package).select_related("department")
        }
        notice = current_notice("approval-item")
        rng = random.Random(f"{self.seed}:{self.generation}:approvals")
        members = list(self.member_user.items())
        now = self.end.timestamp()
        first_app, first_item = _next_id(Application), _next_id(Item)
        first_commitment, first_pause, first_permit = (
            _next_id(Commitment),
            _next_id(ItemPause),
            _next_id(Permit),
        )
        apps: list[tuple] = []
        items: list[tuple] = []
        commitments: list[tuple] = []
        pauses: list[tuple] = []
        permits: list[tuple] = []
        g = self.generation
        app_id, item_id = first_app, first_item
        outcomes = list(APPLICATION_MIX)
        outcome_weights = list(APPLICATION_MIX.values())
        while len(items) < target:
            index, applicant = members[rng.randrange(len(members))]
            enterprise_id = int(self.ent_ids[index])
            district_id = int(self.ent_district[index])
            outcome = rng.choices(outcomes, outcome_weights)[0]
            if outcome == "in_review":
                # Open applications are recent: a few working days old at most, some overdue.
                submitted = now - rng.expovariate(1 / (0.8 * 86400)) - 600
            else:
                submitted = self.start.timestamp() + (now - self.start.timestamp() - 7 * 86400) * (
                    1 - rng.random() ** 1.6
                )
            submitted = _office_hour(submitted, rng, self.offset)
            floor = rng.choice((0, 150, 2000, 8000, 25000, 60000))
            env = rng.choices(
                ("report_book", "report_form", "registration", "exempt"), (15, 45, 30, 10)
            )[0]
            needed = ["project-filing"]
            if floor > 0:
                needed += ["planning-permit", "fire-design-review"]
            if floor > 300:
                needed.append("construction-permit")
            if env in ("report_book", "report_form"):
                needed.append("eia-approval")
            elif env == "registration":
                needed.append("eia-registration")
            started = _dt(submitted)
            decided_times: list[float] = []
            statuses = _item_statuses(outcome, needed, types, rng)
            for code, state in zip(needed, statuses, strict=True):
                kind = types[code]
                limit = TimeLimit(kind.limit_amount, kind.limit_unit).seconds
                deadline = add_working_time(started, limit)
                decided = None
                if state in (
                    "approved",
                    "committed",
                    "verified",
                    "rejected",
                    "revoked",
                    "withdrawn",
                ):
                    if kind.auto_check:
                        work = rng.uniform(1, 30)
                    elif state in ("committed", "verified", "revoked"):
                        work = rng.uniform(60, 1800)  # signed on the spot
                    else:
                        share = rng.lognormvariate(-0.9, 0.6)  # mostly well within the limit
                        work = limit * share
                    decided = add_working_time(started, int(work))
                    if decided.timestamp() >= now:
                        decided = _dt(max(submitted + 30, now - rng.uniform(60, 3600)))
                    decided_times.append(decided.timestamp())
                official = self.officials.get(kind.department.code, [None])
                decider = None
                if decided and state != "withdrawn" and not kind.auto_check:
                    decider = official[rng.randrange(len(official))]
                handler = None if kind.auto_check else decider or official[0]
                commitment_id = None
                verify_by = None
                if state in ("committed", "verified", "revoked"):
                    commitment_id = first_commitment + len(commitments)
                    verify_by = add_working_time(
                        decided, TimeLimit(kind.verify_within_days, "days").seconds
                    )
                    c_status = {"verified": "fulfilled", "revoked": "breached"}.get(state)
                    if c_status is None:
                        c_status = "verifying" if rng.random() < 0.5 else "made"
                    c_decided = None
                    if c_status in ("fulfilled", "breached"):
                        c_decided = _dt(
                            min(decided.timestamp() + rng.uniform(2, 25) * 86400, now - 60)
                        )
                    commitments.append(
                        (
                            commitment_id,
                            enterprise_id,
                            notice.pk,
                            notice.sha256,
                            applicant,
                            decided,
                            "approval_item",
                            f"approvals.item:{item_id}",
                            kind.commitment_checks_zh or kind.name_zh,
                            verify_by,
                            kind.department_id,
                            c_status,
                            c_decided,
                            decider if c_decided else None,
                            "核查属实"
                            if c_status == "fulfilled"
                            else ("承诺内容与实际不符" if c_status == "breached" else ""),
                            decided,
                            c_decided or decided,
                        )
                    )
                open_deadline = (
                    deadline
                    if state == "pending"
                    else (
                        None
                        if state in ("committed", "verified", "revoked", "supplement", "withdrawn")
                        else deadline
                    )
                )
                items.append(
                    (
                        item_id,
                        app_id,
                        kind.pk,
                        kind.department_id,
                        district_id,
                        state,
                        handler,
                        started,
                        kind.limit_amount,
                        kind.limit_unit,
                        open_deadline,
                        decided,
                        decider,
                        "" if state != "rejected" else "规划条件不符，请修改设计方案后重新提交",
                        commitment_id,
                        verify_by,
                    )
                )
                if state == "supplement":
                    pauses.append(
                        (
                            first_pause + len(pauses),
                            item_id,
                            "supplement",
                            _dt(min(started.timestamp() + rng.uniform(600, 7200), now - 60)),
                            None,
                        )
                    )
                if state in ("approved", "committed", "verified", "revoked"):
                    permits.append(
                        (
                            first_permit + len(permits),
                            item_id,
                            f"{kind.permit_prefix}-{decided.year}-C{g}{item_id:08d}",
                            hashlib.sha256(f"{self.seed}:{g}:{item_id}".encode())
                            .hexdigest()[:16]
                            .upper(),
                            decided,
                            _dt(min(decided.timestamp() + 20 * 86400, now - 30))
                            if state == "revoked"
                            else None,
                            "承诺不实，撤销许可" if state == "revoked" else "",
                        )
                    )
                item_id += 1
            app_status = outcome
            app_decided = (
                _dt(max(decided_times))
                if outcome in ("approved", "rejected", "revoked") and decided_times
                else None
            )
            answers = {
                "project_name": f"年产{rng.randint(1, 50)}万台智能装备项目",
                "floor_area": str(floor),
                "environmental_category": env,
                "total_investment": f"{rng.randint(5, 500) * 100000}.00",
                "hazardous_chemicals": rng.random() < 0.1,
            }
            apps.append(
                (
                    app_id,
                    package.pk,
                    f"XM{started.astimezone(timezone.get_default_timezone()):%Y%m%d}C{g}{app_id:07d}",
                    enterprise_id,
                    applicant,
                    answers["project_name"],
                    district_id,
                    "",
                    json.dumps(answers, ensure_ascii=False),
                    "{}",
                    app_status,
                    started,
                    _dt(max([*decided_times, submitted])),
                    started,
                    app_decided,
                )
            )
            app_id += 1
        written = write_rows(
            Application,
            [
                "id",
                "package",
                "reference",
                "enterprise",
                "applicant",
                "title",
                "district",
                "industry_division",
                "answers",
                "prefill",
                "status",
                "created_at",
                "updated_at",
                "submitted_at",
                "decided_at",
            ],
            apps,
        )
        written += write_rows(
            Commitment,
            [
                "id",
                "enterprise",
                "notice",
                "text_sha256",
                "accepted_by",
                "accepted_at",
                "subject_kind",
                "subject_ref",
                "verify_what",
                "verify_by",
                "department",
                "status",
                "decided_at",
                "decided_by",
                "reason",
                "created_at",
                "updated_at",
            ],
            commitments,
        )
        written += write_rows(
            Item,
            [
                "id",
                "application",
                "item_type",
                "department",
                "district",
                "status",
                "assigned_to",
                "started_at",
                "limit_amount",
                "limit_unit",
                "deadline",
                "decided_at",
                "decided_by",
                "decision_note",
                "commitment_id",
                "verify_by",
            ],
            items,
        )
        written += write_rows(ItemPause, ["id", "item", "reason", "started_at", "ended_at"], pauses)
        written += write_rows(
            Permit,
            [
                "id",
                "item",
                "number",
                "verification_code",
                "issued_at",
                "revoked_at",
                "revoked_reason",
            ],
            permits,
        )
        self.summary.counts["applications"] = len(apps)
        self.summary.counts["permits"] = len(permits)
        self.summary.counts["approval_items"] = len(items)
        self.summary.counts["commitments"] = len(commitments)
        return written

    # ---- direct line ----

    def requests(self) -> int:
        from directline.models import Category, Request, RequestHop, RequestPause
        from qinqing.workhours.clock import add_working_time

        n = self.volumes.requests
        if not n or not self.member_user:
            return 0
        categories = list(Category.objects.all())
        rng = random.Random(f"{self.seed}:{self.generation}:requests")
        departments = [code for code in REQUEST_DEPARTMENTS if code in self.departments]
        dep_weights = [REQUEST_DEPARTMENTS[code] for code in departments]
        members = list(self.member_user.items())
        category_weights = [CATEGORY_WEIGHTS.get(c.code, 5) for c in categories]
        statuses = list(REQUEST_STATUS_MIX)
        status_weights = list(REQUEST_STATUS_MIX.values())
        now = self.end.timestamp()
        first, first_hop, first_pause = (
            _next_id(Request),
            _next_id(RequestHop),
            _next_id(RequestPause),
        )
        g = self.generation
        times = np.sort(self.times(self.rng("request-times"), n))
        rows: list[tuple] = []
        hops: list[tuple] = []
        pauses: list[tuple] = []
        for number in range(n):
            index, raiser = members[rng.randrange(len(members))]
            category = rng.choices(categories, category_weights)[0]
            code = rng.choices(departments, dep_weights)[0]
            department = self.departments[code]
            state = rng.choices(statuses, status_weights)[0]
            if state in ("open", "info_requested", "reopened"):
                started = _office_hour(
                    now - rng.expovariate(1 / (1.5 * 86400)) - 300, rng, self.offset
                )
            else:
                started = float(times[number])
            start = _dt(started)
            limit = category.limit_hours
            deadline = add_working_time(start, limit * 3600)
            answered = answered_by = rating = rated = reopened = supervisor = None
            answer = ""
            if state in ("answered", "closed", "reopened"):
                share = rng.lognormvariate(-1.0, 0.7)  # about 7 % later than the limit
                answered = add_working_time(start, int(limit * 3600 * share))
                if answered.timestamp() >= now:
                    answered = _dt(max(started + 60, now - rng.uniform(60, 3600)))
                officials = self.officials.get(code, [None])
                answered_by = officials[rng.randrange(len(officials))]
                answer = (
                    "您好，您反映的问题已收悉，经核实答复如下：已协调相关处室办理，请留意后续通知。"
                )
            if state == "closed":
                rating = rng.choices(("satisfied", "basically", "unsatisfied"), (84, 11, 5))[0]
                rated = _dt(min(answered.timestamp() + rng.uniform(600, 5 * 86400), now - 30))
            if state == "reopened":
                rating = "unsatisfied"
                rated = reopened = _dt(
                    min(answered.timestamp() + rng.uniform(600, 2 * 86400), now - 30)
                )
                supervisor = self.supervisors.get(code)
                deadline = add_working_time(reopened, limit * 3600)
            keep_deadline = state in ("open", "reopened")
            subject = rng.choice(
                REQUEST_SUBJECTS.get(category.code, REQUEST_SUBJECTS["policy_question"])
            )
            rows.append(
                (
                    first + number,
                    f"ZTC{start.astimezone(timezone.get_default_timezone()):%Y%m%d}-C{g}{number:07d}",
                    int(self.ent_ids[index]),
                    raiser,
                    category.pk,
                    subject,
                    subject + "，请予协调解决。",
                    int(self.ent_district[index]),
                    state,
                    department,
                    supervisor,
                    start,
                    limit,
                    deadline if keep_deadline else None,
                    answer,
                    answered,
                    answered_by,
                    rating or "",
                    "",
                    rated,
                    reopened,
                    False,
                    start,
                )
            )
            hops.append(
                (
                    first_hop + number,
                    first + number,
                    None,
                    department,
                    None,
                    "按规则分派 (routed by rule)" if code != "data" else "无匹配规则，转协调办",
                    None,
                    start,
                )
            )
            if state == "info_requested":
                pauses.append(
                    (
                        first_pause + len(pauses),
                        first + number,
                        _dt(min(started + rng.uniform(1800, 86400), now - 60)),
                        None,
                    )
                )
        written = write_rows(
            Request,
            [
                "id",
                "reference",
                "enterprise",
                "raised_by",
                "category",
                "subject",
                "description",
                "district",
                "status",
                "department",
                "supervisor",
                "started_at",
                "limit_hours",
                "deadline",
                "answer",
                "answered_at",
                "answered_by",
                "rating",
                "rating_comment",
                "rated_at",
                "reopened_at",
                "publication_refused",
                "created_at",
            ],
            rows,
        )
        written += write_rows(
            RequestHop,
            [
                "id",
                "request",
                "from_department",
                "to_department",
                "rule",
                "reason",
                "actor",
                "created_at",
            ],
            hops,
        )
        written += write_rows(RequestPause, ["id", "request", "started_at", "ended_at"], pauses)
        self.summary.counts["direct_requests"] = len(rows)
        return written

    # ---- the data hub ----

    def data_calls(self) -> int:
        from datahub.catalogue import interfaces
        from datahub.models import DataCall

        n = self.volumes.data_calls
        if not n:
            return 0
        registry = [
            (name, specs)
            for name, specs in sorted(interfaces().items())
            if specs[0].department in self.departments
        ]
        rng = self.rng("data-calls")
        interface = rng.integers(0, len(registry), n)
        outcome = _choice(rng, DATA_CALL_OUTCOMES, n)
        latency = np.round(rng.lognormal(np.log(35), 0.55, n), 2)
        slow = rng.random(n) < 0.01
        latency = np.where(slow, latency * rng.uniform(5, 40, n), latency)
        latency = np.where(outcome == "timeout", 3000.0, latency)
        latency = np.where(outcome == "cached", np.round(rng.uniform(0.2, 2.0, n), 2), latency)
        latency = np.where(outcome == "unavailable", np.round(rng.uniform(5, 50, n), 2), latency)
        started = np.sort(self.times(rng, n, office=False))
        started_text = _ts(started)
        enterprise = self.ent_ids[rng.integers(0, len(self.ent_ids), n)]
        purpose = rng.integers(0, len(DATA_CALL_PURPOSES), n)
        http = rng.random(n) < 0.2
        first = _next_id(DataCall)
        facts = [json.dumps([spec.name for spec in specs]) for _name, specs in registry]
        departments = [self.departments[specs[0].department] for _name, specs in registry]
        details = {
            "timeout": "no answer within 3 s",
            "unavailable": "HTTP 503",
            "malformed": "missing field",
            "not_found": "enterprise unknown to the department",
        }

        def rows() -> Iterator[tuple]:
            for row in range(n):
                i = int(interface[row])
                result = outcome[row]
                yield (
                    first + row,
                    departments[i],
                    registry[i][0],
                    int(enterprise[row]),
                    facts[i],
                    DATA_CALL_PURPOSES[purpose[row]],
                    None,
                    "system",
                    "http" if http[row] else "inprocess",
                    started_text[row],
                    float(latency[row]),
                    result,
                    details.get(result, ""),
                    f"{first + row:064x}" if result == "ok" else "",
                    1,
                )

        return write_rows(
            DataCall,
            [
                "id",
                "department",
                "interface",
                "enterprise",
                "fact_names",
                "purpose",
                "requested_by",
                "requested_by_label",
                "transport",
                "started_at",
                "latency_ms",
                "outcome",
                "detail",
                "response_hash",
                "rows",
            ],
            rows(),
        )

    # ---- one inspection campaign ----

    def inspections(self) -> int:
        """One campaign of the market regulator, drawn through the services (so the draw
        verifies), scoped to enough districts for about `selections` enterprises; results
        recorded for the older half of the selections."""
        from accounts.models import Role, User
        from credit.inspections.models import InspectionSelection, ResultStatus
        from credit.inspections.services import (
            create_campaign,
            publish_campaign,
            record_result,
            run_draw,
        )

        target = self.volumes.selections
        if not target or "market" not in self.departments:
            return 0
        ratios = {"A": "1", "B": "5", "C": "21", "D": "61"}
        expected_share = 0.15 * 0.01 + 0.55 * 0.05 + 0.20 * 0.21 + 0.10 * 0.61
        districts, industries = _inspection_scope(target / expected_share)
        g = self.generation
        market = self.departments["market"]
        manager = User.objects.create(
            username=f"cd{g}-inspections",
            role=Role.OFFICIAL,
            department_id=market,
            display_name="市场监管局双随机专员",
        )
        pool = User.objects.filter(pk__in=self.officials.get("market", [])).order_by("pk")
        campaign = create_campaign(
            actor=manager,
            title=f"{self.as_of.year} 年度市场主体双随机抽查（生成数据 {g}）",
            items=["营业执照与登记事项一致", "年度报告公示信息真实", "经营场所与登记一致"],
            ratios=ratios,
            district_codes=districts,
            industries=industries,
            inspectors=list(pool),
        )
        publish_campaign(campaign.pk, actor=manager)
        drawn = run_draw(campaign.pk, actor=manager, public_value=f"{self.seed}.{g}")
        selections = list(
            InspectionSelection.objects.filter(draw=drawn)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rng = random.Random(f"{self.seed}:{g}:inspections")
        done = [pk for pk in selections if rng.random() < 0.55]
        violations = {pk for pk in done if rng.random() < 0.12}
        clean = [pk for pk in done if pk not in violations]
        published = timezone.now()
        for chunk_start in range(0, len(clean), 5000):
            InspectionSelection.objects.filter(
                pk__in=clean[chunk_start : chunk_start + 5000]
            ).update(
                result=ResultStatus.CLEAN,
                findings="未发现违法违规行为",
                published_at=published,
                recorded_by=manager,
            )
        # Violations through the service (a credit record each): a handful are enough to
        # show; the rest recorded like the clean ones, without a record.
        through_service = sorted(violations)[:50]
        for pk in through_service:
            record_result(
                pk,
                actor=manager,
                violation=True,
                severity="minor",
                findings="年度报告公示信息与实际不符",
            )
        rest = sorted(violations)[50:]
        for chunk_start in range(0, len(rest), 5000):
            InspectionSelection.objects.filter(
                pk__in=rest[chunk_start : chunk_start + 5000]
            ).update(
                result=ResultStatus.VIOLATION,
                findings="经营场所与登记不一致",
                severity="minor",
                published_at=published,
                recorded_by=manager,
            )
        self.summary.counts["inspection_selections"] = len(selections)
        self.summary.counts["inspection_results"] = len(done)
        return len(selections)


# --- Small pieces ------------------------------------------------------------------------

# Share of events per hour of the day (local time): office hours, lunch dip, a late tail.
_HOURS = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 30, 60, 70, 60, 30, 35, 60, 65, 60, 45, 20, 12, 8, 5, 3, 2],
    dtype=float,
)
_HOURS /= _HOURS.sum()

_CRITERIA = {
    "all": [
        {
            "id": "active",
            "label": {"zh": "登记状态为存续", "en": "Registered and active"},
            "clause": "第一条",
            "fact": "market.registration_status",
            "op": "eq",
            "value": "active",
        },
    ]
}


def _benefit(spec: PolicySpec) -> dict:
    # Literals as {"amount": …}: a bare string is not a formula (policies.rules), and the
    # policy's page and every enterprise's calculator failed on it (found by bench/load.py).
    return {"min": [{"mul": [{"fact": "hrss.insured_employees"}, {"amount": "300.00"}]},
                    {"amount": f"{spec.cap_yuan}.00"}]}  # fmt: skip


def _period_texts(index: np.ndarray) -> list[str]:
    """The claim periods as subsidies.services.period_key writes them."""
    out = []
    for value in index.tolist():
        if value == 0:
            out.append("once")
            continue
        year, rest = divmod(value, 100)
        if rest == 0:
            out.append(str(year))
        elif rest < 40:
            out.append(f"{year}Q{rest - 20 + 1}")
        else:
            out.append(f"{year}-{rest - 40 + 1:02d}")
    return out


def _office_hour(epoch: float, rng: random.Random, offset: timedelta) -> float:
    """The same day at an office hour (09:00–17:00 local), not later than `epoch`'s day."""
    local = epoch + offset.total_seconds()
    midnight = local - local % 86400
    return min(midnight - offset.total_seconds() + rng.uniform(9 * 3600, 17 * 3600), epoch)


def _analyze() -> int:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return 0


def _inspection_scope(population: float) -> tuple[list[str], list[str]]:
    """The districts (in their order) and industry sections whose register comes closest
    to `population` enterprises; empty lists mean the whole city, every industry."""
    from departments.models import District
    from enterprises.models import Enterprise

    counts: dict[tuple[int, str], int] = {
        (district, section): n
        for district, section, n in Enterprise.objects.filter(status="active")
        .values("district_id", "industry_section")
        .annotate(n=models.Count("pk"))
        .values_list("district_id", "industry_section", "n")
    }
    by_section: dict[str, int] = {}
    for (_district, section), n in counts.items():
        by_section[section] = by_section.get(section, 0) + n
    sections = sorted(by_section, key=lambda code: -by_section[code])
    districts = [
        d for d in District.objects.order_by("sort_order", "code").values_list("pk", "code")
    ]
    best: tuple[float, list[str], list[str]] = (float("inf"), [], [])
    for k in range(1, len(districts) + 1):
        chosen = districts[:k]
        for j in range(1, len(sections) + 1):
            wanted = set(sections[:j])
            size = sum(counts.get((pk, code), 0) for pk, _c in chosen for code in wanted)
            if size and abs(size - population) < best[0]:
                every_district = k == len(districts)
                every_section = j == len(sections)
                best = (
                    abs(size - population),
                    [] if every_district else [code for _pk, code in chosen],
                    [] if every_section else sorted(wanted),
                )
    return best[1], best[2]


def _item_statuses(outcome: str, needed: list[str], types: dict, rng: random.Random) -> list[str]:
    """Item statuses consistent with the application's outcome."""

    def approved(code: str) -> str:
        kind = types[code]
        if kind.allows_commitment and rng.random() < 0.35:
            return "verified" if rng.random() < 0.5 else "committed"
        return "approved"

    if outcome == "approved":
        return [approved(code) for code in needed]
    if outcome == "withdrawn":
        return ["withdrawn"] * len(needed)
    if outcome == "in_review":
        states = [
            rng.choice(("pending", "pending", "supplement"))
            if rng.random() < 0.6
            else approved(code)
            for code in needed
        ]
        if not any(state in ("pending", "supplement") for state in states):
            states[0] = "pending"
        return states
    if outcome == "rejected":
        states = [approved(code) for code in needed]
        states[rng.randrange(len(states))] = "rejected"
        return states
    # revoked: a commitment found untrue; the others approved
    states = [approved(code) for code in needed]
    committable = [i for i, code in enumerate(needed) if types[code].allows_commitment]
    states[committable[0] if committable else 0] = "revoked"
    return states


def generate(
    volumes: Volumes,
    *,
    as_of: date | None = None,
    seed: int = 2021,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> Summary:
    """Write a city's data; see the module's docstring."""
    return CityData(volumes, as_of=as_of or timezone.localdate(), seed=seed, log=log).run(
        force=force
    )
