"""Input limits shared by credit's forms, serialisers and services, the page size, and how
many rows the daily sweep changes per transaction."""

TITLE_MAX = 200
TEXT_MAX = 2000
PAGE_SIZE = 25

# Records and list entries the daily sweep ends per call of move_many, each call its own
# transaction: few, large calls (the statements are per call), but a record arriving for
# one of these enterprises (superseding its old tax grade) waits for at most one of them.
SWEEP_CHUNK = 50_000
