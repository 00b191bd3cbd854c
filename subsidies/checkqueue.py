"""Claims waiting to be checked, handed to the workers in batches (issue #5's speed).

A submitted claim's id goes onto a list in Redis. At most IN_FLIGHT check tasks work the
list at a time, each holding a slot: a claim that finds a slot free queues a task at once
(so a claim alone is taken at once: nothing ever waits on purpose); a claim that finds
them all busy is taken by the next look of a task already working, with every other claim
that arrived meanwhile (pipeline.check_many decides them together). Under load the
batches grow by themselves, and so does what each claim's share of the work saves.

Both steps are Lua scripts, atomic in Redis: a task gives its slot back only when the list
is empty at that very moment, so a claim can never be pushed between "nothing left" and
"slot released" and then wait for nobody.

Exactly once: LPOP hands each id to one task. A worker killed after taking ids leaves its
claims "checking"; due_rechecks() puts them back after ten minutes (as for a lost check
task), and the check itself is idempotent. A slot expires SLOT_SECONDS after its holder's
last look, so a dead or lost task never holds one for long, and the beat sweep looks at
the list every minute (kick). Without Redis (the embedded mode) each claim is checked by
its own task, in-process.
"""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings

from qinqing.queueing import eager, paused, queue

logger = logging.getLogger(__name__)

# Check tasks working the list at once. Few: each takes everything waiting, so fewer
# tasks mean larger batches and less work per claim; enough to overlap one batch's
# department and treasury waits with another's computing.
IN_FLIGHT = 4
# A slot whose holder has not looked at the list for this long is free again.
SLOT_SECONDS = 30
# A task hands its slot on to a fresh task after this long (Celery's time limits).
TASK_SECONDS = 20
CHECK_TASK = "subsidies.tasks.check_claim"
WORK_TASK = "subsidies.tasks.check_waiting_claims"

# KEYS: the list, then the slots. ARGV: the claim id, the slot expiry. Returns the slot
# taken, or -1 when every slot is busy (a working task will take the claim).
_ENQUEUE = """
redis.call('RPUSH', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[2]) then return i - 2 end
end
return -1
"""
# KEYS: the list, the caller's slot. ARGV: how many, the slot expiry. Returns the ids
# taken (the slot kept), or none (the slot given back, in the same atomic step).
_TAKE = """
local ids = redis.call('LPOP', KEYS[1], ARGV[1])
if ids then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
  return ids
end
redis.call('DEL', KEYS[2])
return {}
"""
# KEYS: the list, then the slots. Takes a free slot if anything is waiting.
_KICK = """
if redis.call('LLEN', KEYS[1]) == 0 then return -1 end
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then return i - 2 end
end
return -1
"""
_client: redis.Redis | None = None
_scripts: dict[str, object] = {}


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        # Short: enqueue() runs in the web tier after the claim's commit (issue #19).
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2,
                                       socket_connect_timeout=0.5)  # fmt: skip
    return _client


def _script(name: str, source: str):
    if name not in _scripts:
        _scripts[name] = _redis().register_script(source)
    return _scripts[name]


def _keys() -> tuple[str, list[str]]:
    # Per task queue: two deployments (or benchmark runs) sharing a Redis never mix.
    base = f"qinqing:{settings.CELERY_TASK_DEFAULT_QUEUE}:claims-to-check"
    return base, [f"{base}:slot:{number}" for number in range(IN_FLIGHT)]


def batching() -> bool:
    """Batched checks need a real broker and Redis; eager (embedded) mode checks at once."""
    return bool(settings.REDIS_URL) and not eager()


def enqueue(claim_id: int) -> None:
    """After the claim's commit: put it on the list, and queue a task if a slot is free
    (one round trip to Redis). Should Redis fail here, the claim gets its own task."""
    if not batching():
        queue(CHECK_TASK, claim_id)
        return
    if paused():  # the broker failed a moment ago: the owed-work sweep takes this claim
        return
    waiting, slots = _keys()
    try:
        slot = _script("enqueue", _ENQUEUE)(keys=[waiting, *slots], args=[claim_id, SLOT_SECONDS])
    except redis.RedisError:
        logger.warning("claim %s: the check list is unavailable; checking it alone", claim_id)
        queue(CHECK_TASK, claim_id)
        return
    if slot >= 0:
        queue(WORK_TASK, slot)


def take(slot: int, limit: int) -> list[int]:
    """The ids waiting now (at most `limit`), each given to this caller only; none, and
    the slot given back, when nothing waits."""
    waiting, slots = _keys()
    ids = _script("take", _TAKE)(keys=[waiting, slots[slot]], args=[limit, SLOT_SECONDS])
    return [int(claim_id) for claim_id in ids]


def work(slot: int, limit: int, decide) -> int:
    """A check task's loop: take what waits, decide it, look again, until nothing waits
    (the slot is then free). After TASK_SECONDS the slot passes to a fresh task, so that
    no task runs into Celery's time limits under sustained load. Returns claims decided."""
    done = 0
    until = time.monotonic() + TASK_SECONDS
    while claim_ids := take(slot, limit):
        try:
            decide(claim_ids)
        except Exception:
            # These claims stay "checking" for due_rechecks(); the others on the list must
            # not wait for this slot to expire: give it back and let another task start.
            _waiting, slots = _keys()
            _redis().delete(slots[slot])
            kick()
            raise
        done += len(claim_ids)
        if time.monotonic() > until:
            queue(WORK_TASK, slot)  # still held: the next task carries on
            break
    return done


def kick() -> int | None:
    """The beat sweep: if claims wait and a slot is free (its task lost), queue a task."""
    if not batching():
        return None
    waiting, slots = _keys()
    try:
        slot = _script("kick", _KICK)(keys=[waiting, *slots], args=[SLOT_SECONDS])
    except redis.RedisError:  # Redis away: the sweep's other work goes on; next minute
        logger.warning("the claim check list is unavailable; not kicked")
        return None
    if slot >= 0:
        queue(WORK_TASK, slot)
        return slot
    return None
