"""Vocabulary of the synthetic consignments: goods with HS codes, companies, vessels, carriers, regions.

Plausible, not exhaustive. 10-digit codes follow China's tariff structure (the 6-digit HS subheading is real).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goods:
    hs_code: str  # China 10-digit 商品编号
    name_en: str
    name_zh: str
    unit: str  # canonical unit code (see smartinspect.documents.fields.UNITS)
    unit_net_kg: tuple[float, float]  # net weight of one unit (low, high)
    unit_price: tuple[float, float]  # USD per unit (low, high)
    per_package: tuple[int, int]  # units per carton/pallet


GOODS: tuple[Goods, ...] = (
    Goods("8471300000", "NOTEBOOK COMPUTER", "笔记本电脑", "UNIT", (1.4, 2.4), (320, 900), (1, 5)),
    Goods("8517130000", "SMARTPHONE", "智能手机", "PCS", (0.18, 0.25), (90, 420), (10, 40)),
    Goods("8528720000", "LCD TELEVISION SET", "液晶电视机", "UNIT", (8.0, 18.0), (150, 480), (1, 1)),
    Goods("8415101000", "SPLIT AIR CONDITIONER", "分体式空调", "SET", (28.0, 45.0), (180, 420), (1, 1)),
    Goods("8450111000", "WASHING MACHINE", "全自动洗衣机", "UNIT", (50.0, 70.0), (160, 380), (1, 1)),
    Goods("8481804090", "BALL VALVE", "球阀", "PCS", (0.6, 3.5), (4, 35), (20, 80)),
    Goods("8482102000", "DEEP GROOVE BALL BEARING", "深沟球轴承", "PCS", (0.05, 0.8), (0.6, 9), (100, 400)),
    Goods("8501520000", "AC MOTOR", "交流电动机", "UNIT", (12.0, 40.0), (80, 300), (1, 4)),
    Goods("8708295900", "CAR BODY PARTS", "汽车车身零件", "PCS", (1.5, 9.0), (12, 110), (4, 20)),
    Goods("8714100000", "MOTORCYCLE PARTS", "摩托车零件", "SET", (2.0, 6.0), (15, 60), (5, 20)),
    Goods("9018390000", "MEDICAL CATHETER", "医用导管", "PCS", (0.02, 0.08), (1.5, 12), (200, 1000)),
    Goods("9403600000", "WOODEN FURNITURE", "木制家具", "SET", (15.0, 45.0), (60, 300), (1, 2)),
    Goods("9401610000", "UPHOLSTERED CHAIR", "软垫木框架座椅", "PCS", (6.0, 12.0), (25, 140), (2, 4)),
    Goods("6109100021", "COTTON T-SHIRT", "棉制针织T恤衫", "PCS", (0.15, 0.25), (1.8, 6.5), (50, 200)),
    Goods("6203423000", "COTTON TROUSERS", "棉制男裤", "PCS", (0.4, 0.7), (4, 14), (30, 100)),
    Goods("6403990000", "LEATHER SHOES", "皮革面鞋靴", "PAIR", (0.7, 1.2), (9, 45), (10, 30)),
    Goods("4202221000", "LEATHER HANDBAG", "皮革面手提包", "PCS", (0.5, 1.2), (20, 240), (10, 30)),
    Goods("3304990000", "SKIN CARE PREPARATION", "护肤品", "PCS", (0.08, 0.4), (3, 40), (48, 144)),
    Goods("3004909099", "PHARMACEUTICAL TABLETS", "药品片剂", "PCS", (0.03, 0.15), (2, 30), (100, 500)),
    Goods("2204210000", "RED WINE", "红葡萄酒", "BOTTLE", (1.2, 1.5), (4, 60), (6, 12)),
    Goods("2106909090", "FOOD SUPPLEMENT", "食品补充剂", "KG", (1.0, 1.0), (6, 40), (10, 25)),
    Goods("0201300090", "FROZEN BONELESS BEEF", "冻去骨牛肉", "KG", (1.0, 1.0), (4, 9), (20, 27)),
    Goods("0303890090", "FROZEN FISH", "冻鱼", "KG", (1.0, 1.0), (1.5, 6), (10, 25)),
    Goods("0805100000", "FRESH ORANGES", "鲜橙", "KG", (1.0, 1.0), (0.6, 1.8), (10, 18)),
    Goods("1201901000", "SOYBEANS", "黄大豆", "KG", (1.0, 1.0), (0.4, 0.7), (50, 50)),
    Goods("4407119000", "SAWN PINE TIMBER", "松木锯材", "M3", (450.0, 550.0), (180, 320), (1, 1)),
    Goods("7208510000", "HOT-ROLLED STEEL PLATE", "热轧钢板", "KG", (1.0, 1.0), (0.5, 0.9), (1000, 3000)),
    Goods("7318159000", "HEXAGON BOLTS", "六角螺栓", "KG", (1.0, 1.0), (1.2, 4.5), (25, 25)),
    Goods("3901100090", "POLYETHYLENE GRANULES", "聚乙烯颗粒", "KG", (1.0, 1.0), (0.9, 1.6), (25, 25)),
    Goods("3926909090", "PLASTIC ARTICLES", "塑料制品", "PCS", (0.05, 0.6), (0.3, 4), (100, 500)),
    Goods("9503008900", "PLASTIC TOYS", "塑料玩具", "PCS", (0.1, 0.8), (1, 15), (24, 96)),
    Goods("8544422900", "ELECTRIC CABLE", "电缆", "M", (0.1, 0.4), (0.4, 3.5), (100, 500)),
    Goods("8536500000", "ELECTRICAL SWITCH", "电气开关", "PCS", (0.05, 0.3), (0.8, 9), (100, 400)),
    Goods("4011100000", "PASSENGER CAR TYRE", "轿车轮胎", "PCS", (7.0, 12.0), (30, 110), (1, 4)),
    Goods("8703236990", "PASSENGER CAR", "小轿车", "UNIT", (1300.0, 1900.0), (18000, 42000), (1, 1)),
    Goods("9013109000", "OPTICAL SIGHT", "光学瞄准镜", "PCS", (0.3, 0.9), (40, 400), (10, 40)),
)

# (English name, Chinese name, region code of the USCC) of Chinese trading companies: city + word + kind.
CN_CITIES: tuple[tuple[str, str, str], ...] = (
    ("SHANGHAI", "上海", "310115"), ("NINGBO", "宁波", "330206"), ("SHENZHEN", "深圳", "440300"),
    ("QINGDAO", "青岛", "370211"), ("TIANJIN", "天津", "120116"), ("XIAMEN", "厦门", "350206"),
    ("GUANGZHOU", "广州", "440115"), ("HANGZHOU", "杭州", "330106"), ("SUZHOU", "苏州", "320506"),
    ("DALIAN", "大连", "210213"), ("CHENGDU", "成都", "510107"), ("WUHAN", "武汉", "420102"),
)
CN_WORDS: tuple[tuple[str, str], ...] = (
    ("HUAXIN", "华信"), ("DONGFANG", "东方"), ("JINHAI", "金海"), ("HENGTAI", "恒泰"), ("ZHONGYUAN", "中远"),
    ("XINGLONG", "兴隆"), ("TIANCHENG", "天成"), ("HONGDA", "宏达"), ("RUIFENG", "瑞丰"), ("BOYUAN", "博远"),
    ("YONGSHENG", "永盛"), ("HAIRUN", "海润"), ("KANGMEI", "康美"), ("MINGDA", "明达"), ("JIAHE", "嘉禾"),
    ("HUAMEI", "华美"), ("SHENGSHI", "盛世"), ("CHANGJIANG", "长江"), ("FUXING", "复兴"), ("LIANHUA", "联华"),
)
CN_KINDS: tuple[tuple[str, str], ...] = (
    ("IMPORT & EXPORT CO., LTD.", "进出口有限公司"), ("INTERNATIONAL TRADING CO., LTD.", "国际贸易有限公司"),
    ("SUPPLY CHAIN MANAGEMENT CO., LTD.", "供应链管理有限公司"), ("INDUSTRIAL CO., LTD.", "实业有限公司"),
    ("TECHNOLOGY CO., LTD.", "科技有限公司"), ("FOREIGN TRADE CORPORATION", "外贸集团有限公司"),
)
CN_STREETS: tuple[tuple[str, str], ...] = (
    ("NO. {n} ZHANGJIANG ROAD", "张江路{n}号"), ("NO. {n} HUAIHAI MIDDLE ROAD", "淮海中路{n}号"),
    ("NO. {n} BINHAI AVENUE", "滨海大道{n}号"), ("NO. {n} XINGANG ROAD", "新港路{n}号"),
    ("NO. {n} JIANGNAN STREET", "江南大街{n}号"), ("NO. {n} HUANSHI EAST ROAD", "环市东路{n}号"),
)

# Foreign exporters/importers: (name stem, legal suffix, country code, city).
FOREIGN_STEMS: tuple[str, ...] = (
    "HANSEATIC", "NORDWIND", "ALPINE", "RIVIERA", "PACIFIC RIM", "GOLDEN GATE", "SAKURA", "HANA", "MEKONG",
    "SIAM", "MERIDIAN", "ATLAS", "ORION", "BLUEWATER", "SOUTHERN CROSS", "MAPLE LEAF", "IBERIA", "LOMBARD",
    "AURORA", "KESTREL", "CORAL BAY", "EVERGREEN VALLEY", "TRIDENT", "SUNRISE",
)
FOREIGN_TRADES: tuple[str, ...] = (
    "TRADING", "INDUSTRIES", "ELECTRONICS", "FOODS", "MACHINERY", "TEXTILES", "MEDICAL", "LOGISTICS",
    "COMPONENTS", "HOLDINGS", "EXPORTS", "MANUFACTURING",
)
FOREIGN_SUFFIX: dict[str, tuple[str, ...]] = {
    "DE": ("GMBH", "AG"), "JP": ("CO., LTD.", "CORPORATION"), "US": ("INC.", "LLC"), "KR": ("CO., LTD.",),
    "VN": ("JSC", "CO., LTD."), "IT": ("S.P.A.", "S.R.L."), "FR": ("S.A.S.", "S.A."), "GB": ("LTD.", "PLC"),
    "TH": ("CO., LTD.",), "MY": ("SDN. BHD.",), "AU": ("PTY LTD",), "BR": ("LTDA.",), "NL": ("B.V.",),
    "ES": ("S.L.", "S.A."), "SG": ("PTE. LTD.",), "CA": ("INC.", "LTD."), "IN": ("PVT. LTD.",),
    "CL": ("S.A.",), "NZ": ("LIMITED",),
}
# Foreign country -> port of that country used for the foreign end.
FOREIGN_PORTS: dict[str, tuple[str, ...]] = {
    "DE": ("DEHAM", "DEBRV"), "JP": ("JPYOK", "JPTYO"), "US": ("USLAX", "USLGB", "USNYC"), "KR": ("KRPUS",),
    "VN": ("VNSGN",), "IT": ("ITGOA",), "FR": ("FRLEH",), "GB": ("GBFXT",), "TH": ("THLCH",), "MY": ("MYPKG",),
    "AU": ("AUMEL",), "BR": ("BRSSZ",), "NL": ("NLRTM",), "ES": ("ESVLC",), "SG": ("SGSIN",), "CA": ("CAVAN",),
    "IN": ("INNSA",),
}
CN_PORTS: tuple[str, ...] = ("CNSHA", "CNNGB", "CNYTN", "CNSHK", "CNTAO", "CNTXG", "CNXMN", "CNNSA", "CNDLC")
# Customs district code (first 4 digits of the 18-digit 海关编号) of each Chinese port.
CUSTOMS_DISTRICT: dict[str, str] = {"CNSHA": "2248", "CNNGB": "3104", "CNYTN": "5316", "CNSHK": "5304",
                                    "CNTAO": "4227", "CNTXG": "0202", "CNXMN": "3702", "CNNSA": "5202",
                                    "CNDLC": "0908"}

# (SCAC-like B/L prefix, vessel name stems)
CARRIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("COSU", ("COSCO SHIPPING ARIES", "COSCO SHIPPING LEO", "COSCO PRIDE")),
    ("MAEU", ("MAERSK ESSEN", "MAERSK KENSINGTON", "MAERSK HAMBURG")),
    ("MEDU", ("MSC OSCAR", "MSC GULSUN", "MSC ANNA")),
    ("CMDU", ("CMA CGM MARCO POLO", "CMA CGM JACQUES SAADE")),
    ("OOLU", ("OOCL HONG KONG", "OOCL GERMANY", "OOCL JAPAN")),
    ("EGLV", ("EVER GIVEN", "EVER ACE", "EVER GOLDEN")),
    ("HLCU", ("BERLIN EXPRESS", "HAMBURG EXPRESS", "AL ZUBARA")),
    ("ONEY", ("ONE APUS", "ONE STORK", "ONE TRIBUTE")),
    ("YMLU", ("YM WELLNESS", "YM WARRANTY")),
)
# Container owner prefixes (owner code + U), so numbers look like real fleets.
CONTAINER_OWNERS: tuple[str, ...] = ("CSNU", "MSKU", "MSCU", "CMAU", "OOLU", "EGHU", "HLXU", "TGHU", "TCLU",
                                     "FCIU", "SEGU", "BMOU", "TEMU", "GESU", "CAIU", "TRHU")
CONTAINER_TYPES: tuple[tuple[str, float], ...] = (("20GP", 2200.0), ("40GP", 3750.0), ("40HQ", 3900.0))
PACKAGE_KINDS: tuple[tuple[str, str], ...] = (("CARTONS", "纸箱"), ("PALLETS", "托盘"), ("PACKAGES", "件"),
                                              ("CASES", "木箱"), ("BAGS", "袋"))
