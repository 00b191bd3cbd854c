"""Why department data was read, in words the enterprise understands.

A data call stores its purpose as a reference the code wrote (`subsidies.claim:2175
eligibility check for …`, `approvals.application:3 commitment route`); the pages render it
through the describer the owning app registers here, in its own `purposes.py`
(found like the admin's modules, on first use). The hub never names an app's vocabulary.

Two registries:
- PURPOSES: reference key (`subsidies.claim`, or a whole fixed purpose text) → a describer
  taking the parsed references of a page and returning {raw purpose: words}.
- READS_FOR: reads made for an enterprise without naming it (a batch run reading every
  enterprise's extract and then paying this one): name → a function of the enterprise
  returning {data call id: words}.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import autodiscover_modules

from qinqing.registry import Registry


class PurposeRequired(ValueError):
    """Department data is read for a stated purpose, or not at all."""


_REFERENCE = re.compile(r"^(?P<key>[a-z_]+\.[\w-]+)(?::(?P<id>[\w-]+))?(?:\s+(?P<rest>.*))?$", re.S)


@dataclass(frozen=True)
class PurposeRef:
    """A stored purpose, parsed: `subsidies.claim:2175 eligibility check` → key
    "subsidies.claim", object_id "2175", rest "eligibility check"."""

    raw: str
    key: str
    object_id: str
    rest: str

    @property
    def app(self) -> str:
        return self.key.split(".", 1)[0]


Describer = Callable[[list[PurposeRef]], dict[str, str]]
PURPOSES: Registry[Describer] = Registry("purpose describers")
READS_FOR: Registry[Callable[[Any], dict[int, str]]] = Registry("reads made for an enterprise")
_discovered = False


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("purposes")
        _discovered = True


def parse(purpose: str) -> PurposeRef:
    match = _REFERENCE.match(purpose.strip())
    if match is None:
        return PurposeRef(purpose, "", "", purpose)
    return PurposeRef(purpose, match["key"], match["id"] or "", match["rest"] or "")


def describe(purposes: Iterable[str]) -> dict[str, str]:
    """{stored purpose: words} for a page of calls. A purpose no app describes is shown as
    stored (a bulk refresh, a benchmark)."""
    _discover()
    groups: dict[str, list[PurposeRef]] = {}
    words: dict[str, str] = {}
    for purpose in dict.fromkeys(purposes):
        if purpose in PURPOSES:  # a fixed purpose text, registered whole
            groups.setdefault(purpose, []).append(parse(purpose))
            continue
        ref = parse(purpose)
        key = ref.key if ref.key in PURPOSES else ref.app if ref.app in PURPOSES else None
        if key is None:
            words[purpose] = purpose
        else:
            groups.setdefault(key, []).append(ref)
    for key, refs in groups.items():
        described = PURPOSES[key](refs)
        for ref in refs:
            words[ref.raw] = described.get(ref.raw) or ref.raw
    return words


def reads_for(enterprise: Any) -> dict[int, str]:
    """Data calls that read every enterprise and were used for this one, each with why."""
    _discover()
    found: dict[int, str] = {}
    for _name, provider in READS_FOR.items():
        found.update(provider(enterprise))
    return found
