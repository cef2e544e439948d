import threading
import time

import numpy as np

from smartinspect.runtime import ModelRegistry
from smartinspect.runtime.reload import ModelReloader


def _reloader(models_dir, published, grace_s=0.05):
    registry = ModelRegistry.from_directory(models_dir, warm_up=False)
    return registry, ModelReloader(
        registry, load=lambda reuse: ModelRegistry.from_directory(models_dir, warm_up=False, reuse=reuse),
        publish=published.append, models_dir=models_dir, grace_s=grace_s,
    )


def test_reload_swaps_to_the_new_version_and_retires_the_old(tmp_path, package_writer):
    package_writer(tmp_path, version="1", factor=2.0)
    published = []
    old, reloader = _reloader(tmp_path, published)
    assert not reloader.directory_changed()
    package_writer(tmp_path, version="2", factor=3.0)
    assert reloader.directory_changed()
    result = reloader.reload()
    assert result.status == "reloaded" and result.changed == {"double": {"from": "1", "to": "2"}}
    assert reloader.generation == 1 and published == [reloader.current]
    (out,) = reloader.current.get("double").model.run(np.ones((1, 3), np.float32))
    np.testing.assert_allclose(out, 3.0)
    time.sleep(0.2)
    assert old.models == {}  # closed after the grace period
    assert not reloader.directory_changed()


def test_unchanged_packages_keep_their_sessions(tmp_path, package_writer):
    package_writer(tmp_path)
    _, reloader = _reloader(tmp_path, [])
    before = reloader.current.get("double")
    result = reloader.reload()
    assert result.status == "unchanged" and reloader.generation == 0
    assert reloader.current.get("double") is before


def test_a_package_that_fails_to_load_keeps_the_old_version(tmp_path, package_writer):
    package_writer(tmp_path, version="1")
    published = []
    _, reloader = _reloader(tmp_path, published)
    package_writer(tmp_path, version="2", sha="0" * 64)  # a corrupt upload: sha256 does not match
    result = reloader.reload()
    assert result.status == "failed" and published == []
    assert "does not match" in result.errors["double"] and "still serving version 1" in result.errors["double"]
    assert reloader.current.get("double").spec.version == "1" and reloader.current.ready
    assert reloader.last is result


def test_a_package_missing_mid_swap_keeps_serving(tmp_path, package_writer):
    folder = package_writer(tmp_path, version="1")
    _, reloader = _reloader(tmp_path, [])
    folder.rename(tmp_path / ".double.old-1")  # the instant between the two renames of an atomic swap
    result = reloader.reload()
    assert result.status == "failed" and "manifest is gone" in result.errors["double"]
    assert reloader.current.get("double").spec.version == "1"


def test_a_new_broken_package_is_reported_and_makes_the_registry_not_ready(tmp_path, package_writer):
    package_writer(tmp_path, name="double")
    _, reloader = _reloader(tmp_path, [])
    package_writer(tmp_path, name="other", sha="0" * 64)
    result = reloader.reload()
    assert result.status == "failed" and "other" in result.errors
    assert not reloader.current.ready and reloader.current.get("double")


def test_in_flight_work_finishes_on_the_model_it_started_with(tmp_path, package_writer):
    package_writer(tmp_path, version="1", factor=2.0)
    _, reloader = _reloader(tmp_path, [], grace_s=0.01)
    held = reloader.current.get("double")  # what a request resolved before the swap
    outputs, stop = [], threading.Event()

    def request_loop():
        while not stop.is_set():
            outputs.append(float(held.model.run(np.ones((1, 3), np.float32))[0][0, 0]))

    worker = threading.Thread(target=request_loop)
    worker.start()
    package_writer(tmp_path, version="2", factor=3.0)
    assert reloader.reload().status == "reloaded"
    time.sleep(0.1)  # past the grace period: the old registry is closed, the held model still runs
    stop.set()
    worker.join()
    assert outputs and set(outputs) == {2.0}
    assert float(reloader.current.get("double").model.run(np.ones((1, 3), np.float32))[0][0, 0]) == 3.0
