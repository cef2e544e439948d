"""The demo set-up is real (database, keys, sample scans) and safe to run twice."""

from __future__ import annotations

import json

import cv2

from smartinspect.demo import prepare_demo


def test_prepare_demo_is_idempotent_and_keys_work(settings):
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
    assert "/v1/scans" in first["try"] and keys["scanner"] in first["try"]
