"""Named points in the domain's work where something outside the domain may step in.

The domain marks a moment worth observing, such as "the treasury has paid and nothing is
booked yet", with `checkpoint("after_treasury_call")`. What happens there is not the
domain's business: a hook registered under that name in `CHECKPOINTS` is called, and
with none registered (production) a checkpoint costs one dict lookup and does nothing.

The sandbox's fault injection is the one user today: with QINQING_FAULT=<name> it
registers a hook that kills the process at that point (sandbox/treasury/faults.py), so the
reliability tests can prove that a worker dying there loses no claim and pays nothing
twice. A hook may also count, log or trace. Hooks are registered at start (an app's
`receivers` module), never by the code that calls `checkpoint`.

Points in use: "after_treasury_call" (subsidies.payments.send).
"""

from __future__ import annotations

from collections.abc import Callable

from .registry import Registry

# Checkpoint name → a hook called with that name.
CHECKPOINTS: Registry[Callable[[str], None]] = Registry("checkpoint hooks")


def checkpoint(name: str) -> None:
    """Call the hook registered for this point, if any."""
    hook = CHECKPOINTS.get(name)
    if hook is not None:
        hook(name)
