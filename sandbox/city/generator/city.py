"""The city being generated: its volumes and time window, one random generator per part,
and how events spread over the months and office hours."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from django.utils import timezone

# Every generated run names its policies "citydata-<generation>-…": the marker a second run
# looks for before it writes anything.
POLICY_PREFIX = "citydata-"
WINDOW_MONTHS = 18


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


def weighted_choice(rng: np.random.Generator, mix: dict[str, float], size: int) -> np.ndarray:
    keys = list(mix)
    weights = np.array([mix[key] for key in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=weights / weights.sum())]


def months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


class CityData:
    def __init__(
        self,
        volumes: Volumes,
        *,
        as_of: date,
        seed: int = 2021,
        log: Callable[[str], None] = print,
        months: int = WINDOW_MONTHS,
        seasonal: bool = False,
    ) -> None:
        self.volumes = volumes
        # The demo city asks for a year with the seasons (seasonal): the Spring Festival's
        # quiet February, the busy ends of quarters; the benchmark keeps its 18 plain months.
        self.months = months
        self.seasonal = seasonal
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
        self.start = datetime.combine(months_back(as_of, months - 1), datetime.min.time(), zone)
        # Local time for office hours and weekdays (times are generated as epoch seconds).
        self.offset = zone.utcoffset(datetime(2026, 1, 1))  # Asia/Shanghai has no DST

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
        grows), and mostly in office hours on weekdays when `office`; with the seasons of
        the year when the city is `seasonal`."""
        low = (start or self.start).timestamp()
        high = (end or self.end).timestamp()
        days = max(1, int((high - low) // 86400))
        day = self._days(rng, size, days)
        if self.seasonal:
            # Rejection sampling: a day is kept with its month's share of the busiest's.
            weight = _SEASON / _SEASON.max()
            kept = np.empty(0, dtype=np.int64)
            while len(kept) < size:
                more = self._days(rng, 2 * (size - len(kept)) + 16, days)
                month = (
                    (low + more * 86400 + self.offset.total_seconds()).astype("datetime64[s]")
                ).astype("datetime64[M]").astype(np.int64) % 12
                kept = np.concatenate([kept, more[rng.random(len(more)) < weight[month]]])
            day = kept[:size]
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

    @staticmethod
    def _days(rng: np.random.Generator, size: int, days: int) -> np.ndarray:
        """Day numbers in the window; growth: density rising linearly to twice the first's."""
        u = rng.random(size)
        day = np.floor(days * (np.sqrt(1 + 3 * u) - 1)).astype(np.int64)
        return np.minimum(day, days - 1)


# Activity per calendar month (January first): the Spring Festival empties February, the
# ends of quarters and of the year fill up (declarations, budgets spent before December).
_SEASON = np.array([0.9, 0.55, 1.1, 0.95, 0.9, 1.15, 0.85, 0.8, 1.1, 0.9, 1.0, 1.3])


# Share of events per hour of the day (local time): office hours, lunch dip, a late tail.
_HOURS = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 30, 60, 70, 60, 30, 35, 60, 65, 60, 45, 20, 12, 8, 5, 3, 2],
    dtype=float,
)
_HOURS = _HOURS / _HOURS.sum()


def office_hour(epoch: float, rng: random.Random, offset: timedelta) -> float:
    """The same day at an office hour (09:00–17:00 local), not later than `epoch`'s day."""
    local = epoch + offset.total_seconds()
    midnight = local - local % 86400
    return min(midnight - offset.total_seconds() + rng.uniform(9 * 3600, 17 * 3600), epoch)
