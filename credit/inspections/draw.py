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

Since "qinqing-draw-2" (the campaign's `algorithm`; the snapshot's text is unchanged) the
public value of step 2 is not chosen at the draw: at publication the campaign names a future
public event (say, an index's closing value on a named date) and each party (the department
and the supervising office) publishes the SHA-256 of a secret. At the draw the event's value
is entered and each party reveals its secret; a reveal that does not match its commitment
is refused. A party that does not reveal is replaced, by the rule published with the
campaign, by "fallback:" + SHA-256(public value). The seed's third line is then

    <public value>\ndepartment=<reveal>\nsupervisor=<reveal>

(see `seed_input`). The same keys HMAC-SHA256(seed, USCC) are what the draw publishes as the
population and the selection (credit/inspections/publication.py), so anyone holding the
published files recomputes step 3 (tools/verify.py).

No `random` (its output is not promised stable across Python versions): only SHA-256 and
HMAC, which any language reproduces.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

ALGORITHM = "qinqing-draw-1"  # the snapshot's format, and the seed of older campaigns
SEED_ALGORITHM = "qinqing-draw-2"  # commit-reveal and a named public event
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
    lines_text = data.decode("utf-8")
    fast = _parse_canonical(lines_text)
    if fast is not None:
        return fast
    lines = lines_text.splitlines()
    if not lines or lines[0] != ALGORITHM:
        raise ValueError(f"not a {ALGORITHM} snapshot")
    campaign_id, ratios, per_enterprise = _parse_head(lines[:4])
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


def _parse_head(lines: list[str]) -> tuple[int, dict[str, Decimal], int]:
    campaign_id = int(lines[1].split("\t")[1])
    ratios = {
        part.split("=")[0]: Decimal(part.split("=")[1])
        for part in lines[2].split("\t")[1].split(";")
    }
    return campaign_id, ratios, int(lines[3].split("\t")[1])


# str.splitlines() also breaks lines at these; a text holding one is left to it.
_OTHER_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _parse_canonical(text: str) -> Snapshot | None:
    """The snapshot as `Snapshot.text()` writes it (head, E lines, I lines, R lines), split
    block by block in C rather than line by line: a million lines in a fraction of a
    second. None when the text is not laid out so (the general parser then reads it)."""
    if not text.endswith("\n") or any(mark in text for mark in _OTHER_LINE_BREAKS):
        return None
    head_end = 0
    for _ in range(4):
        head_end = text.find("\n", head_end) + 1
        if head_end == 0:
            return None
    head = text[:head_end].split("\n")[:4]
    if head[0] != ALGORITHM:
        return None
    rest = text[head_end:]
    tail_at = rest.find("\nI\t") + 1 if not rest.startswith("I\t") else 0
    if tail_at == 0 and not rest.startswith("I\t"):
        return None  # no inspector line: leave it to the general parser
    block, tail = rest[:tail_at], rest[tail_at:]
    fields = block[:-1].replace("\n", "\t").split("\t") if block else []
    count = len(fields) // 4
    if len(fields) % 4 or fields[0::4].count("E") != count:
        return None
    enterprises = list(zip(fields[1::4], fields[2::4], fields[3::4], strict=True))
    inspectors, relations = [], set()
    for line in tail[:-1].split("\n"):
        parts = line.split("\t")
        if parts[0] == "I" and len(parts) == 3:
            inspectors.append((parts[1], parts[2]))
        elif parts[0] == "R" and len(parts) == 3:
            relations.add((parts[1], parts[2]))
        else:
            return None
    campaign_id, ratios, per_enterprise = _parse_head(head)
    return Snapshot(campaign_id, ratios, per_enterprise, enterprises, inspectors, relations)


def make_seed(campaign_id: int, snapshot_sha256: str, public_value: str) -> bytes:
    return hashlib.sha256(f"{campaign_id}\n{snapshot_sha256}\n{public_value}".encode()).digest()


def commitment(secret: str) -> str:
    """What a party publishes for its secret: SHA-256 of its UTF-8 bytes, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def fallback_reveal(public_value: str) -> str:
    """The published stand-in for a party that does not reveal its secret at the draw."""
    return "fallback:" + hashlib.sha256(public_value.encode("utf-8")).hexdigest()


def effective_reveals(
    parties: Iterable[str], reveals: dict[str, str | None], public_value: str
) -> dict[str, str]:
    return {party: reveals.get(party) or fallback_reveal(public_value) for party in parties}


def seed_input(public_value: str, parties: Iterable[str], reveals: dict[str, str | None]) -> str:
    """The text the seed is made of besides the campaign and the snapshot's hash: the
    public value alone for a campaign without commitments, else with each party's reveal."""
    parties = list(parties)
    if not parties:
        return public_value
    effective = effective_reveals(parties, reveals, public_value)
    return "\n".join([public_value, *(f"{party}={effective[party]}" for party in parties)])


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
    return [(keys[index], usccs[index]) for index in lowest(keys, usccs, k)]


def lowest(keys: list[bytes], usccs: list[str], k: int) -> list[int]:
    """Indices of the k lowest (key, USCC), in that order: exactly `sorted(zip(keys,
    usccs))[:k]`, without sorting them all. numpy finds the k-th lowest of the keys' first
    8 bytes (big-endian, so ordered as the bytes are); every one of the k lowest keys has a
    prefix at most that, so only those candidates (k, and any tie on the prefix) are
    sorted, by the whole key and then the USCC as before."""
    if k <= 0:
        return []
    if k >= len(keys):
        candidates = range(len(keys))
    else:
        prefixes = np.frombuffer(b"".join(keys), dtype=">u8")[::4]
        kth = np.partition(prefixes, k - 1)[k - 1]
        candidates = np.flatnonzero(prefixes <= kth).tolist()
    return sorted(candidates, key=lambda index: (keys[index], usccs[index]))[:k]


def _key_matrix(keys: list[bytes], pool_size: int):  # -> np.ndarray
    """Row i: the 32-bit keys of the pool's inspectors for enterprise key i (step 4)."""
    blocks = -(-pool_size // 8)
    sha = hashlib.sha256
    suffixes = [block.to_bytes(4, "big") for block in range(blocks)]
    data = b"".join([sha(key + suffix).digest() for key in keys for suffix in suffixes])
    return np.frombuffer(data, dtype=">u4").reshape(len(keys), blocks * 8)[:, :pool_size]


def inspector_order(keys: list[bytes], pool_size: int) -> list[list[int]]:
    """For each enterprise key, the pool's indices ranked (see the module's step 4)."""
    if not keys:
        return []
    return np.argsort(_key_matrix(keys, pool_size), axis=1, kind="stable").tolist()


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
    # Enough in every district even for the enterprise with the most declared relations:
    # then each of a million enterprises need not be looked at.
    most_related = max(related.values(), default=0)
    districts = (
        set(list(zip(*snapshot.enterprises, strict=True))[2]) if snapshot.enterprises else set()
    )
    if all(
        pool - per_district.get(district, 0) - most_related >= snapshot.per_enterprise
        for district in districts
    ):
        return True, ""
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
    # for each selection, its enterprise's index in the snapshot's enterprises
    positions: list[int] = field(default_factory=list)


def compute_draw(
    snapshot: Snapshot, snapshot_sha256: str, public_value: str, *, spare: int = 0
) -> DrawResult:
    """The whole draw; `spare` more inspectors than needed are listed for each enterprise
    (for replaying recusals)."""
    seed = make_seed(snapshot.campaign_id, snapshot_sha256, public_value)
    strata: dict[str, dict] = {}
    selections: list[tuple[str, str, int, list[str]]] = []
    positions: list[int] = []
    for grade, stratum, drawn, at in draw_strata(snapshot, seed, spare=spare):
        strata[grade] = stratum
        selections.extend(drawn)
        positions.extend(at)
    return DrawResult(seed.hex(), strata, selections, positions)


def draw_strata(
    snapshot: Snapshot, seed: bytes, *, spare: int = 0
) -> Iterator[tuple[str, dict, list[tuple[str, str, int, list[str]]], list[int]]]:
    """The draw stratum by stratum, A to D: (grade, {"population", "ratio", "k"}, its
    selections as in DrawResult, their enterprises' indices in the snapshot), so that a
    caller may write one stratum while the next is computed. Python's cyclic garbage
    collector is held off meanwhile: the million keys and tuples made here hold no cycles,
    and its full passes over them cost more than the draw itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield from _strata(snapshot, seed, spare)
    finally:
        if enabled:
            gc.enable()


def _encoded(usccs: list[str]) -> list[bytes]:
    """Each USCC as ASCII bytes, encoded in one piece rather than one by one."""
    encoded = "\n".join(usccs).encode("ascii").split(b"\n")
    if len(encoded) != len(usccs) or not usccs:
        return [uscc.encode("ascii") for uscc in usccs]
    return encoded


encode_usccs = _encoded


def _strata(
    snapshot: Snapshot, seed: bytes, spare: int
) -> Iterator[tuple[str, dict, list[tuple[str, str, int, list[str]]], list[int]]]:
    usccs_all, grades_all, districts_all = (
        zip(*snapshot.enterprises, strict=True) if snapshot.enterprises else ((), (), ())
    )
    unknown = set(grades_all) - set(GRADES)
    if unknown:
        raise KeyError(min(unknown))
    grade_array = np.array(grades_all, dtype="U1")
    names = sorted(name for name, _district in snapshot.inspectors)
    inspector_districts = dict(snapshot.inspectors)
    # Districts as small integers, so that "the inspector's district is the enterprise's"
    # is one comparison over a whole stratum; a district no inspector has gets -1.
    codes: dict[str, int] = {}
    pool_codes = np.array(
        [codes.setdefault(inspector_districts[name], len(codes)) for name in names],
        dtype=np.int32,
    )
    names_array = np.array(names, dtype=object)
    related: dict[str, list[int]] = {}
    position = {name: index for index, name in enumerate(names)}
    for name, uscc in snapshot.relations:
        if name in position:
            related.setdefault(uscc, []).append(position[name])
    wanted = snapshot.per_enterprise + spare
    for grade in GRADES:
        members = np.flatnonzero(grade_array == grade).tolist()
        ratio = snapshot.ratios.get(grade, Decimal(0))
        k = quota(ratio, len(members))
        stratum = {"population": len(members), "ratio": f"{ratio:.2f}", "k": k}
        if k <= 0:
            yield grade, stratum, [], []
            continue
        usccs = [usccs_all[index] for index in members]
        keys = hmac_sha256_many(seed, _encoded(usccs))
        chosen = lowest(keys, usccs, k)
        chosen_usccs = [usccs[index] for index in chosen]
        chosen_at = [members[index] for index in chosen]
        order = np.argsort(
            _key_matrix([keys[index] for index in chosen], len(names)), axis=1, kind="stable"
        )
        home = np.array(
            [codes.get(districts_all[index], -1) for index in chosen_at], dtype=np.int32
        )
        eligible = pool_codes[order] != home[:, None]
        for row, uscc in enumerate(chosen_usccs):
            for excluded in related.get(uscc, ()):
                eligible[row, order[row] == excluded] = False
        taken = eligible & (np.cumsum(eligible, axis=1) <= wanted)
        counts = taken.sum(axis=1)
        picked_flat = names_array[order[taken]]
        if len(counts) and (counts == wanted).all():
            picked = picked_flat.reshape(len(chosen), wanted).tolist()
        else:
            picked = [list(part) for part in np.split(picked_flat, np.cumsum(counts)[:-1])]
        selections = list(zip(chosen_usccs, [grade] * k, range(1, k + 1), picked, strict=True))
        yield grade, stratum, selections, chosen_at
