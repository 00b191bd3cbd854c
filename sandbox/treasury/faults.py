"""Fault injection for the reliability tests and the fault run (bench/faults.py): a
process started with QINQING_FAULT=<checkpoint name> dies at that checkpoint, as abruptly
as a SIGKILL (no cleanup, no commit), so the tests can show that a worker dying there
loses no claim and pays nothing twice.

The domain only marks its checkpoints (qinqing.checkpoints); the killing hook is
registered here, by receivers.py, and only when the setting names a point. Never set in
production (the sandbox is not even installed there)."""

from __future__ import annotations

import os

from django.conf import settings

from qinqing.checkpoints import CHECKPOINTS

KILLED_EXIT_CODE = 137  # what a shell reports for a process killed by SIGKILL


def die(name: str) -> None:
    """The hook: end this process at once."""
    os._exit(KILLED_EXIT_CODE)


def arm() -> str:
    """Register the hook for the checkpoint QINQING_FAULT names, if any; returns its name."""
    name = getattr(settings, "QINQING_FAULT", "")
    if name:
        CHECKPOINTS.register(name, die, replace=True)
    return name
