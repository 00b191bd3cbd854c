"""Deterministic demo enterprises: the same seed always gives the same register."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from enterprises.industries import DIVISIONS
from enterprises.models import SizeClass
from qinqing.identifiers import make_uscc, organisation_code

# The alphabet of a GB 11714 organisation code's body.
_ORG_BODY_ALPHABET = "0123456789" + "ABCDEFGHJKLMNPQRTUWXY"
# Areas that are not administrative divisions register under the city's code.
CITY_ADMIN_CODE = "330100"

_TRADE_NAMES = (
    "钱江",
    "西溪",
    "之江",
    "云栖",
    "湖畔",
    "运河",
    "良渚",
    "天目",
    "富春",
    "新安",
    "东信",
    "海创",
    "智汇",
    "青山",
    "凤起",
    "武林",
    "德胜",
    "梦想",
    "数联",
    "明远",
    "恒达",
    "瑞丰",
    "启航",
    "星辰",
    "博远",
    "嘉禾",
    "鼎盛",
    "万象",
    "同心",
    "安澜",
)
_BUSINESS_WORDS = {
    "A": "农业科技",
    "B": "矿业",
    "C": "智能制造",
    "D": "能源",
    "E": "建设工程",
    "F": "商贸",
    "G": "物流",
    "H": "餐饮管理",
    "I": "信息技术",
    "J": "投资管理",
    "K": "置业",
    "L": "商务咨询",
    "M": "科技",
    "N": "环境科技",
    "O": "家政服务",
    "P": "教育科技",
    "Q": "健康管理",
    "R": "文化传媒",
    "S": "社会服务",
    "T": "事务服务",
}
_SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超")
_BANKS = (
    "中国工商银行杭州分行",
    "中国建设银行杭州分行",
    "杭州银行",
    "浙商银行",
    "中国农业银行杭州分行",
)
# Manufacturing and software dominate Hangzhou's register; weight the draw accordingly.
_SECTION_WEIGHTS = {"C": 30, "I": 18, "F": 16, "L": 8, "M": 8, "E": 5, "G": 4, "H": 3, "K": 2}
_SIZE_WEIGHTS = (
    (SizeClass.MICRO, 55),
    (SizeClass.SMALL, 30),
    (SizeClass.MEDIUM, 12),
    (SizeClass.LARGE, 3),
)


@dataclass(frozen=True)
class DemoEnterprise:
    uscc: str
    name: str
    district_code: str
    industry_section: str
    industry_division: str
    established_on: date
    registered_capital: Decimal
    size_class: str
    legal_representative: str
    contact_phone: str
    bank_name: str
    bank_account: str


def demo_enterprises(
    count: int, *, seed: int, districts: list[tuple[str, str | None]]
) -> Iterator[DemoEnterprise]:
    """`districts` is [(code, admin_code)]; the n-th enterprise never depends on `count`."""
    rng = random.Random(seed)
    divisions_by_section: dict[str, list[str]] = {}
    for division in DIVISIONS:
        divisions_by_section.setdefault(division.section, []).append(division.code)
    sections = list(divisions_by_section)
    section_weights = [_SECTION_WEIGHTS.get(section, 1) for section in sections]
    seen: set[str] = set()
    made = 0
    while made < count:
        district_code, admin_code = rng.choice(districts)
        section = rng.choices(sections, weights=section_weights)[0]
        division = rng.choice(divisions_by_section[section])
        body8 = "MA2" + "".join(rng.choice(_ORG_BODY_ALPHABET) for _ in range(5))
        uscc = make_uscc((admin_code or CITY_ADMIN_CODE) + organisation_code(body8))
        if uscc in seen:
            continue
        seen.add(uscc)
        trade = "".join(rng.sample(_TRADE_NAMES, 2))
        size = rng.choices([s for s, _ in _SIZE_WEIGHTS], weights=[w for _, w in _SIZE_WEIGHTS])[0]
        capital = Decimal(rng.choice((10, 50, 100, 200, 500, 1000, 5000))) * 10_000
        yield DemoEnterprise(
            uscc=uscc,
            name=f"杭州{trade}{_BUSINESS_WORDS[section]}有限公司",
            district_code=district_code,
            industry_section=section,
            industry_division=division,
            established_on=date(2000, 1, 1) + timedelta(days=rng.randrange(0, 9400)),
            registered_capital=capital,
            size_class=size,
            legal_representative=rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN),
            contact_phone="1"
            + rng.choice("3578")
            + "".join(rng.choice("0123456789") for _ in range(9)),
            bank_name=rng.choice(_BANKS),
            bank_account="6222" + "".join(rng.choice("0123456789") for _ in range(15)),
        )
        made += 1
