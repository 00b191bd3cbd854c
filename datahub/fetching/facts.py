"""What a fetch answers: a Fact (known, or unknown with the reason) and the FactSet of
one enterprise's or person's facts."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext

from ..catalogue import CATALOGUE, PERSON_CATALOGUE, FactSpec
from ..models import DataCall
from ..normalise import FactValue, to_json


@dataclass(frozen=True)
class Fact:
    name: str
    value: FactValue | None
    known: bool
    reason: str = ""  # why unknown: a CallOutcome value
    department: str = ""
    period: str = ""
    fetched_at: datetime | None = None
    from_cache: bool = False
    # A value corrected on a dispute (datahub.corrections.provenance); None: as read.
    correction: dict[str, Any] | None = None

    @property
    def spec(self) -> FactSpec:
        return CATALOGUE.get(self.name) or PERSON_CATALOGUE[self.name]

    @property
    def shown(self) -> str:
        """The value as a person reads it (masked where personal); a known empty value is
        the department saying there is none."""
        if self.known and self.value is None:
            return gettext("none")
        return self.spec.display(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "value": to_json(self.value), "known": self.known,
            "reason": self.reason, "department": self.department, "period": self.period,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "from_cache": self.from_cache,
            **({"correction": self.correction} if self.correction else {}),
        }  # fmt: skip


@dataclass
class FactSet:
    facts: dict[str, Fact]
    calls: list[DataCall] = field(default_factory=list)

    def __getitem__(self, name: str) -> Fact:
        return self.facts[name]

    @property
    def all_known(self) -> bool:
        return all(fact.known for fact in self.facts.values())

    def values(self) -> dict[str, FactValue | None]:
        return {name: fact.value for name, fact in self.facts.items()}


def mark_unknown(facts: dict[str, Fact], wanted: list[FactSpec], reason: str, as_of: date) -> None:
    for spec in wanted:
        facts[spec.name] = Fact(
            spec.name,
            None,
            False,
            reason=str(reason),
            department=spec.department,
            period=spec.period_key(as_of),
        )
