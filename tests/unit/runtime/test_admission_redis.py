"""The admission limiter shared by replicas, against a real Redis server: the bound is global, slots come back
when released, a dead replica's slots expire, live ones are renewed, and a Redis outage falls back to the
per-process bound instead of refusing everything or admitting everything."""

from __future__ import annotations

import time

import pytest

from smartinspect.runtime.admission import AdmissionLimits, LocalLimiter, RequestClass, make_limiter

redis = pytest.importorskip("redis")
from smartinspect.runtime.admission_redis import RedisLimiter  # noqa: E402

LIMITS = AdmissionLimits(inference=2, uploads=3, reads=4)
INFERENCE = RequestClass.inference


def replica(url: str, prefix: str, *, lease_s: float = 30.0) -> RedisLimiter:
    return RedisLimiter(LIMITS, redis.Redis.from_url(url, socket_timeout=1), key_prefix=prefix, lease_s=lease_s)


def test_the_bound_holds_for_all_replicas_together(redis_url, admission_prefix):
    a, b = replica(redis_url, admission_prefix), replica(redis_url, admission_prefix)
    try:
        assert a.try_acquire(INFERENCE) and b.try_acquire(INFERENCE)
        assert not a.try_acquire(INFERENCE) and not b.try_acquire(INFERENCE)  # 2 in flight over both
        assert a.in_flight(INFERENCE) == b.in_flight(INFERENCE) == 2
        assert b.try_acquire(RequestClass.uploads)  # classes are bounded apart
        a.release(INFERENCE)
        assert b.try_acquire(INFERENCE) and not a.try_acquire(INFERENCE)
        b.release(INFERENCE)
        b.release(INFERENCE)
        b.release(RequestClass.uploads)
        assert a.in_flight(INFERENCE) == 0 and a.in_flight(RequestClass.uploads) == 0
        with pytest.raises(RuntimeError, match="not taken"):
            a.release(INFERENCE)
    finally:
        a.close()
        b.close()


def test_a_dead_replica_leaks_no_slot(redis_url, admission_prefix):
    dead = replica(redis_url, admission_prefix, lease_s=1.5)  # long enough for a loaded CI machine
    survivor = replica(redis_url, admission_prefix, lease_s=1.5)
    try:
        assert dead.try_acquire(INFERENCE) and dead.try_acquire(INFERENCE)
        dead.close()  # it stops renewing and never releases: what kill -9 leaves behind
        assert not survivor.try_acquire(INFERENCE)
        time.sleep(1.8)
        assert survivor.in_flight(INFERENCE) == 0
        assert survivor.try_acquire(INFERENCE) and survivor.try_acquire(INFERENCE)
    finally:
        survivor.close()


def test_a_live_replica_keeps_its_slots_past_the_lease(redis_url, admission_prefix):
    busy = replica(redis_url, admission_prefix, lease_s=1.5)  # renewed every 0.5 s
    other = replica(redis_url, admission_prefix, lease_s=1.5)
    try:
        assert busy.try_acquire(INFERENCE) and busy.try_acquire(INFERENCE)
        time.sleep(3.5)  # over two leases: a long inference
        assert not other.try_acquire(INFERENCE)
        assert other.in_flight(INFERENCE) == 2
        busy.release(INFERENCE)
        assert other.try_acquire(INFERENCE)
    finally:
        busy.close()
        other.close()


def test_redis_away_falls_back_to_the_per_process_bound(settings):
    limiter = make_limiter(settings.model_copy(update={"admission_url": "redis://127.0.0.1:1/0",
                                                       "admission_timeout_s": 0.2,
                                                       "max_inflight_inference": 2}))
    try:
        began = time.monotonic()
        assert limiter.try_acquire(INFERENCE) and limiter.try_acquire(INFERENCE)
        assert not limiter.try_acquire(INFERENCE)
        assert time.monotonic() - began < 1.0  # one failed connect, then Redis is left alone for retry_s
        assert limiter.in_flight(INFERENCE) == 2
        limiter.release(INFERENCE)
        assert limiter.try_acquire(INFERENCE)
    finally:
        limiter.close()


def test_the_settings_choose_the_limiter(settings, redis_url):
    assert isinstance(make_limiter(settings), LocalLimiter)
    shared = make_limiter(settings.model_copy(update={"admission_url": redis_url}))
    try:
        assert isinstance(shared, RedisLimiter) and shared.limits.inference == settings.max_inflight_inference
    finally:
        shared.close()
