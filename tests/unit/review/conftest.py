"""Review cases without a model: findings are recorded as the capabilities hand them to clearance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.findings import record_finding
from smartinspect.clearance.rulestore import upload_rule_set
from smartinspect.clearance.service import create_declaration
from smartinspect.clearance.synthetic import example_declaration, xray_payload
from smartinspect.storage.models_clearance import Instruction

REVIEW_RULES = """schema: 1
name: review-unit-tests
seed: review-unit-tests
rules:
  - id: xray-review
    description: The X-ray scan needs an analyst
    when: finding.xray.verdict >= REVIEW
    channel: yellow
    instructions: [{kind: image_review, priority: 2, focus: finding}]
  - id: wood-review
    description: The wood model abstained
    when: finding.wood.abstained
    channel: yellow
    instructions: [{kind: image_review, priority: 3, focus: finding}]
  - id: document-review
    description: The documents disagree
    when: finding.document.discrepancy_count > 0
    channel: yellow
    instructions: [{kind: image_review, priority: 1, focus: finding}]
"""

WOOD_PAYLOAD = {
    "top_k": [{"taxon": "Swietenia", "genus": "Swietenia", "probability": 0.41, "cites_appendix": "II"},
              {"taxon": "Khaya", "genus": "Khaya", "probability": 0.33, "cites_appendix": None},
              {"taxon": "Cedrela", "genus": "Cedrela", "probability": 0.12, "cites_appendix": "II"}],
    "abstained": True, "recommendation": "expert_review", "declared_species": "Khaya ivorensis",
    "declared_match": None, "cites_appendix": None,
    "reasons": [{"code": "abstained_not_wood_like", "message": "a photo does not look like an end-grain photo of wood"}],
}
DOCUMENT_PAYLOAD = {"doc_type": "invoice", "discrepancies": [
    {"field": "total_value", "severity": "high", "message": "invoice total differs from the declaration"}]}


@pytest.fixture
def make_case(app: Any, client: Any) -> Callable[..., int]:
    """``make_case(n, source=..., port=...)``: a declaration with one finding that opens one image_review."""
    with app.state.session_factory() as session:
        upload_rule_set(session, text=REVIEW_RULES, actor="admin#0")
        session.commit()

    def make(n: int, *, source: str = "xray", port: str = "2248") -> int:
        number = f"22482026100000{n:04d}"
        payload = {"xray": xray_payload("REVIEW"), "wood": WOOD_PAYLOAD, "document": DOCUMENT_PAYLOAD}[source]
        with app.state.session_factory() as session:
            data = {**example_declaration(number), "port": port}
            create_declaration(session, data=DeclarationCreate.model_validate(data), actor="officer#0")
            session.commit()
            record_finding(session, source=source, source_id=f"{source}-{n}", verdict=payload.get("verdict", "x"),
                           payload=payload, declaration_no=number)
            session.commit()
            return session.scalar(select(Instruction.id).where(Instruction.declaration_no == number,
                                                               Instruction.kind == "image_review"))

    return make
