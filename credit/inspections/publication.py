"""What a draw publishes so that anyone can recompute it (docs/transparency.md): a
description (draw.json: the campaign's rules, commitments, reveals, public value, snapshot
hash, strata and ratios, and the SHA-256 of the two files), the population and the
selection. Enterprises appear only as keyed hashes HMAC-SHA256(seed, USCC), the very keys the
draw ranks by: the key (the seed) is known only once the draw is made, and with it an
enterprise finds its own line, while nobody learns the register's other entries from the
files. Inspectors and declared relations are not published (personal data).

population.txt: one line per enterprise, "<grade>\\t<key hex>", sorted by grade then key.
selection.txt: one line per selected enterprise, "<grade>\\t<rank>\\t<key hex>", by grade
then rank.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
from django.core.serializers.json import DjangoJSONEncoder

from . import draw as algorithm
from .models import RATIO_BANDS, DrawFiles, InspectionCampaign, InspectionDraw

FORMAT = "qinqing-draw-publication-1"
FALLBACK_RULE = (
    'A party that does not reveal its secret at the draw is replaced by "fallback:" followed '
    "by the SHA-256 (hex) of the public value; the draw then proceeds."
)


def population_text(snapshot: algorithm.Snapshot, seed: bytes) -> bytes:
    """Every enterprise's key, grade by grade, sorted (the order reveals nothing)."""
    usccs_by_grade: dict[str, list[str]] = {grade: [] for grade in algorithm.GRADES}
    for uscc, grade, _district in snapshot.enterprises:
        usccs_by_grade.setdefault(grade, []).append(uscc)
    chunks = []
    for grade in algorithm.GRADES:
        keys = algorithm.hmac_sha256_many(seed, algorithm.encode_usccs(usccs_by_grade[grade]))
        if keys:
            # Sorted as bytes in numpy (the same order as their hex), encoded in one piece.
            ordered = np.sort(np.frombuffer(b"".join(keys), dtype="S32")).tobytes().hex()
            hexes = [ordered[at : at + 64] for at in range(0, len(ordered), 64)]
            chunks.append(f"{grade}\t" + f"\n{grade}\t".join(hexes) + "\n")
    return "".join(chunks).encode("ascii")


def selection_text(seed: bytes, selected: dict[str, list[str]]) -> bytes:
    """The selected enterprises (USCCs in rank order per grade) as keys with their ranks."""
    lines = []
    for grade in algorithm.GRADES:
        usccs = selected.get(grade, [])
        keys = algorithm.hmac_sha256_many(seed, algorithm.encode_usccs(usccs)) if usccs else []
        lines.extend(f"{grade}\t{rank}\t{key.hex()}" for rank, key in enumerate(keys, 1))
    return ("\n".join(lines) + "\n" if lines else "").encode("ascii")


def description(
    campaign: InspectionCampaign, drawn: InspectionDraw | None, files: dict[str, bytes]
) -> dict[str, Any]:
    """draw.json: everything but the two files, and their hashes (before the draw: what
    the campaign fixed at publication)."""
    parties = list(campaign.commitments)
    body: dict[str, Any] = {
        "format": FORMAT,
        "campaign": {
            "id": campaign.pk,
            "title": campaign.title,
            "department": campaign.department.code,
            "items": campaign.items,
            "published_at": campaign.published_at,
            "algorithm": campaign.algorithm,
            "snapshot_sha256": campaign.snapshot_sha256,
            "population": campaign.population,
            "strata_sizes": campaign.strata_sizes,
            "ratios": campaign.ratios,
            "bands": {grade: list(band) for grade, band in RATIO_BANDS.items()},
            "public_event": campaign.public_event,
            "public_event_on": campaign.public_event_on,
            "parties": parties,
            "commitments": campaign.commitments,
            "fallback_rule": FALLBACK_RULE if parties else "",
        },
        "draw": None,
        "files": {},
    }
    if drawn is not None:
        body["draw"] = {
            "drawn_at": drawn.drawn_at,
            "public_value": drawn.public_value,
            "reveals": {party: drawn.reveals.get(party) for party in parties},
            "seed": drawn.seed,
            "strata": drawn.strata,
        }
        body["files"] = {
            name: {"name": f"{name}.txt", "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        }
    return body


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()


def publish_files(
    campaign: InspectionCampaign,
    drawn: InspectionDraw,
    snapshot: algorithm.Snapshot,
    seed: bytes,
    selected: dict[str, list[str]],
) -> DrawFiles:
    """Written in the draw's transaction: the draw and its files are published together."""
    population = population_text(snapshot, seed)
    selection = selection_text(seed, selected)
    body = description(campaign, drawn, {"population": population, "selection": selection})
    return DrawFiles.objects.create(
        draw=drawn,
        description=encode(body),
        population=algorithm.compress(population),
        selection=algorithm.compress(selection),
    )


def file_bytes(files: DrawFiles, name: str) -> bytes:
    if name == "draw.json":
        return bytes(files.description)
    if name == "population.txt":
        return algorithm.decompress(files.population)
    return algorithm.decompress(files.selection)
