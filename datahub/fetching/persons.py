"""A person provider (datahub.providers) called as a department is, and a person's values
read from its answer."""

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .. import providers
from ..adapters import DepartmentNotFound, InterfaceResponse
from ..catalogue import FactSpec, FactType
from ..normalise import FactValue, MalformedValue, normalise

# The call log's words for a person interface no department provides.
NO_PROVIDER_DETAIL = "unknown: no provider configured"


@dataclass(frozen=True)
class PersonRequest:
    number: str = field(repr=False)  # never in a repr, a traceback's locals or a log line
    wire_fields: list[str] = field(default_factory=list)
    as_of: date | None = None


@dataclass(frozen=True)
class PersonAdapter:
    """A person provider (datahub.providers) as the pipeline calls a department: in the
    caller's thread (`inline`), its "no record" a not-found outcome."""

    provider: providers.PersonProvider
    inline: bool = True

    @property
    def transport(self) -> str:
        return self.provider.transport

    def prepare(self) -> None:
        pass

    def fetch(self, request: PersonRequest) -> InterfaceResponse:
        try:
            payload = self.provider.answer(request.number, list(request.wire_fields),
                                           request.as_of)  # fmt: skip
        except providers.NoPersonRecord as error:
            raise DepartmentNotFound("the department has no record of this person") from error
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()
        return InterfaceResponse(payload=payload, raw=raw)


def person_adapter(interface: str) -> PersonAdapter | None:
    provider = providers.PERSON_PROVIDERS.get(interface)
    return PersonAdapter(provider) if provider is not None else None


def person_value(spec: FactSpec, raw: Any) -> FactValue | None:
    """A person's value: an identifier (TEXT) is kept as written, stripped, empty for
    none; an empty value of another type is the department saying "none" (no insurance,
    so no start date): None, known; every other value goes through the hub's
    normalisation."""
    if spec.type is not FactType.TEXT and (
        raw is None or (isinstance(raw, str) and not raw.strip())
    ):
        return None
    if spec.type is FactType.TEXT:
        if raw is None:
            return ""
        if not isinstance(raw, str | int):
            raise MalformedValue(f"{spec.name}: not text")
        return str(raw).strip()
    return normalise(spec, raw)
