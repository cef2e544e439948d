"""Hot reload of the served models: build a whole new registry, then swap one reference.

In-flight requests keep the registry (and the sessions) they already hold until they finish; the old registry
is closed after a grace period. A model that fails to load keeps its previous version in service, and the
failure is reported. Used by ``POST /v1/models/reload``, ``smartinspect models reload`` and the optional
polling of ``models/`` (``SMARTINSPECT_MODEL_RELOAD_POLL_S``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from smartinspect.runtime.registry import LoadedModel, ModelRegistry, package_manifests

log = logging.getLogger(__name__)

ReloadStatus = Literal["reloaded", "unchanged", "failed"]


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did. ``failed``: at least one model did not load and kept its previous version."""

    status: ReloadStatus
    generation: int
    at: datetime
    changed: dict[str, dict[str, str | None]] = field(default_factory=dict)  # name -> {"from": v, "to": v}
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "generation": self.generation, "at": self.at.isoformat(),
                "changed": self.changed, "errors": self.errors}


def directory_fingerprint(models_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every manifest and model file: changes when a package is written or swapped."""
    entries = []
    for manifest in package_manifests(models_dir):
        for path in (manifest, *sorted(manifest.parent.glob("*.onnx"))):
            try:
                stat = path.stat()
            except FileNotFoundError:  # a package being swapped right now; the next look sees it settled
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _source_dir(loaded: LoadedModel) -> str:
    return loaded.spec.file.parent.name


class ModelReloader:
    """Owns the served registry reference. ``publish`` is called with each new registry (the app stores it)."""

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        load: Callable[[ModelRegistry | None], ModelRegistry],
        publish: Callable[[ModelRegistry], None],
        models_dir: Path,
        grace_s: float = 30.0,
    ) -> None:
        self._current = registry
        self._load = load
        self._publish = publish
        self._models_dir = Path(models_dir)
        self._grace_s = grace_s
        self._lock = threading.Lock()  # one reload at a time; requests never take it
        self._timers: list[threading.Timer] = []
        self._seen = directory_fingerprint(self._models_dir)
        self.generation = 0
        self.last: ReloadResult | None = None

    @property
    def current(self) -> ModelRegistry:
        return self._current

    def directory_changed(self) -> bool:
        return directory_fingerprint(self._models_dir) != self._seen

    def reload(self) -> ReloadResult:
        """Load ``models/`` again and swap. Never raises for a bad package: the result says what failed."""
        with self._lock:
            self._seen = directory_fingerprint(self._models_dir)
            old = self._current
            old_models: dict[str, LoadedModel] = getattr(old, "models", {})
            try:
                fresh = self._load(old if isinstance(old, ModelRegistry) else None)
            except Exception as exc:  # e.g. the directory is unreadable: keep everything as it is
                log.error("model reload failed, keeping the served models: %s", exc)
                return self._finish("failed", {}, {"*": f"{type(exc).__name__}: {exc}"})
            merged, errors, kept_errors = self._merge(old_models, fresh)
            changed = _changes(old_models, merged)
            # packages that serve nothing at all stay registry errors (not ready), as at start-up
            unserved = {k: v for k, v in fresh.errors.items() if k not in kept_errors}
            if not changed and merged.keys() == old_models.keys() and unserved == getattr(old, "errors", {}):
                return self._finish("failed" if errors else "unchanged", {}, errors)
            new = ModelRegistry(merged, unserved)
            self._current = new
            self._publish(new)
            self.generation += 1
            self._retire(old)
            log.info("models reloaded (generation %d): %s", self.generation, changed or "no version change")
            return self._finish("failed" if errors else "reloaded", changed, errors)

    def _merge(
        self, old_models: dict[str, LoadedModel], fresh: ModelRegistry
    ) -> tuple[dict[str, LoadedModel], dict[str, str], set[str]]:
        """New models, plus the old version of any model whose new package failed or vanished mid-swap."""
        merged = fresh.models
        errors: dict[str, str] = {}
        kept_errors: set[str] = set()
        for name, loaded in old_models.items():
            if name in merged:
                continue
            folder = _source_dir(loaded)
            if folder in fresh.errors:
                errors[name] = f"{fresh.errors[folder]} (still serving version {loaded.spec.version})"
                kept_errors.add(folder)
            else:
                errors[name] = f"its manifest is gone from {self._models_dir} (still serving {loaded.spec.version})"
            merged[name] = loaded
        for folder, message in fresh.errors.items():
            if folder not in kept_errors:
                errors.setdefault(folder, message)
        return merged, errors, kept_errors

    def _finish(self, status: ReloadStatus, changed: dict, errors: dict[str, str]) -> ReloadResult:
        if errors:
            log.error("model reload: %s", errors)
        self.last = ReloadResult(status, self.generation, datetime.now(UTC), changed, errors)
        return self.last

    def _retire(self, old: ModelRegistry) -> None:
        # Requests that already hold `old` finish on it; close it only after they have had time to.
        timer = threading.Timer(self._grace_s, old.close)
        timer.daemon = True
        timer.start()
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]

    def shutdown(self) -> None:
        """Stop pending retirements (the app closes the current registry itself)."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    async def poll(self, interval_s: float) -> None:
        """Reload whenever ``models/`` changes, checked every ``interval_s`` seconds (runs until cancelled)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                if self.directory_changed():
                    await asyncio.to_thread(self.reload)
            except Exception:  # the poller must survive anything; the next tick tries again
                log.exception("model polling failed")


def _changes(old: dict[str, LoadedModel], new: dict[str, LoadedModel]) -> dict[str, dict[str, str | None]]:
    changed = {}
    for name, loaded in new.items():
        before = old.get(name)
        if before is not loaded:
            changed[name] = {"from": before.spec.version if before else None, "to": loaded.spec.version}
    return changed
