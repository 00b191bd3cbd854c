"""Durations kept as counts per logarithmic bucket, so medians and 95th percentiles can be
summed across any filter and still be read off without the raw rows.

Bucket 0 holds values below 1 (of the subject's unit); bucket i ≥ 1 holds
[RATIO**(i-1), RATIO**i). With RATIO 1.1 a bucket is 10 % wide and the percentile,
interpolated by rank inside its bucket, is within a few per cent of the exact one: a median
of 1.2 s is reported as 1.2 s, never as "between 1 and 2 s".
"""

import math
from collections.abc import Iterable

RATIO = 1.1
_LOG_RATIO = math.log(RATIO)


def bucket_of(value: float) -> int:
    if value < 1:
        return 0
    return int(math.log(value) / _LOG_RATIO) + 1


def bounds(bucket: int) -> tuple[float, float]:
    if bucket <= 0:
        return 0.0, 1.0
    return RATIO ** (bucket - 1), RATIO**bucket


def percentile(counts: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """The value below which `fraction` of the counted durations fall.

    `counts` are (bucket, count) pairs, in any order and possibly repeated."""
    merged: dict[int, int] = {}
    for bucket, count in counts:
        merged[bucket] = merged.get(bucket, 0) + count
    total = sum(merged.values())
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for bucket in sorted(merged):
        count = merged[bucket]
        if count and seen + count >= rank:
            low, high = bounds(bucket)
            inside = (rank - seen) / count
            return low + (high - low) * inside
        seen += count
    return bounds(max(merged))[1]
