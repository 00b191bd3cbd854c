"""Service packages on one combined sheet, decided item by item by the departments.

A package (industrial project approval, enterprise establishment, …) is data: its sheet
fields, its item types and the rules choosing items from the answers are rows that
administrators edit (service_packages.py). An application is one enterprise's (or
founder's) filled sheet; each item it needs becomes an `Item` that one department reviews
against the working-hours clock (applications.py).

Everything is imported here so that Django finds the models and callers import from
approvals.models.
"""

from .applications import (
    APPROVED_STATES,
    ITEM_TRANSITIONS,
    OPEN_STATES,
    Application,
    ApplicationStatus,
    Item,
    ItemMessage,
    ItemPause,
    ItemStatus,
    MessageKind,
    PauseReason,
    Permit,
)
from .service_packages import (
    AutoCheck,
    FieldType,
    ItemRule,
    ItemType,
    LimitUnit,
    Operator,
    PackageKind,
    ServicePackage,
    SheetField,
)

__all__ = [
    "APPROVED_STATES",
    "ITEM_TRANSITIONS",
    "OPEN_STATES",
    "Application",
    "ApplicationStatus",
    "AutoCheck",
    "FieldType",
    "Item",
    "ItemMessage",
    "ItemPause",
    "ItemRule",
    "ItemStatus",
    "ItemType",
    "LimitUnit",
    "MessageKind",
    "Operator",
    "PackageKind",
    "PauseReason",
    "Permit",
    "ServicePackage",
    "SheetField",
]
