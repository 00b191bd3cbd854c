"""A city's worth of data for the dashboards' benchmark and for looking at the pages.

`generate_city_data` (the management command) calls `generate()`: enterprises with credit
grades, published policies with budgets, claims with their disbursements and ledger,
industrial-project approvals with commitments and permits, direct-line requests, data-hub
calls and one drawn inspection campaign, spread over the 18 months before `as_of`.

Why not the services: they are the right way to make one record (checks, locks, audit),
and about a thousand times too slow for a million. The rows written here respect every
database constraint and the services' invariants that the dashboards read (a paid claim
has exactly one confirmed disbursement and its two ledger legs; a budget's reserve covers
what was paid or is being paid; an open item has a deadline, a paused one has an open
pause). The inspection campaign alone goes through the services, so its draw verifies.

Deterministic: the same seed, volumes and `as_of` write the same rows. On PostgreSQL rows
go in with COPY (ids chosen here, sequences moved past them afterwards); elsewhere
(SQLite, for tests) with executemany, which is slow but fine for small volumes.

generator.py runs the parts in order; city.py holds what they share (volumes, the time
window, random generators) and rows.py how they write. One module per app written:
enterprises, users, credit, policies_and_claims (with policy_specs), approvals,
directline, hub_calls.
"""

from .city import POLICY_PREFIX, Volumes
from .generator import AlreadyGenerated, generate

__all__ = ["POLICY_PREFIX", "AlreadyGenerated", "Volumes", "generate"]
