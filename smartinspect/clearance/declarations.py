"""The validated input of a declaration (报关单, pragmatic subset). Bad input never reaches the database.

Field names follow the entry form (报关单录入): number (海关编号), direction (进口/出口), customs office (申报地海关),
port (进出境口岸), declarant (申报单位), consignee (收发货人), transport (运输方式, 运输工具名称, 航次号, 提运单号),
trade country (起运国/运抵国), Incoterm (成交方式), currency (币制), packages (件数), containers (集装箱号),
attached documents (随附单证) and goods lines (商品编号, 商品名称, 数量, 单位, 毛重, 净重, 总价, 原产地).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from smartinspect.domain.clearance import Direction, DocumentType, TransportMode
from smartinspect.domain.codes import verify_country, verify_currency, verify_hs_code, verify_incoterm, verify_uscc
from smartinspect.domain.containers import verify_container_number
from smartinspect.domain.customs import verify_customs_code, verify_declaration_number

MAX_ITEMS = 50  # goods lines on one 报关单
MAX_CONTAINERS = 200

HsCode = Annotated[str, AfterValidator(verify_hs_code)]
Currency = Annotated[str, AfterValidator(verify_currency)]
Country = Annotated[str, AfterValidator(verify_country)]
Uscc = Annotated[str, AfterValidator(verify_uscc)]
CustomsCode = Annotated[str, AfterValidator(verify_customs_code)]
ContainerNo = Annotated[str, AfterValidator(verify_container_number)]
Incoterm = Annotated[str, AfterValidator(verify_incoterm)]
Kilograms = Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False, description="kg, > 0")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class PartyIn(_Strict):
    name: Text200
    code: Uscc = Field(description="18-character unified social credit code (GB 32100-2015), check verified")


class TransportIn(_Strict):
    mode: TransportMode = TransportMode.waterway
    bill_of_lading: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9\-/]*$")
    vessel: str | None = Field(default=None, max_length=100)
    voyage: str | None = Field(default=None, max_length=32)


class ItemIn(_Strict):
    hs_code: HsCode = Field(description="6-digit HS, 8-digit tariff line or China's 10-digit 商品编号")
    description: str = Field(min_length=1, max_length=255)
    quantity: float = Field(gt=0, le=1e12, allow_inf_nan=False)
    unit: str = Field(min_length=1, max_length=16, description="unit of quantity, e.g. kg, pcs, m3")
    gross_kg: Kilograms
    net_kg: Kilograms
    value: float = Field(ge=0, le=1e13, allow_inf_nan=False, description="total price of the line")
    currency: Currency | None = Field(default=None, description="ISO 4217; default: the declaration's currency")
    origin: Country = Field(description="country of origin, ISO 3166-1 alpha-2")

    @model_validator(mode="after")
    def _net_within_gross(self) -> ItemIn:
        if self.net_kg > self.gross_kg:
            raise ValueError(f"net weight {self.net_kg} kg exceeds gross weight {self.gross_kg} kg")
        return self


class ContainerIn(_Strict):
    number: ContainerNo = Field(description="ISO 6346, check digit verified")
    size_type: str | None = Field(default=None, pattern=r"^[0-9A-Z]{4}$", description="ISO 6346 code, e.g. 45G1")
    tare_kg: float | None = Field(default=None, ge=0, le=50_000, allow_inf_nan=False)


class DocumentIn(_Strict):
    type: DocumentType
    number: str = Field(min_length=1, max_length=64)


class DeclarationCreate(_Strict):
    """A declaration as submitted. Validators normalise codes (HS digits only, upper-case ISO codes)."""

    number: Annotated[str, AfterValidator(verify_declaration_number)] = Field(
        description="18-digit declaration number (海关编号); digit 9 is 1 for import, 0 for export")
    direction: Direction
    customs_office: CustomsCode | None = Field(default=None, description="accepting customs; default number[:4]")
    port: CustomsCode = Field(description="customs code of the entry/exit port (进出境口岸), where controls happen")
    declarant: PartyIn
    consignee: PartyIn = Field(description="the domestic consignee (import) or consignor (export), 境内收发货人")
    transport: TransportIn = TransportIn()
    trade_country: Country = Field(description="country of departure (import) or destination (export)")
    loading_port: str | None = Field(default=None, max_length=64)
    incoterm: Incoterm
    currency: Currency
    package_count: int | None = Field(default=None, gt=0, le=10_000_000)
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    containers: list[ContainerIn] = Field(default=[], max_length=MAX_CONTAINERS)
    documents: list[DocumentIn] = Field(default=[], max_length=50)
    declared_at: datetime | None = Field(default=None, description="申报日期; default: when it is received")
    remarks: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> DeclarationCreate:
        number = verify_declaration_number(self.number, direction=self.direction.value)
        if self.customs_office is None:
            object.__setattr__(self, "customs_office", number[:4])
        elif self.customs_office != number[:4]:
            raise ValueError(f"customs_office {self.customs_office} differs from the number's first four digits "
                             f"{number[:4]} (the accepting customs)")
        seen = [c.number for c in self.containers]
        if len(set(seen)) != len(seen):
            raise ValueError(f"containers are listed twice: {sorted({n for n in seen if seen.count(n) > 1})}")
        if self.declared_at is not None and self.declared_at.tzinfo is None:
            object.__setattr__(self, "declared_at", self.declared_at.replace(tzinfo=UTC))
        return self

    def item_currency(self, item: ItemIn) -> str:
        return item.currency or self.currency

    def total_value(self) -> float | None:
        """Sum of line values when every line is in the declaration's currency (no FX table here)."""
        if any(self.item_currency(item) != self.currency for item in self.items):
            return None
        return math.fsum(item.value for item in self.items)

    def request_sha256(self) -> str:
        """Hash of the normalised content: equal for a true retry, different for a conflicting reuse."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()
