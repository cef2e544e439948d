"""A crash during inference leaves a recorded failure and no half-written result; a retry finishes the screening."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import func, select

from smartinspect.domain.tasks import WOOD_TASK
from smartinspect.runtime import ModelRegistry
from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_wood import WoodScreening
from smartinspect.wood.datagen import anatomy_of, render_end_grain


@pytest.fixture(scope="module")
def quercus() -> list[bytes]:
    return [render_end_grain(np.random.default_rng([s, 11]), anatomy_of("Quercus")).jpeg for s in (1, 2)]


def post(client, key: str, photos: list[bytes], *, idem: str):
    files = [("images", (f"p{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]
    return client.post("/v1/wood/screenings", files=files, data={"declaration_no": "224820261000000019",
                       "declared_species": "Quercus robur"}, headers={"X-API-Key": key, "Idempotency-Key": idem})


def count(app, model) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


class _FailOnce:
    """Wraps the real ONNX model: the first run raises (a crash mid-inference), later runs work."""

    def __init__(self, model) -> None:
        self.model, self.failed = model, False
        self.output_names = model.output_names

    def run(self, *inputs):
        if not self.failed:
            self.failed = True
            raise RuntimeError("simulated inference crash")
        return self.model.run(*inputs)


class _Registry:
    def __init__(self, loaded) -> None:
        self.loaded, self.ready, self.errors = loaded, True, {}

    def by_task(self, task: str):
        if task != WOOD_TASK:
            raise KeyError(task)
        return self.loaded

    def describe(self):
        return []

    def close(self) -> None:
        pass


@pytest.fixture
def registry(xray_registry: ModelRegistry):
    real = xray_registry.by_task(WOOD_TASK)
    return _Registry(replace(real, model=_FailOnce(real.model)))


def test_failed_inference_is_recorded_and_a_retry_finishes_it(client, app, make_key, quercus) -> None:
    key = make_key("officer")
    failed = post(client, key, quercus, idem="crash-1")
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "analysis_failed"
    screening_id = failed.json()["error"]["details"]["screening_id"]
    with app.state.session_factory() as session:
        row = session.get(WoodScreening, screening_id)
        assert row.status == "failed" and "simulated inference crash" in row.error and len(row.images) == 2
        assert session.scalar(select(func.count()).select_from(ClearanceFinding)) == 0  # nothing half-written
    retry = post(client, key, quercus, idem="crash-1")
    assert retry.status_code == 200 and retry.json()["status"] == "analysed" and retry.json()["id"] == screening_id
    assert count(app, ClearanceFinding) == 1
