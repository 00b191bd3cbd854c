"""Enterprises (the register) and the register read back for the other parts."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import numpy as np

from departments.models import Department, District
from enterprises.models import Enterprise
from sandbox.city.register import demo_enterprises

from .city import CityData
from .rows import CHUNK, next_id, timestamps, write_rows


def write_enterprises(city: CityData) -> int:
    count = city.volumes.enterprises
    if not count:
        return 0
    districts = list(District.objects.values_list("code", "admin_code"))
    district_ids = dict(District.objects.values_list("code", "pk"))
    taken: set[str] = set()
    if Enterprise.objects.exists():
        taken = set(Enterprise.objects.values_list("uscc", flat=True).iterator(CHUNK))
    first = next_id(Enterprise)
    rng = random.Random(city.seed * 1000 + city.generation)
    # Registered before the window, mostly years before (the register is older).
    start = city.start.timestamp()
    created = start - np.random.default_rng(city.seed).exponential(400 * 86400, count) - 86400
    created_text = timestamps(created)

    def rows() -> Iterator[tuple]:
        made = 0
        for demo in demo_enterprises(
            count + len(taken), seed=city.seed + city.generation - 1, districts=districts
        ):
            if demo.uscc in taken:
                continue
            stamp = created_text[made]
            yield (
                first + made,
                demo.uscc,
                demo.name,
                district_ids[demo.district_code],
                demo.industry_section,
                demo.industry_division,
                demo.established_on,
                demo.registered_capital,
                demo.size_class,
                demo.legal_representative,
                demo.contact_phone,
                demo.bank_name,
                demo.bank_account,
                "active" if rng.random() > 0.01 else "revoked",
                stamp,
                stamp,
            )
            made += 1
            if made == count:
                return

    return write_rows(
        Enterprise,
        [
            "id",
            "uscc",
            "name",
            "district",
            "industry_section",
            "industry_division",
            "established_on",
            "registered_capital",
            "size_class",
            "legal_representative",
            "contact_phone",
            "bank_name",
            "bank_account",
            "status",
            "created_at",
            "updated_at",
        ],
        rows(),
    )


def load_register(city: CityData) -> None:
    """The active register as arrays: what claims, applications and requests draw from."""
    began = time.perf_counter()
    rows = list(
        Enterprise.objects.filter(status="active")
        .order_by("pk")
        .values_list("pk", "district_id", "industry_section", "bank_name", "bank_account", "uscc")
        .iterator(CHUNK)
    )
    city.ent_uscc = [row[5] for row in rows]
    city.ent_ids = np.array([row[0] for row in rows], dtype=np.int64)
    city.ent_district = np.array([row[1] for row in rows], dtype=np.int64)
    city.ent_section = np.array([row[2] for row in rows], dtype="<U1")
    city.ent_bank = [(row[3] or "杭州银行", row[4] or "6222000000000000000") for row in rows]
    city.districts = dict(District.objects.values_list("pk", "code"))
    city.departments = dict(Department.objects.values_list("code", "pk"))
    city.log(
        f"register: {len(rows):,} active enterprises read in {time.perf_counter() - began:.1f} s"
    )
