"""Reference data for the government side: Hangzhou's districts and the municipal departments.

Districts: the county-level divisions of Hangzhou after the 2021 re-division (State Council
approval of March 2021: Jianggan merged into Shangcheng, Xiacheng into Gongshu, and the new
Linping and Qiantang districts), with their GB/T 2260 codes, plus the West Lake Scenic Area.

Departments: the working departments and directly affiliated bodies of the Hangzhou Municipal
People's Government as listed on the city's portal (hangzhou.gov.cn, "政府机构"), after the 2019
institutional reform, plus the central vertical bodies in the city that the portal lists with them
(tax, statistics survey team, meteorology, fire and rescue, postal, tobacco). It reflects the state
of 2021-2024. Bodies get renamed or merged (the 2024 reform, for instance, moved local financial
regulation to the Party committee and added a municipal data bureau), so codes are stable and the
names are not: a data migration updates names and adds new bodies; removed rows are left alone.
"""

from typing import NamedTuple


class DistrictRow(NamedTuple):
    code: str
    admin_code: str | None
    name_zh: str
    name_en: str
    kind: str


DISTRICT = "district"
COUNTY = "county"
COUNTY_CITY = "county_city"
SCENIC_AREA = "scenic_area"

DISTRICT_KINDS: tuple[str, ...] = (DISTRICT, COUNTY, COUNTY_CITY, SCENIC_AREA)

DISTRICTS: tuple[DistrictRow, ...] = (
    # 330102 kept its code when it absorbed the former Jianggan District (330104) in 2021.
    DistrictRow("shangcheng", "330102", "上城区", "Shangcheng District", DISTRICT),
    # 330105 kept its code when it absorbed the former Xiacheng District (330103) in 2021.
    DistrictRow("gongshu", "330105", "拱墅区", "Gongshu District", DISTRICT),
    DistrictRow("xihu", "330106", "西湖区", "Xihu District", DISTRICT),
    DistrictRow("binjiang", "330108", "滨江区", "Binjiang District", DISTRICT),
    DistrictRow("xiaoshan", "330109", "萧山区", "Xiaoshan District", DISTRICT),
    # Yuhang kept 330110 after its eastern part became Linping in 2021.
    DistrictRow("yuhang", "330110", "余杭区", "Yuhang District", DISTRICT),
    DistrictRow("fuyang", "330111", "富阳区", "Fuyang District", DISTRICT),
    DistrictRow("linan", "330112", "临安区", "Lin'an District", DISTRICT),
    # New in 2021, carved out of Yuhang.
    DistrictRow("linping", "330113", "临平区", "Linping District", DISTRICT),
    # New in 2021, formed from the Qiantang New Area (parts of the old Jianggan and Xiaoshan).
    DistrictRow("qiantang", "330114", "钱塘区", "Qiantang District", DISTRICT),
    DistrictRow("tonglu", "330122", "桐庐县", "Tonglu County", COUNTY),
    DistrictRow("chunan", "330127", "淳安县", "Chun'an County", COUNTY),
    DistrictRow("jiande", "330182", "建德市", "Jiande City", COUNTY_CITY),
    # The West Lake Scenic Area is run by an administrative committee sent out by the city
    # government (杭州西湖风景名胜区管理委员会, one body with the municipal Bureau of Gardens and
    # Cultural Relics). It exercises county-level powers over its area, but it is not an
    # administrative division, so it has no GB/T 2260 code.
    DistrictRow("xihu_scenic", None, "杭州西湖风景名胜区", "West Lake Scenic Area", SCENIC_AREA),
)


class DepartmentRow(NamedTuple):
    code: str
    name_zh: str
    name_en: str


DEPARTMENTS: tuple[DepartmentRow, ...] = (
    # --- Working departments of the municipal government (市政府工作部门) ---
    DepartmentRow(
        "general_office",
        "杭州市人民政府办公厅",
        "General Office of Hangzhou Municipal People's Government",
    ),
    DepartmentRow(
        "ndrc", "杭州市发展和改革委员会", "Hangzhou Municipal Development and Reform Commission"
    ),
    DepartmentRow(
        "economy",
        "杭州市经济和信息化局",
        "Hangzhou Municipal Bureau of Economy and Information Technology",
    ),
    DepartmentRow("education", "杭州市教育局", "Hangzhou Municipal Education Bureau"),
    DepartmentRow(
        "science", "杭州市科学技术局", "Hangzhou Municipal Science and Technology Bureau"
    ),
    DepartmentRow(
        "ethnic_religious",
        "杭州市民族宗教事务局",
        "Hangzhou Municipal Bureau of Ethnic and Religious Affairs",
    ),
    DepartmentRow("public_security", "杭州市公安局", "Hangzhou Municipal Public Security Bureau"),
    DepartmentRow("civil_affairs", "杭州市民政局", "Hangzhou Municipal Civil Affairs Bureau"),
    DepartmentRow("justice", "杭州市司法局", "Hangzhou Municipal Bureau of Justice"),
    DepartmentRow("finance", "杭州市财政局", "Hangzhou Municipal Finance Bureau"),
    DepartmentRow(
        "hrss",
        "杭州市人力资源和社会保障局",
        "Hangzhou Municipal Human Resources and Social Security Bureau",
    ),
    DepartmentRow(
        "planning",
        "杭州市规划和自然资源局",
        "Hangzhou Municipal Bureau of Planning and Natural Resources",
    ),
    DepartmentRow(
        "ecology", "杭州市生态环境局", "Hangzhou Municipal Ecology and Environment Bureau"
    ),
    DepartmentRow(
        "construction",
        "杭州市城乡建设委员会",
        "Hangzhou Municipal Urban and Rural Construction Commission",
    ),
    DepartmentRow(
        "housing",
        "杭州市住房保障和房产管理局",
        "Hangzhou Municipal Bureau of Housing Security and Property Management",
    ),
    DepartmentRow("transport", "杭州市交通运输局", "Hangzhou Municipal Transportation Bureau"),
    DepartmentRow(
        "forestry_water",
        "杭州市林业水利局",
        "Hangzhou Municipal Bureau of Forestry and Water Resources",
    ),
    DepartmentRow(
        "agriculture", "杭州市农业农村局", "Hangzhou Municipal Agriculture and Rural Affairs Bureau"
    ),
    # Also carries the plate of the municipal grain and material reserves bureau
    # (市粮食和物资储备局), which is therefore not a separate row.
    DepartmentRow("commerce", "杭州市商务局", "Hangzhou Municipal Commerce Bureau"),
    DepartmentRow(
        "culture_tourism",
        "杭州市文化广电旅游局",
        "Hangzhou Municipal Bureau of Culture, Radio, Television and Tourism",
    ),
    DepartmentRow("health", "杭州市卫生健康委员会", "Hangzhou Municipal Health Commission"),
    DepartmentRow("veterans", "杭州市退役军人事务局", "Hangzhou Municipal Veterans Affairs Bureau"),
    DepartmentRow(
        "emergency", "杭州市应急管理局", "Hangzhou Municipal Emergency Management Bureau"
    ),
    DepartmentRow("audit", "杭州市审计局", "Hangzhou Municipal Audit Bureau"),
    DepartmentRow(
        "foreign_affairs",
        "杭州市人民政府外事办公室",
        "Foreign Affairs Office of Hangzhou Municipal People's Government",
    ),
    DepartmentRow(
        "sasac",
        "杭州市人民政府国有资产监督管理委员会",
        "State-owned Assets Supervision and Administration Commission of Hangzhou Municipal "
        "People's Government",
    ),
    # Also carries the plate of the municipal intellectual property office (市知识产权局).
    DepartmentRow(
        "market", "杭州市市场监督管理局", "Hangzhou Municipal Administration for Market Regulation"
    ),
    DepartmentRow("sports", "杭州市体育局", "Hangzhou Municipal Sports Bureau"),
    DepartmentRow("statistics", "杭州市统计局", "Hangzhou Municipal Bureau of Statistics"),
    DepartmentRow(
        "medical_security", "杭州市医疗保障局", "Hangzhou Municipal Healthcare Security Bureau"
    ),
    DepartmentRow(
        "urban_management", "杭州市城市管理局", "Hangzhou Municipal Urban Management Bureau"
    ),
    # One body with the West Lake Scenic Area administrative committee (see DISTRICTS).
    DepartmentRow(
        "gardens_relics",
        "杭州市园林文物局",
        "Hangzhou Municipal Bureau of Gardens and Cultural Relics",
    ),
    DepartmentRow("petitions", "杭州市信访局", "Hangzhou Municipal Bureau of Letters and Calls"),
    # --- Other bodies directly under the municipal government (直属机构、直属事业单位和派出机构;
    # which of these count as working departments has varied between reforms) ---
    DepartmentRow(
        "data", "杭州市数据资源管理局", "Hangzhou Municipal Data Resources Management Bureau"
    ),
    DepartmentRow("civil_air_defense", "杭州市人民防空办公室", "Hangzhou Civil Air Defense Office"),
    # 2019-2024; also the municipal finance work office (市金融工作办公室).
    DepartmentRow(
        "local_finance",
        "杭州市地方金融监督管理局",
        "Hangzhou Municipal Local Financial Supervision and Administration Bureau",
    ),
    DepartmentRow(
        "investment", "杭州市投资促进局", "Hangzhou Municipal Investment Promotion Bureau"
    ),
    DepartmentRow(
        "offices_admin",
        "杭州市机关事务管理局",
        "Hangzhou Municipal Government Offices Administration",
    ),
    # Also the counsellors' office (市政府参事室).
    DepartmentRow(
        "research_office",
        "杭州市人民政府研究室",
        "Research Office of Hangzhou Municipal People's Government",
    ),
    DepartmentRow(
        "housing_fund",
        "杭州住房公积金管理中心",
        "Hangzhou Housing Provident Fund Management Center",
    ),
    DepartmentRow(
        "chengxi_cluster",
        "杭州城西科创产业集聚区管理委员会",
        "Administrative Committee of Hangzhou Chengxi Sci-Tech Innovation Industry Cluster",
    ),
    # --- Central vertical bodies in the city (垂直管理部门) ---
    DepartmentRow(
        "taxation",
        "国家税务总局杭州市税务局",
        "Hangzhou Municipal Tax Service, State Taxation Administration",
    ),
    DepartmentRow(
        "nbs_survey",
        "国家统计局杭州调查队",
        "Hangzhou Survey Team of the National Bureau of Statistics",
    ),
    DepartmentRow("meteorology", "杭州市气象局", "Hangzhou Meteorological Bureau"),
    DepartmentRow("fire_rescue", "杭州市消防救援支队", "Hangzhou Fire and Rescue Detachment"),
    DepartmentRow("postal", "杭州市邮政管理局", "Hangzhou Postal Administration"),
    DepartmentRow("tobacco", "杭州市烟草专卖局", "Hangzhou Tobacco Monopoly Bureau"),
)

DISTRICT_BY_CODE: dict[str, DistrictRow] = {row.code: row for row in DISTRICTS}
DEPARTMENT_BY_CODE: dict[str, DepartmentRow] = {row.code: row for row in DEPARTMENTS}
