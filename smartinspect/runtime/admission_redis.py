"""Admission slots shared by every API replica, in Redis: the bound of a request class holds for all of them.

Each class is one sorted set, ``<prefix>:<class>``, of **leases**: a member per request in flight, scored by
the time (Redis's clock) at which it expires. Taking a slot is one Lua script, so it is atomic across replicas:
drop the expired leases, count the rest, add ours if the count is under the limit. Giving it back removes our
member. A replica renews its own leases every ``lease_s / 3`` from a daemon thread, so a long request keeps its
slot, and the slots of a replica that died (kill -9, a lost node) expire ``lease_s`` later instead of leaking.

When Redis does not answer (``timeout_s``), a request is admitted against this process's own
:class:`LocalLimiter` instead (a bound per replica rather than none, and no outage of the API because a counter is
away), and Redis is tried again after ``retry_s``.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import socket
import threading
import time
from typing import Any

from smartinspect.runtime.admission import AdmissionLimits, LocalLimiter, RequestClass

log = logging.getLogger(__name__)
_LOCAL = ""  # the token of a slot taken from the per-process fallback

# KEYS[1] the class's lease set; ARGV: limit, lease seconds, member. Returns 1 (taken) or 0 (full).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(lease * 2000))
return 1
"""

# KEYS[1] the class's lease set; ARGV: lease seconds, members... Renews only members still there (XX): a lease
# that expired meanwhile (Redis away longer than a lease) is not brought back over the limit.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], math.ceil(lease * 2000))
return #ARGV - 1
"""

# KEYS[1] the class's lease set. Returns the leases not yet expired.
_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


def replica_id() -> str:
    """Names this process's leases: host, pid and a random part (pids repeat across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class RedisLimiter:
    """The :class:`~smartinspect.runtime.admission.AdmissionLimiter` of a scale-out: limits are for all replicas
    together. Thread-safe; each call is one Redis round trip (no waiting for a slot)."""

    def __init__(self, limits: AdmissionLimits, client: Any, *, key_prefix: str = "smartinspect:admission",
                 lease_s: float = 30.0, retry_s: float = 5.0) -> None:
        self.limits = limits
        self.client = client
        self.key_prefix = key_prefix
        self.lease_s = lease_s
        self.retry_s = retry_s
        self.fallback = LocalLimiter(limits)
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._count = client.register_script(_COUNT)
        self._replica = replica_id()
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._held: dict[RequestClass, list[str]] = {c: [] for c in RequestClass}
        self._redis_down_until = 0.0
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    @classmethod
    def from_url(cls, url: str, limits: AdmissionLimits, *, key_prefix: str, lease_s: float,
                 timeout_s: float) -> RedisLimiter:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as exc:
            msg = "SMARTINSPECT_ADMISSION_URL names Redis, but the `redis` client is missing: pip install 'smartinspect[serve]'"
            raise RuntimeError(msg) from exc
        # No retries: a request must not wait for Redis; when it does not answer, the per-process bound holds
        client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                      health_check_interval=30, retry=Retry(NoBackoff(), 0))
        return cls(limits, client, key_prefix=key_prefix, lease_s=lease_s)

    def __repr__(self) -> str:
        pool = getattr(self.client, "connection_pool", None)
        where = pool.connection_kwargs.get("host", "?") if pool is not None else "?"
        return f"RedisLimiter(host={where!r}, prefix={self.key_prefix!r}, lease_s={self.lease_s})"

    def key(self, request_class: RequestClass) -> str:
        return f"{self.key_prefix}:{request_class.value}"

    # ------------------------------------------------------------ the AdmissionLimiter protocol

    def try_acquire(self, request_class: RequestClass) -> bool:
        if time.monotonic() >= self._redis_down_until:
            member = f"{self._replica}:{next(self._serial)}"
            try:
                taken = self._acquire(keys=[self.key(request_class)],
                                      args=[self.limits.of(request_class), self.lease_s, member])
            except Exception as exc:  # noqa: BLE001 - redis errors, timeouts, a refused connection
                self._redis_failed("take a slot", exc)
            else:
                if not taken:
                    return False
                with self._lock:
                    self._held[request_class].append(member)
                self._ensure_renewer()
                return True
        if not self.fallback.try_acquire(request_class):
            return False
        with self._lock:
            self._held[request_class].append(_LOCAL)
        return True

    def release(self, request_class: RequestClass) -> None:
        with self._lock:
            held = self._held[request_class]
            if not held:
                raise RuntimeError(f"released a {request_class} slot that was not taken")
            member = held.pop()  # this process's slots of one class are interchangeable
        if member == _LOCAL:
            self.fallback.release(request_class)
            return
        try:
            self.client.zrem(self.key(request_class), member)
        except Exception as exc:  # noqa: BLE001 - the lease expires by itself after lease_s
            self._redis_failed("give a slot back", exc)

    def in_flight(self, request_class: RequestClass) -> int:
        """Slots in use by all replicas (this process's own count while Redis is away)."""
        try:
            return int(self._count(keys=[self.key(request_class)]))
        except Exception as exc:  # noqa: BLE001
            self._redis_failed("count the slots", exc)
            return self.fallback.in_flight(request_class)

    # ------------------------------------------------------------ leases

    def renew_leases(self) -> int:
        """Push the expiry of this process's leases ``lease_s`` ahead; the number renewed."""
        with self._lock:
            held = {c: [m for m in members if m != _LOCAL] for c, members in self._held.items()}
        renewed = 0
        for request_class, members in held.items():
            if members:
                renewed += int(self._renew(keys=[self.key(request_class)], args=[self.lease_s, *members]))
        return renewed

    def _ensure_renewer(self) -> None:
        if self._renewer is not None:
            return
        with self._lock:
            if self._renewer is None and not self._stop.is_set():
                self._renewer = threading.Thread(target=self._renew_forever, name="admission-leases", daemon=True)
                self._renewer.start()

    def _renew_forever(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                self.renew_leases()
            except Exception as exc:  # noqa: BLE001
                self._redis_failed("renew the leases", exc)

    def _redis_failed(self, what: str, exc: Exception) -> None:
        if time.monotonic() >= self._redis_down_until:
            log.warning("admission: could not %s in Redis (%s); per-process limits for %.0f s", what, exc,
                        self.retry_s)
        self._redis_down_until = time.monotonic() + self.retry_s

    def close(self) -> None:
        """Stop renewing (leases still held expire by themselves) and close the connections; the limiter may
        be used again afterwards (an app started twice), which reconnects."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        with self._lock:
            self._renewer, self._stop = None, threading.Event()
        self.client.close()
