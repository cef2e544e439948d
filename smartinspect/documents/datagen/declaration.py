"""The customs declaration (报关单), in Chinese, with the header and goods-line fields of the H2000 entry form
(shared/seeds/001: 海关编号, 提运单号, 运输工具名称, 航次号, 成交方式, 件数, 毛重/净重(KG), 集装箱号, 商品编号, 原产地...)
and the current form's names for the same boxes (境内收货人, 境外发货人, 启运港, 入境口岸...).
"""

from __future__ import annotations

import numpy as np

from smartinspect.documents.datagen.builders import Printer, _items_table, party_gt
from smartinspect.documents.datagen.consignment import Consignment
from smartinspect.documents.datagen.labels import pick
from smartinspect.documents.datagen.spec import KV, DocSpec, PartyBlock
from smartinspect.documents.normalise import norm_amount, norm_reference, norm_vessel
from smartinspect.domain.ports import port_by_locode

_CUSTOMS_OFFICES = {"CNSHA": "洋山海关(2248)", "CNNGB": "北仑海关(3104)", "CNYTN": "大鹏海关(5316)",
                    "CNSHK": "蛇口海关(5304)", "CNTAO": "黄岛海关(4227)", "CNTXG": "新港海关(0202)",
                    "CNXMN": "东渡海关(3702)", "CNNSA": "南沙海关(5202)", "CNDLC": "大窑湾海关(0908)"}


def build_declaration(c: Consignment, rng: np.random.Generator) -> DocSpec:
    p = Printer(rng, "zh")
    imp = c.direction == "import"
    spec = DocSpec("declaration", "zh", f"中华人民共和国海关{'进口' if imp else '出口'}货物报关单")
    domestic, foreign = (c.consignee, c.consignor) if imp else (c.consignor, c.consignee)
    dom_label = pick(rng, ("境内收货人", "收货单位")) if imp else pick(rng, ("境内发货人", "发货单位"))
    for_label = "境外发货人" if imp else "境外收货人"
    code_line = pick(rng, (f"({domestic.uscc})", f"统一社会信用代码：{domestic.uscc}", f"{domestic.uscc}"))
    spec.parties = [PartyBlock(dom_label, [domestic.name_zh or domestic.name_en, code_line]),
                    PartyBlock(for_label, [foreign.name_en])]
    party_gt(spec, "consignee" if imp else "consignor", domestic)
    party_gt(spec, "consignor" if imp else "consignee", foreign)
    domestic_port = c.port_of_discharge if imp else c.port_of_loading
    foreign_port = c.port_of_loading if imp else c.port_of_discharge
    spec.fields = []
    if rng.random() < 0.6:  # the pre-entry number is 18 digits too: a trap for a careless extractor
        spec.fields.append(KV("预录入编号", "".join(str(d) for d in rng.integers(0, 10, size=18))))
    spec.fields += [
        KV(pick(rng, ("海关编号", "报关单号")), c.declaration_no, "declaration_no"),
        KV("进境关别" if imp else "出境关别", _CUSTOMS_OFFICES[domestic_port]),
        KV("进口日期" if imp else "出口日期", p.date(c.onboard_date)),
        KV("申报日期", p.date(c.declaration_date)),
        KV("运输方式", pick(rng, ("水路运输", "江海运输"))),
    ]
    if rng.random() < 0.5:
        spec.fields.append(KV("运输工具名称及航次号", f"{c.vessel}/{c.voyage}", "vessel"))
    else:
        spec.fields += [KV("运输工具名称", c.vessel, "vessel"), KV("航次号", c.voyage, "voyage")]
    spec.fields += [
        KV(pick(rng, ("提运单号", "提单号")), c.bl_no, "bl_no"),
        KV("监管方式", "一般贸易"), KV("征免性质", "一般征税"),
        KV(pick(rng, ("合同协议号", "合同号")), c.contract_no),
        KV(pick(rng, ("启运港", "装货港")) if imp else "指运港", port_by_locode(foreign_port).name_zh,
           "port_of_loading" if imp else "port_of_discharge"),
        KV("入境口岸" if imp else "离境口岸", port_by_locode(domestic_port).name_zh,
           "port_of_discharge" if imp else "port_of_loading"),
        KV("包装种类", pick(rng, ("纸箱", "木箱", "托盘", "其他包装"))),
        KV("件数", str(c.total_packages), "packages"),
        KV(pick(rng, ("毛重(千克)", "毛重(KG)")), p.number(c.total_gross_kg), "gross_weight"),
        KV(pick(rng, ("净重(千克)", "净重(KG)")), p.number(c.total_net_kg), "net_weight"),
        KV("成交方式", c.incoterm, "incoterm"),
        KV("集装箱号", " ".join(k.number for k in c.containers), "container_numbers"),
    ]
    spec.gt |= {"declaration_no": c.declaration_no, "vessel": norm_vessel(c.vessel),
                "voyage": norm_reference(c.voyage), "bl_no": norm_reference(c.bl_no),
                "port_of_loading": c.port_of_loading, "port_of_discharge": c.port_of_discharge,
                "packages": c.total_packages, "gross_weight": c.total_gross_kg, "net_weight": c.total_net_kg,
                "incoterm": c.incoterm, "container_numbers": [k.number for k in c.containers],
                "currency": c.currency, "origin_country": c.origin_country}
    keys = ["no", "hs_code", "description", "quantity", "unit", "unit_price", "amount", "currency", "origin"]
    spec.table, spec.gt_items = _items_table(p, c, keys, zh_names=True)
    spec.gt["hs_codes"] = [i.hs_code for i in c.items]
    if rng.random() < 0.5:
        spec.totals = [KV("总价合计", p.number(c.total_value, 0 if c.currency == "JPY" else 2), "total_value")]
        spec.gt["total_value"] = norm_amount(c.total_value)
    spec.notes = [f"随附单证：发票 {c.invoice_no}；装箱单"] if rng.random() < 0.5 else []
    spec.signature = "申报单位（签章）"
    spec.stamp_words = ["报关专用章"]
    return spec
