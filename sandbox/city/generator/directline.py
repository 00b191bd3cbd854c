"""Direct-line requests with their hops and pauses."""

from __future__ import annotations

import random

import numpy as np
from django.utils import timezone

from directline.models import Category, Request, RequestHop, RequestPause
from qinqing.workhours.clock import add_working_time

from .city import CityData, office_hour
from .rows import from_epoch, next_id, write_rows

REQUEST_DEPARTMENTS = {
    "taxation": 20,
    "hrss": 18,
    "market": 14,
    "housing_fund": 6,
    "data": 10,
    "economy": 6,
    "science": 5,
    "commerce": 5,
    "planning": 4,
    "construction": 4,
    "ecology": 3,
    "transport": 2,
    "local_finance": 3,
}
REQUEST_SUBJECTS = {
    "policy_question": (
        "稳岗返还何时到账？",
        "研发奖励的申报条件是什么？",
        "房租补贴的面积如何计算？",
        "留抵退税需要哪些条件？",
    ),
    "difficulty": (
        "招工难，希望对接用工资源",
        "厂房租金上涨，经营压力大",
        "融资难，希望银行对接",
        "项目用地指标迟迟未落实",
    ),
    "suggestion": ("建议简化发票申领流程", "建议延长政策兑现期限", "建议开放更多数据接口"),
    "service_complaint": ("窗口办事等待时间过长", "电话多次无人接听", "补贴审核进度不透明"),
}
CATEGORY_WEIGHTS = {
    "policy_question": 50,
    "difficulty": 25,
    "suggestion": 15,
    "service_complaint": 10,
}
REQUEST_STATUS_MIX = {"closed": 56, "answered": 22, "open": 15, "info_requested": 4, "reopened": 3}


def write_requests(city: CityData) -> int:
    n = city.volumes.requests
    if not n or not city.member_user:
        return 0
    categories = list(Category.objects.all())
    rng = random.Random(f"{city.seed}:{city.generation}:requests")
    departments = [code for code in REQUEST_DEPARTMENTS if code in city.departments]
    dep_weights = [REQUEST_DEPARTMENTS[code] for code in departments]
    members = list(city.member_user.items())
    category_weights = [CATEGORY_WEIGHTS.get(c.code, 5) for c in categories]
    statuses = list(REQUEST_STATUS_MIX)
    status_weights = list(REQUEST_STATUS_MIX.values())
    now = city.end.timestamp()
    first, first_hop, first_pause = (
        next_id(Request),
        next_id(RequestHop),
        next_id(RequestPause),
    )
    g = city.generation
    times = np.sort(city.times(city.rng("request-times"), n))
    rows: list[tuple] = []
    hops: list[tuple] = []
    pauses: list[tuple] = []
    for number in range(n):
        index, raiser = members[rng.randrange(len(members))]
        category = rng.choices(categories, category_weights)[0]
        code = rng.choices(departments, dep_weights)[0]
        department = city.departments[code]
        state = rng.choices(statuses, status_weights)[0]
        if state in ("open", "info_requested", "reopened"):
            started = office_hour(now - rng.expovariate(1 / (1.5 * 86400)) - 300, rng, city.offset)
        else:
            started = float(times[number])
        start = from_epoch(started)
        limit = category.limit_hours
        deadline = add_working_time(start, limit * 3600)
        answered = answered_by = rating = rated = reopened = supervisor = None
        answer = ""
        if state in ("answered", "closed", "reopened"):
            share = rng.lognormvariate(-1.0, 0.7)  # about 7 % later than the limit
            answered = add_working_time(start, int(limit * 3600 * share))
            if answered.timestamp() >= now:
                answered = from_epoch(max(started + 60, now - rng.uniform(60, 3600)))
            officials = city.officials.get(code, [None])
            answered_by = officials[rng.randrange(len(officials))]
            answer = (
                "您好，您反映的问题已收悉，经核实答复如下：已协调相关处室办理，请留意后续通知。"
            )
        if state == "closed":
            rating = rng.choices(("satisfied", "basically", "unsatisfied"), (84, 11, 5))[0]
            rated = from_epoch(min(answered.timestamp() + rng.uniform(600, 5 * 86400), now - 30))
        if state == "reopened":
            rating = "unsatisfied"
            rated = reopened = from_epoch(
                min(answered.timestamp() + rng.uniform(600, 2 * 86400), now - 30)
            )
            supervisor = city.supervisors.get(code)
            deadline = add_working_time(reopened, limit * 3600)
        keep_deadline = state in ("open", "reopened")
        subject = rng.choice(
            REQUEST_SUBJECTS.get(category.code, REQUEST_SUBJECTS["policy_question"])
        )
        rows.append(
            (
                first + number,
                f"ZTC{start.astimezone(timezone.get_default_timezone()):%Y%m%d}-C{g}{number:07d}",
                int(city.ent_ids[index]),
                raiser,
                category.pk,
                subject,
                subject + "，请予协调解决。",
                int(city.ent_district[index]),
                state,
                department,
                supervisor,
                start,
                limit,
                deadline if keep_deadline else None,
                answer,
                answered,
                answered_by,
                rating or "",
                "",
                rated,
                reopened,
                False,
                start,
            )
        )
        hops.append(
            (
                first_hop + number,
                first + number,
                city.departments.get("data", department),  # entered at the coordinating office
                department,
                None,
                "按规则分派 (routed by rule)" if code != "data" else "无匹配规则，转协调办",
                None,
                start,
            )
        )
        if state == "info_requested":
            pauses.append(
                (
                    first_pause + len(pauses),
                    first + number,
                    from_epoch(min(started + rng.uniform(1800, 86400), now - 60)),
                    None,
                )
            )
    written = write_rows(
        Request,
        [
            "id",
            "reference",
            "enterprise",
            "raised_by",
            "category",
            "subject",
            "description",
            "district",
            "status",
            "department",
            "supervisor",
            "started_at",
            "limit_hours",
            "deadline",
            "answer",
            "answered_at",
            "answered_by",
            "rating",
            "rating_comment",
            "rated_at",
            "reopened_at",
            "publication_refused",
            "created_at",
        ],
        rows,
    )
    written += write_rows(
        RequestHop,
        [
            "id",
            "request",
            "from_department",
            "to_department",
            "rule",
            "reason",
            "actor",
            "created_at",
        ],
        hops,
    )
    written += write_rows(RequestPause, ["id", "request", "started_at", "ended_at"], pauses)
    city.summary.counts["direct_requests"] = len(rows)
    return written
