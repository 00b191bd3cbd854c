"""The dual-random draw, as pure functions anyone can re-run (algorithm "qinqing-draw-1").

1. Before the draw the campaign is published with the SHA-256 of its *snapshot*: a
   canonical UTF-8 text of the campaign's parameters, the population (USCC, grade,
   district of every enterprise in scope), the inspector pool (username, district) and
   the declared relations, each section sorted, one tab-separated line each.
2. At the draw an official enters a *public value* fixed only then (say, the closing
   index of the day, or a number drawn in public). The seed is
   SHA-256("<campaign id>\\n<snapshot hash>\\n<public value>").
3. Within each grade stratum every enterprise gets the key HMAC-SHA256(seed, USCC); the
   k = ceil(ratio × stratum size) lowest keys are selected (ratio in hundredths of a per
   cent, integer arithmetic).
4. For each selected enterprise the pool (sorted by username) is ranked by keys derived
   from that enterprise's own key K = HMAC-SHA256(seed, USCC): the stream
   SHA-256(K ‖ 0u32) ‖ SHA-256(K ‖ 1u32) ‖ … gives the i-th inspector the big-endian
   32-bit key at bytes 4i…4i+3 (ties: the earlier username first). Inspectors in the
   enterprise's district or with a declared relation to it are excluded; the first
   `per enterprise` are assigned, and a recusal takes the next. (Eight inspectors per
   SHA-256 call instead of one HMAC each: a draw over a million enterprises stays within
   seconds.)

No `random` (its output is not promised stable across Python versions): only SHA-256 and
HMAC, which any language reproduces.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

ALGORITHM = "qinqing-draw-1"
GRADES = ("A", "B", "C", "D")


@dataclass
class Snapshot:
    campaign_id: int
    ratios: dict[str, Decimal]  # grade -> per cent
    per_enterprise: int
    enterprises: list[tuple[str, str, str]]  # (uscc, grade, district code), sorted
    inspectors: list[tuple[str, str]]  # (username, district code or "-"), sorted
    relations: set[tuple[str, str]] = field(default_factory=set)  # (username, uscc)

    def text(self) -> str:
        head = [
            ALGORITHM,
            f"campaign\t{self.campaign_id}",
            "ratios\t" + ";".join(f"{g}={self.ratios[g]:.2f}" for g in GRADES),
            f"per_enterprise\t{self.per_enterprise}",
        ]
        lines = head + [f"E\t{u}\t{g}\t{d}" for u, g, d in self.enterprises]
        lines += [f"I\t{name}\t{d}" for name, d in self.inspectors]
        lines += [f"R\t{name}\t{u}" for name, u in sorted(self.relations)]
        return "\n".join(lines) + "\n"

    def encode(self) -> bytes:
        return self.text().encode("utf-8")


def snapshot_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 1)


def decompress(data: bytes) -> bytes:
    return zlib.decompress(bytes(data))


def parse_snapshot(data: bytes) -> Snapshot:
    lines = data.decode("utf-8").splitlines()
    if not lines or lines[0] != ALGORITHM:
        raise ValueError(f"not a {ALGORITHM} snapshot")
    campaign_id = int(lines[1].split("\t")[1])
    ratios = {
        part.split("=")[0]: Decimal(part.split("=")[1])
        for part in lines[2].split("\t")[1].split(";")
    }
    per_enterprise = int(lines[3].split("\t")[1])
    enterprises, inspectors, relations = [], [], set()
    for line in lines[4:]:
        parts = line.split("\t")
        if parts[0] == "E":
            enterprises.append((parts[1], parts[2], parts[3]))
        elif parts[0] == "I":
            inspectors.append((parts[1], parts[2]))
        elif parts[0] == "R":
            relations.add((parts[1], parts[2]))
    return Snapshot(campaign_id, ratios, per_enterprise, enterprises, inspectors, relations)


def make_seed(campaign_id: int, snapshot_sha256: str, public_value: str) -> bytes:
    return hashlib.sha256(f"{campaign_id}\n{snapshot_sha256}\n{public_value}".encode()).digest()


def quota(ratio: Decimal, size: int) -> int:
    """ceil(ratio % × size), exactly (ratio in hundredths of a per cent)."""
    hundredths = int((Decimal(ratio) * 100).to_integral_value())
    return -(-hundredths * size // 10_000)


def hmac_sha256_many(seed: bytes, messages: Iterable[bytes]) -> list[bytes]:
    """HMAC-SHA256(seed, m) for each m (RFC 2104 with the inner and outer states computed
    once: twice as fast as hmac.digest per message, and the same bytes)."""
    key = seed if len(seed) <= 64 else hashlib.sha256(seed).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key)).copy
    out = []
    append = out.append
    for message in messages:
        first = inner()
        first.update(message)
        second = outer()
        second.update(first.digest())
        append(second.digest())
    return out


def enterprise_key(seed: bytes, uscc: str) -> bytes:
    return hmac.digest(seed, uscc.encode("ascii"), "sha256")


def draw_stratum(seed: bytes, usccs: list[str], k: int) -> list[tuple[bytes, str]]:
    """The k (key, USCC) with the lowest key = HMAC-SHA256(seed, USCC), lowest first."""
    if k <= 0:
        return []
    keys = hmac_sha256_many(seed, (uscc.encode("ascii") for uscc in usccs))
    keyed = list(zip(keys, usccs, strict=True))
    if k < len(keyed) // 8:
        import heapq

        return heapq.nsmallest(k, keyed)
    keyed.sort()
    return keyed[:k]


def _stream(key: bytes, blocks: int) -> bytes:
    sha = hashlib.sha256
    return b"".join(sha(key + block.to_bytes(4, "big")).digest() for block in range(blocks))


def inspector_order(keys: list[bytes], pool_size: int) -> list[list[int]]:
    """For each enterprise key, the pool's indices ranked (see the module's step 4)."""
    if not keys:
        return []
    import numpy as np

    blocks = -(-pool_size // 8)
    data = b"".join(_stream(key, blocks) for key in keys)
    matrix = np.frombuffer(data, dtype=">u4").reshape(len(keys), blocks * 8)[:, :pool_size]
    return np.argsort(matrix, axis=1, kind="stable").tolist()


def inspector_ranking(seed: bytes, uscc: str, pool: Iterable[str]) -> list[str]:
    """The whole pool, ranked for this enterprise (conflicts not yet excluded)."""
    names = sorted(pool)
    order = inspector_order([enterprise_key(seed, uscc)], len(names))[0]
    return [names[index] for index in order]


def eligible_ranking(
    seed: bytes,
    uscc: str,
    district: str,
    snapshot: Snapshot,
    districts: dict[str, str] | None = None,
) -> list[str]:
    districts = districts if districts is not None else dict(snapshot.inspectors)
    return [
        name
        for name in inspector_ranking(seed, uscc, districts)
        if districts[name] != district and (name, uscc) not in snapshot.relations
    ]


def eligible_counts_ok(snapshot: Snapshot) -> tuple[bool, str]:
    """Whether every enterprise in the population has enough inspectors without conflicts;
    (False, a USCC that has not) otherwise."""
    per_district: dict[str, int] = {}
    for _name, district in snapshot.inspectors:
        per_district[district] = per_district.get(district, 0) + 1
    related: dict[str, int] = {}
    for _name, uscc in snapshot.relations:
        related[uscc] = related.get(uscc, 0) + 1
    pool = len(snapshot.inspectors)
    for uscc, _grade, district in snapshot.enterprises:
        if pool - per_district.get(district, 0) - related.get(uscc, 0) < snapshot.per_enterprise:
            return False, uscc
    return True, ""


@dataclass
class DrawResult:
    seed: str
    # grade -> {"population": n, "ratio": "5.00", "k": k}
    strata: dict[str, dict]
    # (uscc, grade, rank, [inspector usernames in order of the ranking, first per_enterprise])
    selections: list[tuple[str, str, int, list[str]]]


def compute_draw(
    snapshot: Snapshot, snapshot_sha256: str, public_value: str, *, spare: int = 0
) -> DrawResult:
    """The whole draw; `spare` more inspectors than needed are listed for each enterprise
    (for replaying recusals)."""
    seed = make_seed(snapshot.campaign_id, snapshot_sha256, public_value)
    by_grade: dict[str, list[str]] = {grade: [] for grade in GRADES}
    district_of: dict[str, str] = {}
    for uscc, grade, district in snapshot.enterprises:
        by_grade[grade].append(uscc)
        district_of[uscc] = district
    names = sorted(name for name, _district in snapshot.inspectors)
    inspector_districts = dict(snapshot.inspectors)
    districts = [inspector_districts[name] for name in names]
    relations = snapshot.relations
    wanted = snapshot.per_enterprise + spare
    strata: dict[str, dict] = {}
    selections = []
    for grade in GRADES:
        members = by_grade[grade]
        ratio = snapshot.ratios.get(grade, Decimal(0))
        k = quota(ratio, len(members))
        strata[grade] = {"population": len(members), "ratio": f"{ratio:.2f}", "k": k}
        chosen = draw_stratum(seed, members, k)
        orders = inspector_order([key for key, _uscc in chosen], len(names))
        for rank, ((_key, uscc), order) in enumerate(zip(chosen, orders, strict=True), start=1):
            district = district_of[uscc]
            picked = []
            for index in order:
                if districts[index] != district and (names[index], uscc) not in relations:
                    picked.append(names[index])
                    if len(picked) == wanted:
                        break
            selections.append((uscc, grade, rank, picked))
    return DrawResult(seed.hex(), strata, selections)
