"""The data hub ("City Brain"): facts about an enterprise from the departments that hold them.

Callers use `fetch_facts()` (one enterprise, live) and `read_snapshot()` (every enterprise,
from the bulk extracts). Everything else in this package is how.
"""
