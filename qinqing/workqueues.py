"""Officials' work queues that an app contributes without the read side importing it.

The workspace (workspace.selectors.official_queue) reads most queues through the apps'
selectors; an app the read side may not import (integrations: the read side and the
webhooks are independent, pyproject.toml) registers a source here instead, in its
AppConfig.ready(). A source takes the user and the instant and answers a `QueueReading`,
or None when the queue is not this user's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise

from .registry import Registry

Text = str | Promise


@dataclass(frozen=True)
class Waiting:
    """One thing in a queue: what it is about, what is asked, where it is done."""

    subject: Text
    asked: Text
    action: Text
    url: str
    due: datetime | None = None
    due_label: Text | None = None


@dataclass(frozen=True)
class QueueReading:
    title: Text
    count: int
    url: str
    items: Sequence[Waiting] = ()
    urgent: int = 0


OFFICIAL_QUEUES: Registry[Callable[[Any, datetime], QueueReading | None]] = Registry(
    "official work queue"
)
