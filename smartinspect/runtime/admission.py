"""Admission control: a bounded number of requests in flight per class, refused (not queued) beyond it.

The HTTP layer asks an :class:`AdmissionLimiter` for a slot before it lets a request in and gives the slot back
when the response is done. :class:`LocalLimiter` counts per process (the default);
:class:`~smartinspect.runtime.admission_redis.RedisLimiter` counts for all replicas together
(``SMARTINSPECT_ADMISSION_URL=redis://…``). Both implement the same methods; :func:`make_limiter` picks one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from smartinspect.config import Settings


class RequestClass(StrEnum):
    inference = "inference"  # uploads that run a model (scans, documents, wood screenings)
    uploads = "uploads"  # every other request that changes state (bodies: declarations, rules, decisions)
    reads = "reads"  # GET and HEAD


@dataclass(frozen=True)
class AdmissionLimits:
    inference: int
    uploads: int
    reads: int

    def of(self, request_class: RequestClass) -> int:
        return getattr(self, request_class.value)


class AdmissionLimiter(Protocol):
    limits: AdmissionLimits

    def try_acquire(self, request_class: RequestClass) -> bool:
        """Take a slot of ``request_class`` if one is free (never waits); False: refuse the request."""

    def release(self, request_class: RequestClass) -> None:
        """Give back a slot taken by :meth:`try_acquire`."""

    def in_flight(self, request_class: RequestClass) -> int:
        """Slots of ``request_class`` in use now."""

    def close(self) -> None:
        """Free what the limiter holds (connections, threads) at shutdown."""


class LocalLimiter:
    """Counts the requests in flight of this process (thread-safe; never blocks)."""

    def __init__(self, limits: AdmissionLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._in_flight = dict.fromkeys(RequestClass, 0)

    def try_acquire(self, request_class: RequestClass) -> bool:
        with self._lock:
            if self._in_flight[request_class] >= self.limits.of(request_class):
                return False
            self._in_flight[request_class] += 1
            return True

    def release(self, request_class: RequestClass) -> None:
        with self._lock:
            if self._in_flight[request_class] <= 0:
                raise RuntimeError(f"released a {request_class} slot that was not taken")
            self._in_flight[request_class] -= 1

    def in_flight(self, request_class: RequestClass) -> int:
        with self._lock:
            return self._in_flight[request_class]

    def close(self) -> None:
        pass


def make_limiter(settings: Settings) -> AdmissionLimiter:
    """The limiter the settings name: shared by replicas in Redis when ``admission_url`` is set, else per process."""
    limits = AdmissionLimits(inference=settings.max_inflight_inference, uploads=settings.max_inflight_uploads,
                             reads=settings.max_inflight_reads)
    if not settings.admission_url:
        return LocalLimiter(limits)
    from smartinspect.runtime.admission_redis import RedisLimiter

    return RedisLimiter.from_url(settings.admission_url, limits, key_prefix=settings.admission_key_prefix,
                                 lease_s=settings.admission_lease_s, timeout_s=settings.admission_timeout_s)
