"""Measure the "Must show" figures of docs/reliability.md against a real server (uvicorn in a subprocess, on
127.0.0.1, a fresh data dir, the shipped models). Prints one JSON report; every part is bounded in time.

    python -m smartinspect.benchmarks.reliability_probe [--clients 80] [--out report.json]

Parts: 80 concurrent scan posts (statuses, latencies, Retry-After, /healthz meanwhile); an officer and an expert
listing at once; the PDF bomb (in-process time and peak-memory growth, and over HTTP); a 1 GiB unauthenticated
body; audit truncation; and, after all of it, orphan blobs and rows without their blob.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
MIB, GIB = 1 << 20, 1 << 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(data_dir.parent / "server.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "smartinspect.api.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log", "--timeout-graceful-shutdown", "3"],
                            env=env, cwd=data_dir.parent, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"server did not become ready; see {data_dir.parent / 'server.log'}")


def make_keys(database_url: str) -> dict[str, str]:
    from smartinspect.storage.apikeys import create_api_key
    from smartinspect.storage.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        keys = {role: create_api_key(session, name=f"probe {role}", role=role)[1]
                for role in ("scanner", "officer", "expert", "admin")}
        session.commit()
    engine.dispose()
    return keys


def scan_png() -> bytes:
    import cv2
    import numpy as np

    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    scan = generate_scan(np.random.default_rng(99), XrayGenConfig(), container="20ft", force_empty=False,
                         force_threats=[])
    return cv2.imencode(".png", scan.high)[1].tobytes()


def probe_health(url: str, stop: threading.Event, out: list[float], ready: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=10) as http:
        while not stop.is_set():
            for path, times in (("/healthz", out), ("/readyz", ready)):
                began = time.monotonic()
                http.get(path).raise_for_status()
                times.append(time.monotonic() - began)
            time.sleep(0.1)


def overload(url: str, key: str, clients: int) -> dict:
    png, results, health, ready = scan_png(), [], [], []
    barrier, stop = threading.Barrier(clients + 1), threading.Event()

    def post(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            barrier.wait()
            began = time.monotonic()
            r = http.post("/v1/scans", headers={"X-API-Key": key}, files={"image": ("s.png", png, "image/png")},
                          data={"scanner_id": "probe", "container_no": "MSCU1234566",
                                "scanned_at": "2026-12-06T08:00:00Z"})
            results.append((r.status_code, time.monotonic() - began, r.headers.get("retry-after")))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(clients)]
    prober = threading.Thread(target=probe_health, args=(url, stop, health, ready))
    for t in threads:
        t.start()
    prober.start()
    barrier.wait()
    for t in threads:
        t.join(timeout=90)
    stop.set()
    prober.join(timeout=10)
    by_status: dict[str, int] = {}
    for status, _, _ in results:
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    refused = sorted(e for s, e, _ in results if s == 503)
    return {"clients": clients, "by_status": by_status, "max_s": round(max(e for _, e, _ in results), 3),
            "refused_503_with_retry_after": sum(1 for s, _, ra in results if s == 503 and ra),
            "refused_503_p50_ms": round(refused[len(refused) // 2] * 1000, 1) if refused else None,
            "refused_503_max_ms": round(refused[-1] * 1000, 1) if refused else None,
            "healthz_probes": len(health), "healthz_max_ms": round(max(health) * 1000, 1) if health else None,
            "readyz_max_ms": round(max(ready) * 1000, 1) if ready else None}


def two_clients(url: str, keys: dict[str, str], rounds: int = 40) -> dict:
    timings: dict[str, list[float]] = {"officer_declarations": [], "expert_cases": []}
    statuses: set[int] = set()

    def loop(name: str, path: str, key: str) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            for _ in range(rounds):
                began = time.monotonic()
                statuses.add(http.get(path, headers={"X-API-Key": key}).status_code)
                timings[name].append(time.monotonic() - began)

    threads = [threading.Thread(target=loop, args=("officer_declarations", "/v1/declarations", keys["officer"])),
               threading.Thread(target=loop, args=("expert_cases", "/v1/review/cases", keys["expert"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return {"rounds_each": rounds, "statuses": sorted(statuses),
            **{f"{k}_max_ms": round(max(v) * 1000, 1) for k, v in timings.items()}}


def pdf_bomb() -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(20):
        document.new_page(5000, 5000).close()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def bomb(url: str, key: str) -> dict:
    from smartinspect.ocr.intake import DocumentRejected, IntakeLimits, open_document

    data = pdf_bomb()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.monotonic()
    try:
        open_document(data, limits=IntakeLimits())
        refused = None
    except DocumentRejected as exc:
        refused = f"{exc.status} {exc.code}"
    elapsed = time.monotonic() - began
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    began = time.monotonic()
    r = httpx.post(f"{url}/v1/documents", headers={"X-API-Key": key}, timeout=60,
                   files={"file": ("bomb.pdf", data, "application/pdf")})
    return {"pdf_bytes": len(data), "refused": refused, "in_process_ms": round(elapsed * 1000, 1),
            "peak_rss_growth_mb": round(growth_mb, 1), "http_status": r.status_code,
            "http_code": r.json()["error"]["code"], "http_ms": round((time.monotonic() - began) * 1000, 1)}


def unauthenticated_gib(url: str, data_dir: Path) -> dict:
    before = sum(1 for p in data_dir.rglob("*") if p.is_file())
    tmp_before = sum(1 for _ in Path(tempfile.gettempdir()).iterdir())
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    began = time.monotonic()
    sock.sendall((f"POST /v1/scans HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                  f"Content-Length: {GIB}\r\n\r\n").encode())
    sent, chunk = 0, b"\0" * MIB
    sock.settimeout(3)
    try:
        while sent < GIB:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    sock.settimeout(10)
    try:
        reply = sock.recv(4096)
    except OSError:
        reply = b""
    elapsed = time.monotonic() - began
    sock.close()
    return {"status": int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else None,
            "bytes_sent_before_refusal_mb": round(sent / MIB, 1), "seconds": round(elapsed, 2),
            "new_files_in_data_dir": sum(1 for p in data_dir.rglob("*") if p.is_file()) - before,
            "new_entries_in_tmp_dir": sum(1 for _ in Path(tempfile.gettempdir()).iterdir()) - tmp_before}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smartinspect.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def audit_truncation(url: str, keys: dict[str, str], env: dict[str, str], database_url: str) -> dict:
    from sqlalchemy import text

    from smartinspect.clearance.synthetic import example_declaration
    from smartinspect.storage.db import make_engine

    for i in range(3):
        httpx.post(f"{url}/v1/declarations", json=example_declaration(f"2248202610{i + 77000:08d}"),
                   headers={"X-API-Key": keys["officer"]}, timeout=30).raise_for_status()
    before = cli(env, "audit", "verify")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        last = conn.execute(text("SELECT id, prev_hash FROM audit_events ORDER BY id DESC LIMIT 1")).one()
        for trigger in ("audit_events_append_only_update", "audit_events_append_only_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        conn.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": last.id})
        conn.execute(text("UPDATE audit_chain_head SET last_id = :i, last_hash = :h"),
                     {"i": last.id - 1, "h": last.prev_hash})
    engine.dispose()
    after = cli(env, "audit", "verify")
    report = json.loads(after.stdout)
    return {"verify_before_exit": before.returncode, "deleted_event": last.id, "verify_after_exit": after.returncode,
            "failed_check": report.get("check"), "reason": report.get("reason")}


def refusal_latency(metrics: str) -> dict:
    """The server's own latency of the inference refusals (from the request histogram of /metrics)."""
    buckets = {}
    for line in metrics.splitlines():
        if line.startswith("smartinspect_request_seconds_bucket") and 'route="(refused inference)"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[le] = float(line.rsplit(" ", 1)[1])
    total = buckets.get("+Inf", 0.0)
    return {"refused": int(total), "within_10_ms": int(buckets.get("0.01", 0)),
            "within_100_ms": int(buckets.get("0.1", 0))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=80)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="si-probe-"))
    data_dir = root / "var"
    data_dir.mkdir()
    database_url = f"sqlite:///{data_dir / 'smartinspect.db'}"
    env = {**os.environ, "SMARTINSPECT_DATA_DIR": str(data_dir), "SMARTINSPECT_DATABASE_URL": database_url,
           "SMARTINSPECT_MODELS_DIR": str(REPO / "models"), "SMARTINSPECT_ONNX_WARMUP": "false",
           "SMARTINSPECT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}
    proc, url = start_server(data_dir, env)
    try:
        keys = make_keys(database_url)
        report = {"server": url, "data_dir": str(data_dir)}
        report["overload"] = overload(url, keys["scanner"], args.clients)
        report["two_clients"] = two_clients(url, keys)
        report["pdf_bomb"] = bomb(url, keys["officer"])
        report["unauthenticated_1gib"] = unauthenticated_gib(url, data_dir)
        report["audit_truncation"] = audit_truncation(url, keys, env, database_url)
        report["overload"]["server_side_503"] = refusal_latency(httpx.get(f"{url}/metrics", timeout=10).text)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    gc = cli(env, "db", "gc-blobs", "--dry-run", "--min-age-s", "0")
    report["blobs_after_all"] = {"exit": gc.returncode, **json.loads(gc.stdout)}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
