"""The two service packages the portal starts with, as data. Administrators change them
(and add packages) in the admin; this only installs the starting rows, idempotently.

`install_packages` takes the model classes so that a data migration can pass its
historical models.
"""

from __future__ import annotations

from typing import Any

ENV_CATEGORIES = [
    ["report_book", "环境影响报告书", "Environmental impact report (full)"],
    ["report_form", "环境影响报告表", "Environmental impact report form"],
    ["registration", "环境影响登记表", "Environmental impact registration"],
    ["exempt", "无需环评", "Exempt from environmental assessment"],
]
LAND_USE = [
    ["industrial", "工业用地", "Industrial land"],
    ["commercial", "商服用地", "Commercial land"],
    ["mixed", "综合用地", "Mixed use"],
    ["none", "无", "None"],
]


def _field(key, type_, zh, en, section, *, required=True, **extra) -> dict[str, Any]:
    return {
        "key": key,
        "type": type_,
        "label_zh": zh,
        "label_en": en,
        "section": section,
        "required": required,
        **extra,
    }


PACKAGES: list[dict[str, Any]] = [
    {
        "code": "industrial-project",
        "kind": "project",
        "name_zh": "工业项目审批（一表通办）",
        "name_en": "Industrial project approval (one sheet)",
        "description_zh": (
            "一张表填写项目信息，发改、规划、建设、生态环境、应急管理等部门并联审批。"
        ),
        "description_en": "One sheet for the project; the departments for filing, planning, "
        "construction, environment and fire safety review it in parallel.",
        "fields": [
            _field("project_name", "text", "项目名称", "Project name", "project"),
            _field(
                "district",
                "district",
                "建设地点（区县）",
                "Location (district)",
                "project",
                register_field="district",
            ),
            _field(
                "land_parcel",
                "text",
                "地块编号",
                "Land parcel number",
                "site",
                help_zh="不动产单元号或出让合同中的地块编号",
                help_en="The parcel number in the land grant contract",
            ),
            _field(
                "land_use_type",
                "choice",
                "土地用途",
                "Land use",
                "site",
                choices=LAND_USE,
                hub_fact="planning.land_use_type",
            ),
            _field(
                "industry_division",
                "industry",
                "所属行业",
                "Industry",
                "project",
                register_field="industry_division",
            ),
            _field(
                "total_investment",
                "money",
                "总投资（元）",
                "Total investment (yuan)",
                "project",
                min_value="0",
            ),
            _field(
                "floor_area",
                "decimal",
                "总建筑面积（平方米）",
                "Floor area (m²)",
                "site",
                min_value="0",
                help_zh="不新建建筑的填 0",
                help_en="0 if nothing is built",
            ),
            _field(
                "production_capacity",
                "text",
                "设计生产能力",
                "Production capacity",
                "operations",
                help_zh="如：年产 5 万台电机",
                help_en="e.g. 50,000 motors a year",
            ),
            _field(
                "environmental_category",
                "choice",
                "环境影响评价类别",
                "Environmental assessment category",
                "operations",
                choices=ENV_CATEGORIES,
            ),
            _field(
                "hazardous_chemicals",
                "boolean",
                "是否使用危险化学品",
                "Uses hazardous chemicals",
                "operations",
            ),
        ],
        "item_types": [
            {
                "code": "project-filing",
                "department": "ndrc",
                "name_zh": "企业投资项目备案",
                "name_en": "Investment project filing",
                "limit_amount": 4,
                "limit_unit": "hours",
                "allows_commitment": True,
                "permit_prefix": "FG",
                "field_keys": [
                    "project_name",
                    "district",
                    "industry_division",
                    "total_investment",
                    "production_capacity",
                ],
                "commitment_checks_zh": "项目信息真实，符合产业政策",
                "commitment_checks_en": (
                    "The project information is true and fits industrial policy"
                ),
                "rules": [],
            },
            {
                "code": "planning-permit",
                "department": "planning",
                "name_zh": "建设工程规划许可证",
                "name_en": "Construction planning permit",
                "limit_amount": 1,
                "limit_unit": "days",
                "allows_commitment": True,
                "permit_prefix": "GH",
                "field_keys": [
                    "project_name",
                    "district",
                    "land_parcel",
                    "land_use_type",
                    "floor_area",
                ],
                "commitment_checks_zh": "设计方案符合地块规划条件",
                "commitment_checks_en": "The design meets the parcel's planning conditions",
                "rules": [["floor_area", "gt", 0]],
            },
            {
                "code": "construction-permit",
                "department": "construction",
                "name_zh": "建筑工程施工许可证",
                "name_en": "Construction permit",
                "limit_amount": 1,
                "limit_unit": "days",
                "allows_commitment": True,
                "permit_prefix": "JS",
                "field_keys": ["project_name", "land_parcel", "floor_area", "total_investment"],
                "commitment_checks_zh": "施工图审查合格，施工单位资质符合要求",
                "commitment_checks_en": "Drawings reviewed and the contractor qualified",
                "rules": [["floor_area", "gt", 300]],
            },
            {
                "code": "eia-approval",
                "department": "ecology",
                "name_zh": "环境影响评价审批",
                "name_en": "Environmental impact approval",
                "limit_amount": 2,
                "limit_unit": "days",
                "allows_commitment": True,
                "permit_prefix": "HP",
                "field_keys": [
                    "project_name",
                    "district",
                    "industry_division",
                    "environmental_category",
                    "production_capacity",
                    "hazardous_chemicals",
                ],
                "commitment_checks_zh": "环评文件真实，污染防治措施落实",
                "commitment_checks_en": (
                    "The assessment is true and pollution controls are in place"
                ),
                "rules": [["environmental_category", "in", ["report_book", "report_form"]]],
            },
            {
                "code": "eia-registration",
                "department": "ecology",
                "name_zh": "环境影响登记表备案",
                "name_en": "Environmental impact registration",
                "limit_amount": 2,
                "limit_unit": "hours",
                "allows_commitment": False,
                "auto_check": "always",
                "permit_prefix": "HB",
                "field_keys": ["project_name", "environmental_category"],
                "rules": [["environmental_category", "eq", "registration"]],
            },
            {
                "code": "fire-design-review",
                "department": "emergency",
                "name_zh": "消防设计审查",
                "name_en": "Fire safety design review",
                "limit_amount": 1,
                "limit_unit": "days",
                "allows_commitment": True,
                "permit_prefix": "XF",
                "field_keys": ["project_name", "floor_area", "hazardous_chemicals"],
                "commitment_checks_zh": "消防设计符合国家工程建设消防技术标准",
                "commitment_checks_en": "The fire safety design meets the national standards",
                "rules": [["floor_area", "gt", 0]],
            },
        ],
    },
    {
        "code": "enterprise-establishment",
        "kind": "establishment",
        "name_zh": "企业开办（一件事）",
        "name_en": "Opening an enterprise (one service)",
        "description_zh": "一次填报，营业执照、印章、税务、社保、公积金、银行开户同步办理。",
        "description_en": "One sheet: business licence, seal, tax, social insurance, housing "
        "fund and bank account handled together.",
        "fields": [
            _field(
                "enterprise_name", "text", "企业名称", "Enterprise name", "identity", max_length=100
            ),
            _field("district", "district", "住所所在区县", "District", "identity"),
            _field("address", "text", "住所", "Address", "identity"),
            _field("industry_division", "industry", "所属行业", "Industry", "business"),
            _field("business_scope", "long_text", "经营范围", "Business scope", "business"),
            _field(
                "registered_capital",
                "money",
                "注册资本（元）",
                "Registered capital (yuan)",
                "business",
                min_value="1",
            ),
            _field(
                "legal_representative",
                "text",
                "法定代表人",
                "Legal representative",
                "people",
                max_length=100,
            ),
            _field(
                "shareholders",
                "people",
                "股东（每行一位）",
                "Shareholders (one per line)",
                "people",
            ),
            _field(
                "contact_phone",
                "text",
                "联系电话",
                "Contact phone",
                "people",
                required=False,
                max_length=20,
            ),
            # The account subsidies are paid into: a new enterprise's first claim must not
            # fail for want of it (the register takes it when the enterprise is registered).
            _field(
                "bank_name",
                "text",
                "开户银行",
                "Bank",
                "bank",
                max_length=100,
                help_zh="补贴、退税等款项将支付到此账户。",
                help_en="Subsidies and refunds are paid into this account.",
            ),
            _field(
                "bank_account",
                "bank_account",
                "银行账号",
                "Bank account number",
                "bank",
                max_length=30,
                help_zh="8 至 30 位数字，可含空格；页面上只显示末四位。",
                help_en="8 to 30 digits; spaces are ignored. Pages show only the last four.",
            ),
        ],
        "item_types": [
            {
                "code": "business-licence",
                "department": "market",
                "name_zh": "营业执照",
                "name_en": "Business licence",
                "limit_amount": 1,
                "limit_unit": "hours",
                "auto_check": "issue_uscc",
                "permit_prefix": "YZ",
                "field_keys": [
                    "enterprise_name",
                    "district",
                    "address",
                    "industry_division",
                    "business_scope",
                    "registered_capital",
                    "legal_representative",
                    "shareholders",
                ],
                "rules": [],
            },
            {
                "code": "company-seal",
                "department": "public_security",
                "name_zh": "公章刻制备案",
                "name_en": "Company seal",
                "limit_amount": 1,
                "limit_unit": "hours",
                "auto_check": "always",
                "permit_prefix": "GZ",
                "field_keys": ["enterprise_name", "legal_representative"],
                "rules": [],
            },
            {
                "code": "tax-registration",
                "department": "taxation",
                "name_zh": "税务登记及发票申领",
                "name_en": "Tax registration and invoices",
                "limit_amount": 1,
                "limit_unit": "hours",
                "auto_check": "always",
                "permit_prefix": "SW",
                "field_keys": [
                    "enterprise_name",
                    "district",
                    "industry_division",
                    "registered_capital",
                ],
                "rules": [],
            },
            {
                "code": "social-insurance",
                "department": "hrss",
                "name_zh": "社会保险登记",
                "name_en": "Social insurance registration",
                "limit_amount": 1,
                "limit_unit": "hours",
                "auto_check": "always",
                "permit_prefix": "SB",
                "field_keys": ["enterprise_name", "district"],
                "rules": [],
            },
            {
                "code": "housing-fund",
                "department": "housing_fund",
                "name_zh": "住房公积金开户",
                "name_en": "Housing provident fund account",
                "limit_amount": 1,
                "limit_unit": "hours",
                "auto_check": "always",
                "permit_prefix": "GJ",
                "field_keys": ["enterprise_name", "district"],
                "rules": [],
            },
            {
                "code": "bank-account",
                "department": "local_finance",
                "name_zh": "银行开户预约",
                "name_en": "Bank account appointment",
                "limit_amount": 1,
                "limit_unit": "hours",
                "auto_check": "always",
                "permit_prefix": "YH",
                "field_keys": [
                    "enterprise_name",
                    "legal_representative",
                    "contact_phone",
                    "bank_name",
                    "bank_account",
                ],
                "rules": [],
            },
        ],
    },
]


def install_packages(ServicePackage, SheetField, ItemType, ItemRule, Department) -> None:
    departments = {d.code: d for d in Department.objects.all()}
    for spec in PACKAGES:
        package, _created = ServicePackage.objects.update_or_create(
            code=spec["code"],
            defaults={
                k: spec[k]
                for k in ("kind", "name_zh", "name_en", "description_zh", "description_en")
            },
        )
        for order, field in enumerate(spec["fields"]):
            SheetField.objects.update_or_create(
                package=package,
                key=field["key"],
                defaults={**{k: v for k, v in field.items() if k != "key"}, "order": order},
            )
        for order, item in enumerate(spec["item_types"]):
            values = {k: v for k, v in item.items() if k not in ("code", "department", "rules")}
            item_type, _created = ItemType.objects.update_or_create(
                package=package,
                code=item["code"],
                defaults={**values, "order": order, "department": departments[item["department"]]},
            )
            item_type.rules.all().delete()
            ItemRule.objects.bulk_create(
                ItemRule(item_type=item_type, field_key=key, operator=op, value=value)
                for key, op, value in item["rules"]
            )
