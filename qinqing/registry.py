"""One shape for everything an app plugs in: department adapters, payment gateways, local
fact providers, event types, notification kinds.

The core declares an empty registry; the app that owns a thing registers it (in its
`AppConfig.ready()` or a module that `ready()` imports), the sandbox registers its
simulators the same way a real adapter would be (Open Forms' plugin registries are the
model). So the core never names an app's vocabulary, and a reader finds every entry by
searching for `register(`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class AlreadyRegistered(ValueError):
    pass


class Registry(Generic[T]):
    """Named entries of one kind, registered once each."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, key: str, entry: T | None = None, *, replace: bool = False):
        """`registry.register("tax", adapter)`, or as a decorator: `@registry.register("tax")`.
        Registering a key twice is a mistake unless `replace` says it is meant (a test, or a
        city's real adapter taking the place of a default)."""
        if entry is None:

            def decorator(item: T) -> T:
                self.register(key, item, replace=replace)
                return item

            return decorator
        if key in self._entries and not replace and self._entries[key] is not entry:
            raise AlreadyRegistered(f"{self.kind}: {key!r} is registered already")
        self._entries[key] = entry
        return entry

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def get(self, key: str, default: T | None = None) -> T | None:
        return self._entries.get(key, default)

    def __getitem__(self, key: str) -> T:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"{self.kind}: nothing registered as {key!r}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())

    def keys(self) -> list[str]:
        return list(self._entries)

    def choices(self, label: Callable[[T], str] = str) -> list[tuple[str, str]]:
        """(key, label) pairs for a form's or a serializer's choices."""
        return [(key, label(entry)) for key, entry in self._entries.items()]
