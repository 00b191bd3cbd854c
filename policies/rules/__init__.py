"""The rule language: eligibility criteria and benefit formulas as data.

A closed vocabulary, checked when a rule is saved and evaluated through dispatch tables
(never `eval`). Criteria combine with `all` / `any` / `not`; a leaf compares one fact from
the hub's catalogue with a literal or a dated parameter. Logic is three-valued: a leaf whose
fact is unknown is *unknown*, and unknown never turns into a denial on its own.

    {"all": [
      {"id": "staff", "label": {"zh": "参保人数不少于 10 人", "en": "At least 10 insured"},
       "clause": "第三条第一款", "fact": "hrss.insured_employees", "op": "ge",
       "value": {"param": "min_staff"}},
      {"id": "no-arrears", "label": {...}, "clause": "第三条第二款",
       "fact": "tax.arrears", "op": "eq", "value": "0.00"}]}

Benefit formulas use the same operands plus arithmetic (`add`, `sub`, `mul`), `min`/`max`,
`tiers` (bands of a numeric fact) and `choose` (an amount per value of an enumeration, e.g.
the talent catalogue level: {"choose": {"fact": …, "cases": {"A": {"amount": "1000.00"}},
"otherwise": {"amount": "500.00"}}}). Every product is rounded to the fen with the version's
rounding rule, so the single and the batch evaluation give the same fen.

Where each part lives: `facts` (the catalogue a rule may name, who a version pays),
`errors` (RuleError), `literals`, `parameters`, `size_limits`, `criteria`, `formulas`,
`ruleset` (RuleSet and parse_rules). Callers import from those modules.
"""
