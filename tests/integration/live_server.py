"""The real app under uvicorn on 127.0.0.1 in a thread of the test process (bounded start and stop).

In-process, so a test can hand the app its settings and a loaded model registry, and create keys directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI


@dataclass
class LiveServer:
    app: FastAPI
    url: str

    def make_key(self, role: str, name: str | None = None) -> str:
        from smartinspect.storage.apikeys import create_api_key

        with self.app.state.session_factory() as session, session.begin():
            return create_api_key(session, name=name or f"live {role}", role=role)[1]


@contextmanager
def live_server(app: FastAPI, *, start_timeout_s: float = 60.0, **config: Any) -> Iterator[LiveServer]:
    """Serve ``app`` on a free loopback port until the block ends."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           timeout_graceful_shutdown=3, **config))
    thread = threading.Thread(target=server.run, name="live-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=20)
