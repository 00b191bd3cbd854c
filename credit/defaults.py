"""The first scoring model, list rules and commitment notices, as the data migration put
them in (0002_defaults). Frozen: a change is a new model version, rule or notice version
added by a migration or in the back office, never an edit here."""

from datetime import date

SCORING_MODEL_V1 = {
    "version": 1,
    "title": "公共信用综合评价模型（第一版） Public credit grading model, version 1",
    "notes": "Base 80. A ≥ 90, B ≥ 70, C ≥ 50, D below. Untrustworthy records subtract by "
    "severity; fulfilled commitments and rewards add; the tax authority's own grade (A/B/M/C/D) "
    "counts by its letter.",
    "base_score": 80,
    "weights": {
        "commitment_made": {"minor": 0, "general": 0, "serious": 0},
        "commitment_fulfilled": {"minor": 2, "general": 3, "serious": 5},
        "commitment_breached": {"minor": -10, "general": -20, "serious": -40},
        "administrative_penalty": {"minor": -5, "general": -15, "serious": -35},
        "inspection_violation": {"minor": -5, "general": -10, "serious": -30},
        "reward": {"minor": 3, "general": 6, "serious": 10},
        "court_judgment": {"minor": -10, "general": -20, "serious": -40},
        "arrears": {"minor": -5, "general": -10, "serious": -25},
        "tax_grade": {"A": 10, "B": 3, "M": 0, "C": -10, "D": -30},
    },
    "thresholds": {"A": 90, "B": 70, "C": 50},
    "in_force_from": date(2021, 1, 1),
}

LEGAL_BASIS_BLACK = (
    "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》"
    "（国发〔2016〕33号）；《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的指导意见》"
    "（国办发〔2020〕49号）"
)
LEGAL_BASIS_RED = (
    "《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》"
    "（国发〔2016〕33号）第二部分"
)

LIST_RULES_V1 = [
    {
        "code": "black-serious-or-repeated-breach",
        "list_kind": "black",
        "name_zh": "严重失信或一年内两次违背承诺",
        "name_en": "A serious untrustworthy record, or two breached commitments within a year",
        "legal_basis": LEGAL_BASIS_BLACK,
        "condition": {"any": [
            {"records": {"severities": ["serious"], "within_months": 12}, "at_least": 1},
            {"records": {"kinds": ["commitment_breached"], "within_months": 12}, "at_least": 2},
        ]},
        "duration_months": 12,
        "ends_when_condition_fails": False,
    },
    {
        "code": "red-grade-a-clean-year",
        "list_kind": "red",
        "name_zh": "连续十二个月信用等级为A且无一般及以上失信记录",
        "name_en": "Grade A for twelve months and no general or serious untrustworthy record",
        "legal_basis": LEGAL_BASIS_RED,
        "condition": {"all": [
            {"grade": ["A"], "held_months": 12},
            {"records": {"severities": ["general", "serious"], "within_months": 12},
             "at_most": 0},
        ]},
        "duration_months": 12,
        "ends_when_condition_fails": True,
    },
]  # fmt: skip

_CONSEQUENCES = (
    "如承诺不实或未在约定期限内履行，本企业愿意承担以下后果：（一）相关审批、补贴或其他决定依法撤销，"
    "已取得的资金依法退回；（二）违背承诺的情况记入本企业公共信用记录并依规公示；（三）按照失信联合惩戒"
    "规定，可被列入失信黑名单，在一定期限内不得享受财政补贴、不得适用告知承诺方式办理相关事项，并增加"
    "“双随机、一公开”抽查比例和频次；（四）依法承担相应的法律责任。"
)
_CONSEQUENCES_EN = (
    "If the commitment is untrue, or is not kept within the agreed time, the enterprise accepts "
    "that: (1) the approval, subsidy or other decision concerned is revoked and funds received "
    "are returned; (2) the breach is entered in its public credit record and published as the "
    "rules require; (3) under the joint punishment rules it may be put on the black list and, "
    "for a period, receive no public subsidies, lose the commitment route and be inspected more "
    "often; (4) it bears the legal liability concerned."
)

NOTICES_V1 = [
    {
        "code": "approval-item",
        "version": 1,
        "title": "行政审批事项告知承诺书",
        "title_en": "Commitment for an approval item (notify and commit)",
        "text": (
            "本企业已知晓审批部门告知的全部条件、标准和要求，承诺所提交的信息真实、准确、完整，"
            "本企业已经符合（或将在约定期限内符合）上述条件、标准和要求，并愿意接受审批部门的事中事后核查。"
        ),
        "text_en": (
            "The enterprise has been told every condition, standard and requirement of this "
            "approval item; it commits that the information it gave is true, accurate and "
            "complete, that it meets them (or will meet them within the agreed time), and it "
            "accepts the department's verification afterwards."
        ),
        "consequences": _CONSEQUENCES,
        "consequences_en": _CONSEQUENCES_EN,
    },
    {
        "code": "subsidy-declaration",
        "version": 1,
        "title": "惠企政策申报信用承诺书",
        "title_en": "Commitment on a subsidy declaration",
        "text": (
            "本企业承诺：申报惠企政策所依据的信息真实、准确、完整，不存在重复申报、虚报冒领等情形；"
            "所获资金按规定用途使用，并配合主管部门的事后核查。"
        ),
        "text_en": (
            "The enterprise commits that the information behind its declaration is true, "
            "accurate and complete, that it has not declared twice or claimed falsely, that it "
            "will use the funds as the policy provides, and that it will co-operate with the "
            "department's verification afterwards."
        ),
        "consequences": _CONSEQUENCES,
        "consequences_en": _CONSEQUENCES_EN,
    },
    {
        "code": "standalone",
        "version": 1,
        "title": "企业信用承诺书",
        "title_en": "Credit commitment",
        "text": (
            "本企业承诺：严格遵守法律法规，诚信经营，依法履行各项义务，"
            "按时履行本承诺书所列事项，并接受社会监督和有关部门的核查。"
        ),
        "text_en": (
            "The enterprise commits to obey the law, to do business honestly, to meet its "
            "obligations, to carry out what this commitment lists on time, and to accept public "
            "scrutiny and the departments' verification."
        ),
        "consequences": _CONSEQUENCES,
        "consequences_en": _CONSEQUENCES_EN,
    },
]
