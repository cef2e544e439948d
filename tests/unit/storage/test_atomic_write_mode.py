"""The one atomic file write keeps the mode a plain ``open`` would give, not its temp file's 0600."""

from __future__ import annotations

import os
import stat

from smartinspect.storage.blobs import write_file_atomically


def test_atomic_write_gives_the_umask_mode_and_replaces_whole(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    path = tmp_path / "sub" / "manifest.json"
    write_file_atomically(path, b"one")
    write_file_atomically(path, b"two")
    assert path.read_bytes() == b"two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temp file left
