"""What the disputes plug into others (autodiscovered by qinqing at start): the officials'
work queue of disputes awaiting their department (the workspace reads it from
qinqing.workqueues, without importing this app)."""

from qinqing.workqueues import OFFICIAL_QUEUES

from .selectors import disputes_queue

OFFICIAL_QUEUES.register("disputes", disputes_queue)
