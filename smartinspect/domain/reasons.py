"""Exception text that may go to a client: without memory addresses, object reprs, file paths or tracebacks."""

from __future__ import annotations

import re

_REPR = re.compile(r"<[^<>]*\bat 0x[0-9a-fA-F]+>")  # <_io.BytesIO object at 0x7f...>
_PATH = re.compile(r"(?<![\w.])(?:/[\w.\-]+){2,}")  # /tmp/x/y.png, /usr/lib/python3/...
_MAX = 200


def client_reason(exc: BaseException) -> str:
    """A short, client-safe description of ``exc`` (the full one belongs in the server log)."""
    text = str(exc).strip() or type(exc).__name__
    text = _REPR.sub("the upload", text)
    text = _PATH.sub("<path>", text)
    text = " ".join(text.split())
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"
