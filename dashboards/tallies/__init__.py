"""How each section's tallies are built from the other apps' tables, one module per
section of the dashboards (funds, approvals, credit, requests, department_data), and the
ways a tally row is written (writing.py). `dashboards.refresh` runs them all in one
transaction. The subjects declared as `Grouped` (claims, payments, claim to cash, data
calls, commitments) are also kept current on PostgreSQL by `dashboards.deltas`, from the
same expressions."""
