"""The one hand-off from the model kinds to clearance: a finding per (source, source_id). They flush; the caller
commits. X-ray, documents and wood call ``record_finding``; none of them knows the rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.clearance.service import on_finding_recorded
from smartinspect.domain.clearance import FindingSource
from smartinspect.storage.models import ClearanceFinding


def record_finding(
    session: Session,
    *,
    source: FindingSource | str,
    source_id: str,
    verdict: str,
    payload: dict[str, Any],
    declaration_no: str | None = None,
) -> ClearanceFinding:
    """Hand a finding to clearance. One finding per (source, source_id): re-analysis replaces it.

    With a ``declaration_no``, the declaration (if it exists) is re-assessed in the same transaction.
    """
    try:
        source = FindingSource(source)
    except ValueError:
        valid = ", ".join(s.value for s in FindingSource)
        raise ValueError(f"unknown finding source {source!r}; valid sources: {valid}") from None
    query = select(ClearanceFinding).where(
        ClearanceFinding.source == source.value, ClearanceFinding.source_id == source_id
    )
    finding = session.scalar(query)
    if finding is None:
        finding = ClearanceFinding(source=source.value, source_id=source_id)
        session.add(finding)
    finding.verdict = verdict
    finding.payload = payload
    finding.declaration_no = declaration_no
    session.flush()
    if declaration_no is not None:
        on_finding_recorded(session, finding)  # the declaration is re-assessed in this transaction
    return finding


def list_findings(session: Session, *, declaration_no: str) -> list[ClearanceFinding]:
    query = select(ClearanceFinding).where(ClearanceFinding.declaration_no == declaration_no)
    return list(session.scalars(query.order_by(ClearanceFinding.id)))
