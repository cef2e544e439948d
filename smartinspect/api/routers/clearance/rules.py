"""``/v1/rules`` (admin): view the rule set versions, validate a file, upload a new version (hot reload)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool

from smartinspect.api.deps import CurrentKey, PathInt, SessionDep, secured
from smartinspect.api.errors import ApiError
from smartinspect.api.routers.clearance.common import ERRORS, actor_of, api_error, write
from smartinspect.api.schemas.clearance import (
    RuleErrorPublic,
    RuleSetList,
    RuleSetPublic,
    RuleSummary,
    RuleValidationPublic,
    rule_set_public,
)
from smartinspect.clearance import rulestore
from smartinspect.clearance.errors import ClearanceError
from smartinspect.clearance.ruleset import RuleSetInvalid, load_rule_set
from smartinspect.domain.roles import Role

router = APIRouter(prefix="/v1/rules", tags=["rules"])
_YAML_BODY = {
    "requestBody": {"required": True, "description": "the rule file (YAML; see docs/clearance.md)",
                    "content": {"application/yaml": {"schema": {"type": "string"}}}},
}


def _admin(**extra):
    kwargs = secured(Role.admin, responses=ERRORS)
    kwargs["openapi_extra"] = {**kwargs["openapi_extra"], **extra}
    return kwargs


async def _read_yaml(request: Request) -> str:
    limit = request.app.state.settings.clearance_max_rules_bytes
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            message = f"the rule file is larger than {limit} bytes"
            raise ApiError(413, "payload_too_large", message, {"max_bytes": limit})
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(422, "invalid_rule_set", f"the rule file is not UTF-8 text (byte {exc.start})") from exc


def _active(session: SessionDep) -> int:
    return write(session, lambda: rulestore.active_rules(session).version)  # may store the default (version 1)


@router.get("", response_model=RuleSetList, **_admin())
def list_rule_sets(session: SessionDep) -> RuleSetList:
    """Every version, newest (the active one) first."""
    active = _active(session)
    return RuleSetList(items=[rule_set_public(r, active_version=active) for r in rulestore.list_rule_sets(session)])


@router.get("/active", response_model=RuleSetPublic, **_admin())
def read_active_rule_set(session: SessionDep) -> RuleSetPublic:
    """The active version, with its YAML."""
    active = _active(session)
    return rule_set_public(rulestore.get_rule_set(session, version=active), active_version=active, with_source=True)


@router.get("/{version}", response_model=RuleSetPublic, **_admin())
def read_rule_set(version: PathInt, session: SessionDep) -> RuleSetPublic:
    active = _active(session)
    try:
        stored = rulestore.get_rule_set(session, version=version)
    except ClearanceError as exc:
        raise api_error(exc) from exc
    return rule_set_public(stored, active_version=active, with_source=True)


@router.post("/validate", response_model=RuleValidationPublic, **_admin(**_YAML_BODY))
async def validate_rule_set(request: Request) -> RuleValidationPublic:
    """Check a rule file without storing it: every problem with its line and column."""
    text = await _read_yaml(request)
    try:
        rule_set = await run_in_threadpool(load_rule_set, text)
    except RuleSetInvalid as exc:
        return RuleValidationPublic(valid=False, errors=[RuleErrorPublic(line=e.line, column=e.column, path=e.path,
                                                                         message=e.message) for e in exc.errors])
    rules = [RuleSummary(id=r.id, channel=r.channel.value, scope=r.scope, when=r.when,
                         instructions=[s.kind.value for s in r.instructions]) for r in rule_set.rules]
    return RuleValidationPublic(valid=True, errors=[], name=rule_set.name, sha256=rule_set.sha256, rules=rules)


@router.post("", response_model=RuleSetPublic, status_code=status.HTTP_201_CREATED, **_admin(**_YAML_BODY))
async def upload_rule_set(request: Request, key: CurrentKey, session: SessionDep) -> RuleSetPublic:
    """Store a new version; it is active for every assessment from the moment this returns. An invalid file is
    refused (422, with the line of each problem) and the current version stays active."""
    text = await _read_yaml(request)
    stored = await run_in_threadpool(
        write, session, lambda: rulestore.upload_rule_set(session, text=text, actor=actor_of(key)))
    return rule_set_public(stored, active_version=stored.version)
