"""``smartinspect bench clearance``: declarations assessed per second with the default rules, real database.

Runs, on the same database and the same kind of synthetic declarations (1-5 goods lines, 1-2 containers; a
tenth of them with an X-ray finding recorded before the declaration arrives, so intake picks findings up):

- baseline: one declaration per transaction, ``service.create_declaration`` (what ``POST /v1/declarations``
  does: intake, then the stored declaration is read back for the response);
- batched: ``intake_declarations`` with ``batch`` declarations per transaction (``POST /v1/declarations/batch``);
- http (optional): ``POST /v1/declarations`` one by one over a real socket to uvicorn serving the real app;
- rules only: the compiled default rules on the same declarations without a database (the upper bound).

Every run commits each transaction (durable: PostgreSQL fsyncs its WAL per commit). The audit chain is verified
at the end.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import socket
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import make_url, select, text

from smartinspect.clearance import service
from smartinspect.clearance.engine import assess
from smartinspect.clearance.fields import DeclarationView
from smartinspect.clearance.findings import record_finding
from smartinspect.clearance.intake import declaration_record
from smartinspect.clearance.rulestore import active_rules
from smartinspect.clearance.synthetic import synthetic_declarations, xray_payload
from smartinspect.storage.db import make_engine, make_session_factory, normalise_database_url, upgrade_database
from smartinspect.storage.models_clearance import Declaration
from smartinspect.storage.types import utcnow

FINDING_SHARE = 0.1
WARM_UP = 50


def _ensure_postgres_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database if it does not exist (via the ``postgres`` database)."""
    import psycopg
    from psycopg import sql

    parsed = make_url(normalise_database_url(url))
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))


def _record_findings(session_factory, items: list, rng: np.random.Generator) -> int:
    """Scans analysed before their declaration arrives: mostly CLEAR, some REVIEW, a few INSPECT."""
    chosen = [d for d in items if rng.random() < FINDING_SHARE]
    with session_factory() as session:
        for i, data in enumerate(chosen):
            verdict = str(rng.choice(["CLEAR", "REVIEW", "INSPECT"], p=[0.85, 0.1, 0.05]))
            record_finding(session, source="xray", source_id=f"bench-{data.number}-{i}", verdict=verdict,
                           payload=xray_payload(verdict), declaration_no=data.number)
        session.commit()
    return len(chosen)


def _timed_single(session_factory, items: list) -> float:
    with session_factory() as session:
        start = time.perf_counter()
        for data in items:
            service.create_declaration(session, data=data, actor="bench")
            session.commit()
        return time.perf_counter() - start


def _timed_batched(session_factory, items: list, batch: int) -> float:
    with session_factory() as session:
        start = time.perf_counter()
        for i in range(0, len(items), batch):
            service.intake_declarations(session, items=items[i:i + batch], actor="bench")
            session.commit()
        return time.perf_counter() - start


def _timed_rules_only(session_factory, items: list) -> float:
    with session_factory() as session:
        rules = active_rules(session)
    now = utcnow()
    records = [declaration_record(d, actor="bench", now=now) for d in items]
    start = time.perf_counter()
    for record in records:
        assess(rules.rule_set, DeclarationView(record.view, {}), version=rules.version)
    return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _timed_http(url: str, data_dir: Path, items: list) -> float:
    """POST each declaration over a keep-alive connection to uvicorn serving the real app in this process."""
    import uvicorn

    from smartinspect.api.app import create_app
    from smartinspect.config import Settings
    from smartinspect.storage.apikeys import create_api_key

    settings = Settings(_env_file=None, data_dir=data_dir, database_url=url, onnx_warmup=False)  # type: ignore[call-arg]
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        engine = make_engine(url)
        with make_session_factory(engine)() as session, session.begin():
            _key, token = create_api_key(session, name="bench officer", role="officer")
        engine.dispose()
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/json", "X-API-Key": token}
        bodies = [json.dumps(d.model_dump(mode="json", exclude_none=True)) for d in items]
        start = time.perf_counter()
        for body in bodies:
            conn.request("POST", "/v1/declarations", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 201:
                raise RuntimeError(f"POST /v1/declarations answered {response.status}: {payload[:300]!r}")
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _rate(n: int, seconds: float) -> dict[str, float]:
    return {"declarations": n, "seconds": round(seconds, 3), "declarations_per_s": round(n / seconds, 1)}


def run_clearance_benchmark(*, database_url: str | None = None, n_batched: int = 2000, batch: int = 100,
                            n_single: int = 500, n_http: int = 0, seed: int = 5) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="smartinspect-bench-"))
    url = database_url or f"sqlite:///{scratch / 'bench.db'}"
    if make_url(normalise_database_url(url)).get_backend_name() == "postgresql":
        _ensure_postgres_database(url)
    upgrade_database(url)
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    rng = np.random.default_rng(seed)
    total = WARM_UP + n_single + n_batched + n_http
    start = 1 + time.time_ns() // 1000 % (10**9 - total - 1)  # fresh numbers: the database may hold earlier runs
    items = synthetic_declarations(total, seed=seed, start=start)
    with_findings = _record_findings(session_factory, items, rng)
    warm, single, batched, over_http = (items[:WARM_UP], items[WARM_UP:WARM_UP + n_single],
                                        items[WARM_UP + n_single:WARM_UP + n_single + n_batched], items[-n_http:])
    _timed_batched(session_factory, warm, batch)  # rules compiled, connections open, caches warm
    single_s = _timed_single(session_factory, single) if n_single else None
    batched_s = _timed_batched(session_factory, batched, batch)
    http_s = _timed_http(url, scratch, over_http) if n_http else None
    rules_s = _timed_rules_only(session_factory, batched)
    with session_factory() as session:
        numbers = [d.number for d in items]
        channels = Counter(session.scalars(select(Declaration.channel).where(Declaration.number.in_(numbers))))
        ok, broken = service.verify_audit_chain(session)
        server = session.execute(text("SELECT sqlite_version()" if engine.dialect.name == "sqlite"
                                      else "SHOW server_version")).scalar()
    engine.dispose()
    result: dict[str, Any] = {
        "database": {"backend": engine.dialect.name, "version": server,
                     "url": make_url(normalise_database_url(url)).render_as_string(hide_password=True)},
        "declarations_with_prior_findings": with_findings,
        "baseline_one_per_transaction": _rate(n_single, single_s) if single_s else None,
        "batched": {**_rate(n_batched, batched_s), "batch": batch},
        "http_one_per_request": _rate(n_http, http_s) if http_s else None,
        "rules_only_no_database": _rate(n_batched, rules_s),
        "channel_mix": dict(sorted(channels.items())),
        "audit_chain_ok": ok, "audit_first_broken_id": broken,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_avg_1m": os.getloadavg()[0]},
    }
    if single_s:
        result["speedup_batched_vs_baseline"] = round((n_batched / batched_s) / (n_single / single_s), 2)
    return result
