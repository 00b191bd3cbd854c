"""How each section's tallies are built from the other apps' tables, one module per
section of the dashboards (funds, approvals, credit, requests, department_data), and the
ways a tally row is written (writing.py). `dashboards.refresh` runs them all in one
transaction."""
