"""``/v1/reports/…`` (officer, admin, scientist) and ``/v1/audit/…`` (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from smartinspect.api.deps import Offset, SessionDep, secured
from smartinspect.api.routers.clearance.common import ERRORS
from smartinspect.api.schemas.clearance import AuditEventPublic
from smartinspect.clearance import reports
from smartinspect.clearance.audit import ChainReport, check_audit_chain
from smartinspect.domain.clearance import Channel
from smartinspect.domain.roles import Role
from smartinspect.storage.models_clearance import AuditEvent

router = APIRouter(tags=["reports"])
REPORT_READERS = (Role.officer, Role.admin, Role.scientist)
Since = Annotated[datetime | None, Query(description="declarations received from (ISO 8601)")]
Until = Annotated[datetime | None, Query(description="... until, exclusive")]


@router.get("/v1/reports/rule-hits", response_model=list[reports.RuleHitRate],
            **secured(*REPORT_READERS, responses=ERRORS))
def rule_hits(session: SessionDep, since: Since = None, until: Until = None) -> list[reports.RuleHitRate]:
    """Per rule: how often it fired, the instructions it fed, and the share of those that found a discrepancy."""
    return reports.rule_hit_rates(session, since=since, until=until)


@router.get("/v1/reports/channels", response_model=reports.ChannelMix, **secured(*REPORT_READERS, responses=ERRORS))
def channels(session: SessionDep, since: Since = None, until: Until = None) -> reports.ChannelMix:
    """The channel mix and where declarations stand (assessed, released, held)."""
    return reports.channel_mix(session, since=since, until=until)


@router.get("/v1/reports/clearance-times", response_model=reports.ClearanceTimes,
            **secured(*REPORT_READERS, responses=ERRORS))
def clearance_times(session: SessionDep, since: Since = None, until: Until = None,
                    channel: Channel | None = None) -> reports.ClearanceTimes:
    """Receipt-to-release seconds: percentiles and a histogram (held and pending counted apart)."""
    return reports.clearance_times(session, since=since, until=until, channel=channel)


@router.get("/v1/audit/verify", response_model=ChainReport, **secured(Role.admin, responses=ERRORS))
def verify_audit(session: SessionDep) -> ChainReport:
    """Recompute the hash chain; ``first_broken_id`` points to the first event changed, removed or unlinked."""
    return check_audit_chain(session)


@router.get("/v1/audit/events", response_model=list[AuditEventPublic], **secured(Role.admin, responses=ERRORS))
def audit_events(
    session: SessionDep,
    subject: Annotated[str | None, Query(description="e.g. declaration:<number>, instruction:<id>")] = None,
    after_id: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEventPublic]:
    """Events in chain order (page with ``after_id``)."""
    query = select(AuditEvent).where(AuditEvent.id > after_id)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    return [AuditEventPublic.model_validate(e) for e in session.scalars(query.order_by(AuditEvent.id).limit(limit))]
