"""Users: enterprise members with their memberships."""

from __future__ import annotations

import numpy as np

from accounts.models import User
from enterprises.models import EnterpriseMembership

from .city import CityData
from .directline import REQUEST_DEPARTMENTS
from .policy_specs import POLICIES
from .rows import from_epoch, next_id, write_rows


def write_users(city: CityData) -> int:
    """Officials in the departments that decide here, and one member (legal
    representative) for each enterprise that raises requests or applies for projects."""
    g = city.generation
    rng = city.rng("users")
    needed = min(len(city.ent_ids), city.volumes.items // 4 + city.volumes.requests // 2 + 1)
    pick = (
        np.sort(rng.choice(len(city.ent_ids), size=needed, replace=False))
        if needed
        else np.array([], dtype=np.int64)
    )
    city.member_rows = pick  # indices into the register arrays
    first = next_id(User)
    joined = from_epoch(city.start.timestamp() - 86400)
    official_codes = sorted(
        set(REQUEST_DEPARTMENTS)
        | {"ndrc", "planning", "construction", "ecology", "emergency", "market"}
        | {spec.department for spec in POLICIES}
    )
    rows: list[tuple] = []
    city.officials: dict[str, list[int]] = {}
    city.supervisors: dict[str, int] = {}
    user_id = first
    for code in official_codes:
        department = city.departments.get(code)
        if department is None:
            continue
        for number, district in enumerate([None, *sorted(city.districts)]):
            supervisor = district is None
            rows.append(
                (
                    user_id,
                    "!",
                    False,
                    f"cd{g}-{code}-{number}",
                    "",
                    "",
                    "",
                    False,
                    True,
                    joined,
                    "official",
                    f"{code} {number}",
                    department,
                    district,
                    supervisor,
                )
            )
            city.officials.setdefault(code, []).append(user_id)
            if supervisor:
                city.supervisors[code] = user_id
            user_id += 1
    city.member_user: dict[int, int] = {}
    for index in pick.tolist():
        rows.append(
            (
                user_id,
                "!",
                False,
                f"cd{g}-m{int(city.ent_ids[index])}",
                "",
                "",
                "",
                False,
                True,
                joined,
                "enterprise",
                "",
                None,
                None,
                False,
            )
        )
        city.member_user[index] = user_id
        user_id += 1
    written = write_rows(
        User,
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "role",
            "display_name",
            "department",
            "district",
            "is_supervisor",
        ],
        rows,
    )
    city.summary.counts["officials"] = sum(len(ids) for ids in city.officials.values())
    city.summary.counts["enterprise_members"] = len(city.member_user)
    first_membership = next_id(EnterpriseMembership)
    written += write_rows(
        EnterpriseMembership,
        ["id", "enterprise", "user", "role", "created_at"],
        (
            (
                first_membership + n,
                int(city.ent_ids[index]),
                uid,
                "legal_representative",
                joined,
            )
            for n, (index, uid) in enumerate(city.member_user.items())
        ),
    )
    return written
