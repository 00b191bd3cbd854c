"""A realistic policy's rules, used by several tests: Hangzhou-style employment subsidy."""

LABEL = {"zh": "条件", "en": "condition"}

PARAMETERS = {
    "min_staff": {"type": "integer", "values": [
        {"from": "2025-01-01", "value": 10, "reference": "杭政办〔2025〕1号 第三条"},
        {"from": "2027-01-01", "value": 20, "reference": "杭政办〔2026〕9号 第三条"},
    ]},
    "per_hire": {"type": "money", "values": [
        {"from": "2025-01-01", "value": "1000.00", "reference": "第五条"},
    ]},
    "revenue_rate": {"type": "integer", "values": [
        {"from": "2025-01-01", "value": 3, "reference": "第五条第二款"},
    ]},
}  # fmt: skip

CRITERIA = {"all": [
    {"id": "staff", "label": {"zh": "参保人数达到标准", "en": "Enough insured staff"},
     "clause": "第三条第一款", "fact": "hrss.insured_employees", "op": "ge",
     "value": {"param": "min_staff"}},
    {"id": "active", "label": {"zh": "登记状态为存续", "en": "Registered and active"},
     "clause": "第三条第二款", "fact": "market.registration_status", "op": "in",
     "value": ["active"]},
    {"id": "no-arrears", "label": {"zh": "无欠税", "en": "No tax arrears"},
     "clause": "第三条第三款", "fact": "tax.arrears", "op": "eq", "value": "0.00"},
    {"id": "not-abnormal", "label": {"zh": "未列入经营异常名录", "en": "Not abnormal"},
     "clause": "第三条第四款", "fact": "market.abnormal_operations", "op": "is_false"},
    {"id": "young", "label": {"zh": "成立于 2015 年以后", "en": "Founded 2015 or later"},
     "clause": "第四条", "fact": "market.established_on", "op": "between",
     "value": {"from": "2015-01-01", "to": "2026-12-31", "inclusive": [True, False]}},
    {"any": [
        {"id": "grade", "label": {"zh": "纳税信用 A 或 B", "en": "Tax grade A or B"},
         "clause": "第四条第二款", "fact": "tax.credit_grade", "op": "in", "value": ["A", "B"]},
        {"id": "revenue", "label": {"zh": "营收超过 500 万", "en": "Revenue over 5M"},
         "clause": "第四条第三款", "fact": "tax.annual_revenue", "op": "gt",
         "value": "5000000.00"},
    ]},
    {"not": {"id": "tiny-area", "label": {"zh": "租赁面积小于 50 平方米", "en": "Under 50 m²"},
             "clause": "第四条第四款", "fact": "housing.leased_floor_area", "op": "lt",
             "value": "50.0"}},
]}  # fmt: skip

BENEFIT = {"min": [
    {"add": [
        {"mul": [{"param": "per_hire"}, {"fact": "hrss.new_hires_this_year"}]},
        {"tiers": {"fact": "hrss.insured_employees", "bands": [
            {"from": 0, "to": 50, "amount": {"amount": "0.00"}},
            {"from": 50, "to": 200, "amount": {"amount": "20000.00"}},
            {"from": 200, "amount": {"mul": [{"amount": "100.00"},
                                             {"fact": "hrss.insured_employees"}]}},
        ]}},
        {"mul": [{"fact": "tax.tax_paid"}, {"number": "0.035"}]},
    ]},
    {"amount": "300000.00"},
]}  # fmt: skip
