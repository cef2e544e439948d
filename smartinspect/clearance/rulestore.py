"""Rule set versions in the database. The newest version is active; every process reads it per transaction.

Hot reload: an upload commits a new version; the next assessment anywhere (any API worker) reads the newest
version number (one indexed query) and compiles it once per process (cached by sha256). An invalid upload is
refused before anything is stored, so the previous version stays active.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartinspect.clearance.audit import EventIn, append_audit_events, lock_chain_head
from smartinspect.clearance.errors import RuleSetNotFound
from smartinspect.clearance.locks import begin_write
from smartinspect.clearance.ruleset import RuleSet, default_rules_text, load_rule_set
from smartinspect.storage.models_clearance import RuleSetVersion

SYSTEM_ACTOR = "system"
_CACHE_SIZE = 16
_cache: dict[str, RuleSet] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class ActiveRules:
    version: int
    rule_set: RuleSet


def _compiled(sha256: str, source_of: Callable[[], str]) -> RuleSet:
    """The compiled rule set for ``sha256``; ``source_of`` fetches the YAML only on a cache miss."""
    with _cache_lock:
        cached = _cache.get(sha256)
    if cached is not None:
        return cached
    rule_set = load_rule_set(source_of())
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[sha256] = rule_set
    return rule_set


def active_rules(session: Session) -> ActiveRules:
    """The active rule set; on an empty database the packaged default becomes version 1 (audited)."""
    row = session.execute(
        select(RuleSetVersion.version, RuleSetVersion.sha256).order_by(RuleSetVersion.version.desc()).limit(1)
    ).first()
    if row is None:
        stored = upload_rule_set(session, text=default_rules_text(), actor=SYSTEM_ACTOR, only_if_empty=True)
        return ActiveRules(stored.version, _compiled(stored.sha256, lambda: stored.source))
    version, sha256 = row

    def source() -> str:
        return session.scalar(select(RuleSetVersion.source).where(RuleSetVersion.version == version)) or ""

    return ActiveRules(version, _compiled(sha256, source))


def upload_rule_set(session: Session, *, text: str, actor: str, only_if_empty: bool = False) -> RuleSetVersion:
    """Validate ``text`` (raises :class:`~smartinspect.clearance.ruleset.RuleSetInvalid`, nothing stored) and
    store it as the next version, which becomes active when the transaction commits. Flushes; caller commits.

    ``only_if_empty``: the bootstrap; if another transaction stored a version meanwhile, return that instead.
    """
    rule_set = load_rule_set(text)
    begin_write(session)
    lock_chain_head(session)  # serialises uploads (and the bootstrap) with one another
    newest = session.scalar(select(func.max(RuleSetVersion.version)))
    if only_if_empty and newest is not None:
        stored = session.get(RuleSetVersion, newest)
        assert stored is not None
        return stored
    stored = RuleSetVersion(version=(newest or 0) + 1, name=rule_set.name, description=rule_set.description or None,
                            sha256=rule_set.sha256, source=text, rule_count=len(rule_set.rules), uploaded_by=actor)
    session.add(stored)
    session.flush()
    with _cache_lock:
        _cache.setdefault(rule_set.sha256, rule_set)
    append_audit_events(session, events=[EventIn(
        "rules.uploaded", f"rules:{stored.version}",
        {"version": stored.version, "name": stored.name, "sha256": stored.sha256, "rules": len(rule_set.rules),
         "rule_ids": [rule.id for rule in rule_set.rules]},
        actor,
    )])
    return stored


def list_rule_sets(session: Session) -> list[RuleSetVersion]:
    """Every stored version, newest (active) first."""
    return list(session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.version.desc())))


def get_rule_set(session: Session, *, version: int | None = None) -> RuleSetVersion:
    """One version (None: the active one, bootstrapping the default on an empty database)."""
    if version is None:
        version = active_rules(session).version
    stored = session.get(RuleSetVersion, version)
    if stored is None:
        raise RuleSetNotFound(f"no rule set version {version}", {"version": version})
    return stored
