"""The demo logins: one password for all, printed by the seeds for the newcomer."""

from accounts.models import Role

DEMO_PASSWORD = "qinqing-demo-2026"  # noqa: S105 - demo data only, printed for the user

# username, role, display name, department code, district code, what it shows
DEMO_USERS: tuple[tuple[str, Role, str, str | None, str | None, str], ...] = (
    ("enterprise", Role.ENTERPRISE, "王经理", None, None, "legal rep. of two enterprises"),
    ("enterprise2", Role.ENTERPRISE, "李会计", None, None, "agent of another enterprise"),
    ("tax_city", Role.OFFICIAL, "税务局 张科长", "taxation", None, "Taxation, city-wide"),
    ("market_xihu", Role.OFFICIAL, "市场监管 陈科员", "market", "xihu", "Market Supervision, Xihu"),
    (
        "hrss_binjiang",
        Role.OFFICIAL,
        "人社 刘科员",
        "hrss",
        "binjiang",
        "HR & Social Security, Binjiang",
    ),
    ("hrss_city", Role.OFFICIAL, "人社 孙处长", "hrss", None, "HR & Social Security, city-wide"),
    ("housing_city", Role.OFFICIAL, "房管 吴科长", "housing", None, "Housing, city-wide"),
    ("housing_city2", Role.OFFICIAL, "房管 郑科员", "housing", None, "Housing, city-wide (2nd)"),
    ("science_city", Role.OFFICIAL, "科技 冯处长", "science", None, "Science & Technology"),
    ("science_city2", Role.OFFICIAL, "科技 何科员", "science", None, "Science & Tech. (2nd)"),
    # The coordinating office (directline.models.COORDINATING_OFFICE) receives the requests
    # no rule fits and forwards them, to the policy's department when one is named.
    ("data_city", Role.OFFICIAL, "数据局 赵协调员", "data", None, "Coordinating office: forwards"),
    ("data_city2", Role.OFFICIAL, "数据局 钱协调员", "data", None, "Coordinating office (2nd)"),
    ("auditor", Role.AUDITOR, "审计 周审计员", None, None, "read-only, everything"),
    ("admin", Role.ADMIN, "系统管理员", None, None, "back office"),
)
