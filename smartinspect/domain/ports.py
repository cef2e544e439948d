"""Sea ports by UN/LOCODE, with the English and Chinese names documents use for them.

A gazetteer, not a full UN/LOCODE list: the ports China's container trade goes through most, and their usual
spellings. ``normalise_port`` maps a name (en or zh, any case, with or without a country suffix) to its LOCODE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    locode: str  # 5 characters: ISO 3166 country + 3-letter location
    name_en: str
    name_zh: str
    aliases: tuple[str, ...] = ()

    @property
    def country(self) -> str:
        return self.locode[:2]


PORTS: tuple[Port, ...] = (
    Port("CNSHA", "SHANGHAI", "上海", ("SHANGHAI PORT", "YANGSHAN", "洋山")),
    Port("CNNGB", "NINGBO", "宁波", ("NINGBO-ZHOUSHAN", "宁波舟山", "BEILUN", "北仑")),
    Port("CNYTN", "YANTIAN", "盐田", ("SHENZHEN YANTIAN", "深圳盐田")),
    Port("CNSHK", "SHEKOU", "蛇口", ("SHENZHEN SHEKOU", "深圳蛇口")),
    Port("CNTAO", "QINGDAO", "青岛", ()),
    Port("CNTXG", "TIANJIN XINGANG", "天津新港", ("XINGANG", "TIANJIN", "天津")),
    Port("CNXMN", "XIAMEN", "厦门", ()),
    Port("CNNSA", "NANSHA", "南沙", ("GUANGZHOU NANSHA", "广州南沙")),
    Port("CNDLC", "DALIAN", "大连", ()),
    Port("DEHAM", "HAMBURG", "汉堡", ()),
    Port("DEBRV", "BREMERHAVEN", "不来梅港", ()),
    Port("NLRTM", "ROTTERDAM", "鹿特丹", ()),
    Port("BEANR", "ANTWERP", "安特卫普", ("ANTWERPEN",)),
    Port("GBFXT", "FELIXSTOWE", "费利克斯托", ()),
    Port("FRLEH", "LE HAVRE", "勒阿弗尔", ()),
    Port("ITGOA", "GENOA", "热那亚", ("GENOVA",)),
    Port("ESVLC", "VALENCIA", "瓦伦西亚", ()),
    Port("USLAX", "LOS ANGELES", "洛杉矶", ()),
    Port("USLGB", "LONG BEACH", "长滩", ()),
    Port("USNYC", "NEW YORK", "纽约", ()),
    Port("CAVAN", "VANCOUVER", "温哥华", ()),
    Port("JPYOK", "YOKOHAMA", "横滨", ()),
    Port("JPTYO", "TOKYO", "东京", ()),
    Port("KRPUS", "BUSAN", "釜山", ("PUSAN",)),
    Port("SGSIN", "SINGAPORE", "新加坡", ()),
    Port("VNSGN", "HO CHI MINH CITY", "胡志明市", ("HO CHI MINH", "CAT LAI")),
    Port("THLCH", "LAEM CHABANG", "林查班", ()),
    Port("MYPKG", "PORT KLANG", "巴生港", ("KLANG",)),
    Port("IDJKT", "JAKARTA", "雅加达", ("TANJUNG PRIOK",)),
    Port("INNSA", "NHAVA SHEVA", "那瓦舍瓦", ("JAWAHARLAL NEHRU",)),
    Port("AUMEL", "MELBOURNE", "墨尔本", ()),
    Port("BRSSZ", "SANTOS", "桑托斯", ()),
)

_BY_LOCODE = {p.locode: p for p in PORTS}
_KEY = re.compile(r"[^0-9A-Z\u4e00-\u9fff]")


def _key(text: str) -> str:
    return _KEY.sub("", text.upper())


_BY_NAME: dict[str, Port] = {}
for _p in PORTS:
    for _name in (_p.name_en, _p.name_zh, _p.locode, *_p.aliases):
        _BY_NAME.setdefault(_key(_name), _p)
_LONGEST_FIRST = sorted(_BY_NAME, key=len, reverse=True)


def port_by_locode(locode: str) -> Port:
    try:
        return _BY_LOCODE[locode.upper()]
    except KeyError:
        raise KeyError(f"unknown UN/LOCODE {locode!r}; known: {', '.join(sorted(_BY_LOCODE))}") from None


def find_port(text: str) -> Port | None:
    """The port named in ``text`` ("Shanghai, China", "上海港", "CNSHA"); the longest known name wins."""
    key = _key(text)
    if not key:
        return None
    if key in _BY_NAME:
        return _BY_NAME[key]
    for name in _LONGEST_FIRST:
        if len(name) >= 2 and name in key:
            return _BY_NAME[name]
    return None


def normalise_port(text: str) -> str:
    """UN/LOCODE when the port is known, else the upper-cased name without punctuation."""
    port = find_port(text)
    return port.locode if port else " ".join(re.sub(r"[^\w\s]", " ", text.upper()).split())
