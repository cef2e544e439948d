"""Build the DocSpec of each document type from a consignment (or a planted variant of it), with ground truth.

Ground truth is normalised with smartinspect.documents.normalise, the extractor's own rules.
"""

from __future__ import annotations

import numpy as np

from smartinspect.documents.datagen.consignment import CURRENCIES, Consignment, Party
from smartinspect.documents.datagen.labels import (
    COLUMNS,
    CURRENCY_SYMBOLS,
    CURRENCY_WORDS_ZH,
    UNIT_WORDS,
    format_date,
    format_date_zh,
    format_number,
    format_quantity,
    label,
    pick,
)
from smartinspect.documents.datagen.spec import KV, DocSpec, PartyBlock, TableSpec
from smartinspect.documents.normalise import norm_amount, norm_name, norm_reference, norm_vessel
from smartinspect.domain.codes import COUNTRY_NAMES
from smartinspect.domain.ports import port_by_locode


class Printer:
    """Per-document printing habits: language, number style, date style, unit words."""

    def __init__(self, rng: np.random.Generator, lang: str) -> None:
        self.rng, self.lang = rng, lang
        self.number_style = "comma" if lang == "zh" else str(rng.choice(["comma", "plain", "euro"], p=[.6, .3, .1]))
        self.date_style = int(rng.integers(4 if lang == "zh" else 7))
        self.kg_word = pick(rng, ("千克", "KG", "KGS")) if lang == "zh" else pick(rng, ("KGS", "KG", "KGS."))

    def label(self, key: str) -> str:
        return label(self.rng, key, self.lang)

    def column(self, key: str) -> str:
        return label(self.rng, key, self.lang, COLUMNS)

    def date(self, iso: str) -> str:
        return format_date_zh(iso, self.date_style) if self.lang == "zh" else format_date(iso, self.date_style)

    def number(self, value: float, decimals: int = 2) -> str:
        return format_number(value, decimals, self.number_style)

    def weight(self, kg: float) -> str:
        return f"{self.number(kg)} {self.kg_word}"

    def unit(self, code: str) -> str:
        return pick(self.rng, UNIT_WORDS[code][self.lang])

    def money(self, value: float, currency: str) -> str:
        decimals = CURRENCIES[currency][1]
        style = int(self.rng.integers(3))
        amount = self.number(value, decimals)
        if self.lang == "zh" and style == 2:
            return f"{CURRENCY_WORDS_ZH[currency]} {amount}"
        return (f"{currency} {amount}", f"{CURRENCY_SYMBOLS[currency]}{amount}", f"{currency} {amount}")[style]

    def country(self, code: str) -> str:
        en, zh, _ = COUNTRY_NAMES[code]
        return zh if self.lang == "zh" else pick(self.rng, (en, en.title()))

    def port(self, locode: str) -> str:
        port = port_by_locode(locode)
        if self.lang == "zh":
            return port.name_zh
        country = COUNTRY_NAMES.get(port.country, (port.country,))[0]
        return pick(self.rng, (port.name_en, f"{port.name_en}, {country}", port.name_en.title()))


def party_name(party: Party, lang: str) -> str:
    return party.name_zh if (lang == "zh" and party.name_zh) else party.name_en


def party_block(p: Printer, key: str, party: Party, *, with_uscc: bool = True) -> PartyBlock:
    name = party_name(party, p.lang)
    address = party.address_zh if (p.lang == "zh" and party.address_zh) else party.address_en
    lines = [name, address]
    if party.uscc and with_uscc:
        style = int(p.rng.integers(3))
        lines.append((f"{p.label('uscc')}: {party.uscc}", f"({party.uscc})", f"{p.label('uscc')}：{party.uscc}")[style])
    return PartyBlock(p.label(key), lines)


def party_gt(spec: DocSpec, role: str, party: Party, *, with_uscc: bool = True) -> None:
    spec.gt[f"{role}_name"] = norm_name(party_name(party, spec.lang))
    spec.printed[f"{role}_name"] = party_name(party, spec.lang)
    if party.uscc and with_uscc:
        spec.gt[f"{role}_uscc"] = party.uscc
        spec.printed[f"{role}_uscc"] = party.uscc


def _money_fields(spec: DocSpec, c: Consignment) -> None:
    spec.gt["total_value"] = norm_amount(c.total_value)
    spec.gt["currency"] = c.currency


def _items_table(p: Printer, c: Consignment, keys: list[str], *, zh_names: bool) -> tuple[TableSpec, list[dict]]:
    decimals = CURRENCIES[c.currency][1]
    rows, gt_items = [], []
    for n, item in enumerate(c.items, start=1):
        cells = {"no": str(n), "description": item.description_zh if zh_names else item.description_en,
                 "hs_code": item.hs_code, "quantity": format_quantity(item.quantity), "unit": p.unit(item.unit),
                 "unit_price": p.number(item.unit_price, decimals), "amount": p.number(item.amount, decimals),
                 "currency": CURRENCY_WORDS_ZH[c.currency] if p.lang == "zh" and p.rng.random() < 0.5 else c.currency,
                 "origin": p.country(item.origin), "packages": str(item.packages), "net_kg": p.number(item.net_kg),
                 "gross_kg": p.number(item.gross_kg)}
        rows.append([cells[k] for k in keys])
        gt = {"description": norm_name(cells["description"]), "quantity": float(item.quantity), "unit": item.unit}
        gt |= {k: v for k, v in (("hs_code", item.hs_code), ("amount", norm_amount(item.amount)),
                                  ("net_kg", item.net_kg), ("gross_kg", item.gross_kg),
                                  ("packages", item.packages)) if k in keys}
        gt_items.append(gt)
    headers = [p.column(k) for k in keys]
    align = ["right" if k in ("quantity", "unit_price", "amount", "packages", "net_kg", "gross_kg") else "left"
             for k in keys]
    return TableSpec(keys, headers, rows, align=align), gt_items


def _total_row(p: Printer, c: Consignment, keys: list[str], word: str) -> list[str]:
    decimals = CURRENCIES[c.currency][1]
    totals = {"amount": p.number(c.total_value, decimals), "packages": str(c.total_packages),
              "net_kg": p.number(c.total_net_kg), "gross_kg": p.number(c.total_gross_kg)}
    row = [totals.get(k, "") for k in keys]
    row[1 if keys[0] == "no" else 0] = word
    return row


def build_invoice(c: Consignment, rng: np.random.Generator, lang: str) -> DocSpec:
    p = Printer(rng, lang)
    title = pick(rng, ("商业发票", "发票")) if lang == "zh" else pick(rng, ("COMMERCIAL INVOICE", "INVOICE"))
    spec = DocSpec("invoice", lang, title)
    seller, buyer = c.consignor, c.consignee
    spec.letterhead = [party_name(seller, lang)] if rng.random() < 0.6 else []
    spec.parties = [party_block(p, "seller", seller), party_block(p, "buyer", buyer)]
    party_gt(spec, "consignor", seller)
    party_gt(spec, "consignee", buyer)
    spec.fields = [KV(p.label("invoice_no"), c.invoice_no, "invoice_no"),
                   KV(p.label("invoice_date"), p.date(c.invoice_date), "invoice_date"),
                   KV(p.label("contract_no"), c.contract_no),
                   KV(p.label("port_of_loading"), p.port(c.port_of_loading), "port_of_loading"),
                   KV(p.label("port_of_discharge"), p.port(c.port_of_discharge), "port_of_discharge"),
                   KV(p.label("incoterm"), f"{c.incoterm} {p.port(_place_locode(c)) if lang == 'zh' else c.incoterm_place}",
                      "incoterm"),
                   KV(p.label("origin_country"), p.country(c.origin_country), "origin_country")]
    if rng.random() < 0.5:
        spec.fields.append(KV(p.label("currency"), c.currency, "currency"))
    spec.gt |= {"invoice_no": norm_reference(c.invoice_no), "invoice_date": c.invoice_date,
                "port_of_loading": c.port_of_loading, "port_of_discharge": c.port_of_discharge,
                "incoterm": c.incoterm, "origin_country": c.origin_country}
    keys = ["no", "description", "hs_code", "quantity", "unit", "unit_price", "amount"]
    if rng.random() < 0.3:
        keys.remove("no")
    spec.table, spec.gt_items = _items_table(p, c, keys, zh_names=lang == "zh")
    spec.gt["hs_codes"] = [i.hs_code for i in c.items]
    spec.totals = [KV(p.label("total_value"), p.money(c.total_value, c.currency), "total_value")]
    _money_fields(spec, c)
    spec.notes = [f"SAY {c.currency} TOTAL {format_quantity(round(c.total_value))} ONLY"] if lang == "en" and \
        rng.random() < 0.4 else []
    spec.signature = pick(rng, ("授权签字", "签章")) if lang == "zh" else pick(rng, ("Authorized Signature",
                                                                                    "For and on behalf of"))
    spec.stamp_words = _stamp_words(seller, lang)
    return spec


def build_packing_list(c: Consignment, rng: np.random.Generator, lang: str) -> DocSpec:
    p = Printer(rng, lang)
    spec = DocSpec("packing_list", lang, "装箱单" if lang == "zh" else pick(rng, ("PACKING LIST", "PACKING LIST / WEIGHT NOTE")))
    spec.letterhead = [party_name(c.consignor, lang)] if rng.random() < 0.6 else []
    spec.parties = [party_block(p, "seller", c.consignor), party_block(p, "buyer", c.consignee)]
    party_gt(spec, "consignor", c.consignor)
    party_gt(spec, "consignee", c.consignee)
    spec.fields = [KV(p.label("invoice_no"), c.invoice_no, "invoice_no"),
                   KV(p.label("invoice_date"), p.date(c.invoice_date), "invoice_date"),
                   KV(p.label("port_of_loading"), p.port(c.port_of_loading), "port_of_loading"),
                   KV(p.label("port_of_discharge"), p.port(c.port_of_discharge), "port_of_discharge"),
                   KV(p.label("containers"), ", ".join(k.number for k in c.containers), "container_numbers")]
    spec.gt |= {"invoice_no": norm_reference(c.invoice_no), "invoice_date": c.invoice_date,
                "port_of_loading": c.port_of_loading, "port_of_discharge": c.port_of_discharge,
                "container_numbers": [k.number for k in c.containers]}
    keys = ["no", "description", "quantity", "unit", "packages", "net_kg", "gross_kg"]
    spec.table, spec.gt_items = _items_table(p, c, keys, zh_names=lang == "zh")
    total_word = pick(rng, ("合计", "总计")) if lang == "zh" else pick(rng, ("TOTAL", "TOTAL:"))
    if rng.random() < 0.5:
        spec.table.total_row = _total_row(p, c, keys, total_word)
        spec.gt["packages"] = c.total_packages
    spec.totals = [KV(p.label("net_weight"), p.weight(c.total_net_kg), "net_weight"),
                   KV(p.label("gross_weight"), p.weight(c.total_gross_kg), "gross_weight")]
    spec.gt |= {"net_weight": c.total_net_kg, "gross_weight": c.total_gross_kg}
    spec.signature = pick(rng, ("授权签字", "签章")) if lang == "zh" else "Authorized Signature"
    spec.stamp_words = _stamp_words(c.consignor, lang)
    return spec


def _place_locode(c: Consignment) -> str:
    return c.port_of_loading if c.incoterm in ("EXW", "FCA", "FAS", "FOB") else c.port_of_discharge


def _stamp_words(party: Party, lang: str) -> list[str]:
    if party.name_zh:
        return [party.name_zh[2:6], "合同专用章" if lang == "zh" else "业务专用章"]
    return [party.name_en.split()[0][:10]]


def build_bill_of_lading(c: Consignment, rng: np.random.Generator, lang: str) -> DocSpec:
    p = Printer(rng, lang)
    title = "提单 BILL OF LADING" if lang == "zh" else pick(rng, ("BILL OF LADING", "OCEAN BILL OF LADING",
                                                                 "COMBINED TRANSPORT BILL OF LADING"))
    spec = DocSpec("bill_of_lading", lang, title)
    spec.letterhead = [pick(rng, ("COSCO SHIPPING LINES", "OCEAN NETWORK EXPRESS", "ORIENT OVERSEAS CONTAINER LINE",
                                  "EVERGREEN LINE", "HAPAG-LLOYD", "MEDITERRANEAN SHIPPING COMPANY"))]
    spec.parties = [party_block(p, "shipper", c.consignor), party_block(p, "consignee", c.consignee),
                    PartyBlock(p.label("notify"), [pick(rng, ("SAME AS CONSIGNEE", "同收货人" if lang == "zh" else
                                                              "SAME AS CONSIGNEE"))])]
    party_gt(spec, "consignor", c.consignor)
    party_gt(spec, "consignee", c.consignee)
    spec.fields = [KV(p.label("bl_no"), c.bl_no, "bl_no")]
    if rng.random() < 0.5:
        spec.fields += [KV(p.label("vessel"), c.vessel, "vessel"), KV(p.label("voyage"), c.voyage, "voyage")]
    else:
        spec.fields.append(KV(p.label("vessel_voyage"), f"{c.vessel} / {c.voyage}", "vessel"))
    spec.fields += [KV(p.label("port_of_loading"), p.port(c.port_of_loading), "port_of_loading"),
                    KV(p.label("port_of_discharge"), p.port(c.port_of_discharge), "port_of_discharge"),
                    KV(p.label("packages"), f"{c.total_packages} {c.package_kind}", "packages"),
                    KV(p.label("gross_weight"), p.weight(c.total_gross_kg), "gross_weight")]
    spec.gt |= {"bl_no": norm_reference(c.bl_no), "vessel": norm_vessel(c.vessel), "voyage": norm_reference(c.voyage),
                "port_of_loading": c.port_of_loading, "port_of_discharge": c.port_of_discharge,
                "packages": c.total_packages, "gross_weight": c.total_gross_kg}
    # Container/seal list and goods description: the B/L's "particulars furnished by shipper".
    cont_label = p.label("containers")
    spec.fields.append(KV(cont_label, "\n".join(f"{k.number} / {k.seal} / {k.size_type}" for k in c.containers),
                          "container_numbers"))
    spec.gt["container_numbers"] = [k.number for k in c.containers]
    goods = "\n".join(f"{i.description_en}  HS CODE: {i.hs_code[:6]}" for i in c.items)
    spec.fields.append(KV(pick(rng, ("Description of Goods", "货物描述 Description of Goods") if lang == "zh" else
                               ("Description of Goods", "DESCRIPTION OF PACKAGES AND GOODS")), goods, "hs_codes"))
    spec.gt["hs_codes"] = [i.hs_code[:6] for i in c.items]
    freight = "FREIGHT PREPAID" if c.incoterm in ("CIF", "CFR", "CPT", "CIP", "DAP", "DDP", "DPU") else "FREIGHT COLLECT"
    spec.notes = [freight, f"SHIPPED ON BOARD {format_date(c.onboard_date, 3)}"]
    spec.signature = "AS CARRIER" if lang == "en" else "承运人签章 AS CARRIER"
    spec.stamp_words = ["SHIPPED", "ON BOARD"]
    return spec
