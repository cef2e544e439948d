"""The demo set-up is real (database, keys, sample scans analysed by the shipped models, review cases) and safe to
run twice."""

from __future__ import annotations

import json

import cv2

from smartinspect.demo import prepare_demo


def test_prepare_demo_is_idempotent_and_keys_work(settings):
    from tests.integration.conftest import MODELS_DIR

    settings = settings.model_copy(update={"models_dir": MODELS_DIR})  # the shipped models, as `make demo` serves
    from smartinspect.storage.apikeys import authenticate_api_key
    from smartinspect.storage.db import make_engine, make_session_factory

    first = prepare_demo(settings)
    second = prepare_demo(settings)
    keys = json.loads(open(first["keys_file"]).read())
    assert keys == json.loads(open(second["keys_file"]).read())
    assert set(keys) == {"scanner", "officer", "expert", "scientist", "admin"}
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        for role, token in keys.items():
            assert authenticate_api_key(session, token=token).role == role
    engine.dispose()
    for sample in first["samples"]:
        image = cv2.imread(sample["file"], cv2.IMREAD_UNCHANGED)
        assert image is not None and image.dtype.name == "uint16"
        assert cv2.imread(sample["file_low"], cv2.IMREAD_UNCHANGED).shape == image.shape
    assert "/v1/scans" in first["try"] and keys["scanner"] in first["try"] and "image_low=@" in first["try"]
    # the second run replayed the same scans and declarations: nothing new, the same verdicts
    assert [s["scan_id"] for s in first["samples"]] == [s["scan_id"] for s in second["samples"]]
    assert [s["verdict"] for s in first["samples"]] == [s["verdict"] for s in second["samples"]]
    by_stem = {s["stem"]: s for s in first["samples"]}
    # what the demo must show: the firearm scan is not cleared (the served detector misses the pistol; the site's
    # anomaly model flags the scan), an expert queue that is not empty, and a clean container cleared
    assert by_stem["40ft-firearm"]["verdict"] != "CLEAR"
    assert any("anomaly" in s["reasons"] for s in first["samples"])
    assert first["open_review_cases"] == second["open_review_cases"] >= 2
    assert by_stem["20ft-clean"]["verdict"] == "CLEAR"
