"""How the hub reaches one department (`DepartmentLink`), and the links a city configures
in `settings.HUB_DEPARTMENTS`, checked at start (a system check registered by the app:
`manage.py check`, and every command and server start) so a typo fails loudly rather
than as unknown facts."""

from dataclasses import dataclass, fields

from django.conf import settings
from django.core import checks


@dataclass(frozen=True)
class DepartmentLink:
    """The transport of a department's adapter and what that adapter needs. Hashable: the
    hub keeps one adapter (and connection pool) per link."""

    department: str
    transport: str = "http"
    url: str = ""  # for http: the root of the department's interfaces
    headers: tuple[tuple[str, str], ...] = ()  # for http: e.g. the department's API key
    retries: int | None = None  # for http: settings.HUB_HTTP_RETRIES when None
    bulk: str = ""  # the transport of its bulk extracts; "" when it offers none


OPTIONS = {field.name for field in fields(DepartmentLink)} - {"department"}


def configured_link(department: str) -> DepartmentLink | None:
    """The link settings.HUB_DEPARTMENTS gives a department, or None."""
    configured = getattr(settings, "HUB_DEPARTMENTS", {}).get(department)
    if configured is None:
        return None
    options = dict(configured)
    options["headers"] = tuple(sorted(dict(options.get("headers") or {}).items()))
    return DepartmentLink(department=department, **options)


def check_configured_departments(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    configured = getattr(settings, "HUB_DEPARTMENTS", {})
    if not isinstance(configured, dict):
        return [checks.Error("HUB_DEPARTMENTS must map department codes to their settings.",
                             id="datahub.E001")]  # fmt: skip
    for code, options in configured.items():
        unknown = set(options) - OPTIONS if isinstance(options, dict) else {"(not a dict)"}
        if unknown:
            errors.append(checks.Error(
                f"HUB_DEPARTMENTS[{code!r}]: unknown settings {', '.join(sorted(unknown))}",
                hint=f"Known: {', '.join(sorted(OPTIONS))}.", id="datahub.E002",
            ))  # fmt: skip
        elif configured_link(code).transport == "http" and not options.get("url"):
            errors.append(checks.Error(f"HUB_DEPARTMENTS[{code!r}]: an HTTP department needs a url",
                                       id="datahub.E003"))  # fmt: skip
    return errors
