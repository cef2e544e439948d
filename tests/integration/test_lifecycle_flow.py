"""Model lifecycle end to end, on a real local MLflow store (SQLite + artefacts on disk), real ONNX packages, a
real database and real HTTP:

- the same tiny recipe and seed, trained twice with expert feedback, give the same metrics, and each run logs
  PR curves, confusion matrix, example overlays, parity and the feedback mix;
- retrain -> register -> promote -> hot reload while scans are in flight: zero failed requests, the new version
  in ``/v1/models``;
- a worse challenger is refused, and the table says which metrics failed.

At this scale a from-scratch model learns nothing (one epoch on a few tiles), so where the story needs a model
that is better than a tiny retrain, it is the shipped detector (``models/xray-detector``), registered as a version.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from lifecycle_support import (
    cli_environment,
    live_server,
    make_settings,
    tiny_promotion_config,
    tiny_recipe,
    write_feedback,
)
from typer.testing import CliRunner

pytest.importorskip("ultralytics", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")

from smartinspect.cli import app as cli

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "xray-detector"
runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Shared by the module: generated data, the frozen evaluation set's folder, the feedback snapshot."""
    root = tmp_path_factory.mktemp("lifecycle")
    snapshot = write_feedback(root / "feedback")
    return {"root": root, "data": root / "data", "snapshot": snapshot,
            "promotion": tiny_promotion_config(root, root / "frozen-eval")}


@pytest.fixture(scope="module")
def twins(world):
    """`smartinspect train xray --with-feedback` twice, same recipe and seed (once by CLI, once by function)."""
    from smartinspect.xray.kind import train

    root = world["root"]
    settings = make_settings(root / "twins")
    first = tiny_recipe(root, world["data"], root / "twin1" / "xray-detector")
    with cli_environment(settings):
        result = runner.invoke(cli, ["train", "xray", "--config", str(first), "--with-feedback",
                                     str(world["snapshot"].path)])
    assert result.exit_code == 0, result.output
    second = tiny_recipe(root, world["data"], root / "twin2" / "xray-detector")
    package2 = train(second, settings=settings, feedback=world["snapshot"].path)
    return {"settings": settings, "packages": (root / "twin1" / "xray-detector", package2)}


def _manifest(package: Path) -> dict:
    return json.loads((package / "manifest.json").read_text())


def _client(settings):
    from smartinspect.lifecycle.mlflow_registry import open_client

    return open_client(settings)


def test_same_recipe_and_seed_give_the_same_metrics_and_full_reports(twins, world):
    m1, m2 = (_manifest(p) for p in twins["packages"])
    for split in ("test", "val"):
        for key, value in m1["metrics"][split].items():
            if key != "seconds_per_scan_mean":
                assert value == pytest.approx(m2["metrics"][split][key], abs=1e-6), (split, key)
    assert m1["params"] == m2["params"]
    client = _client(twins["settings"])
    run1, run2 = (client.get_run(m["mlflow"]["run_id"]) for m in (m1, m2))
    losses = {k: v for k, v in run1.data.metrics.items() if k.startswith("train/")}
    assert losses and all(run2.data.metrics[k] == pytest.approx(v, rel=1e-4) for k, v in losses.items())
    # the weights themselves: both ONNX files answer the same on the same input
    from smartinspect.runtime import OnnxModel

    x = np.random.default_rng(0).random((2, 3, 320, 320), dtype=np.float32)
    out1, out2 = (OnnxModel(p / "model.onnx", providers=["CPUExecutionProvider"]).run(x)[0] for p in twins["packages"])
    assert np.abs(out1 - out2).max() < 1e-3

    artefacts = {a.path for folder in ("training", "examples", "feedback", "package")
                 for a in client.list_artifacts(run1.info.run_id, folder)}
    assert any("confusion_matrix" in a for a in artefacts) and any("PR_curve" in a for a in artefacts)
    assert any(a.startswith("examples/") and a.endswith(".png") for a in artefacts)
    assert {"feedback/mix.json", "package/model.onnx", "package/manifest.json"} <= artefacts
    assert "parity_max_abs_score" in run1.data.metrics
    snapshot = world["snapshot"]
    params = run1.data.params
    assert params["data.feedback_snapshot_id"] == snapshot.snapshot_id
    assert params["data.feedback_snapshot_sha256"] == snapshot.content_sha256
    assert float(params["data.synthetic_share"]) >= float(params["data.synthetic_share_min"]) == 0.5
    assert int(params["data.feedback_train"]) + int(params["data.feedback_val"]) >= 1

    from smartinspect.lifecycle.mlflow_registry import list_versions

    versions = list_versions(client, "xray-detector")
    assert versions and "challenger" in versions[-1].aliases
    tags = versions[0].tags
    assert tags["sha256"] == m1["sha256"] and tags["lineage.train_dataset_sha256"]
    assert tags["lineage.data.feedback_snapshot_sha256"] == snapshot.content_sha256
    assert tags["lineage.generator"].startswith("smartinspect.xray.datagen") and "pitch_mm" in tags[
        "lineage.generator_config"]


def _scan_request():
    import cv2

    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    scan = generate_scan(np.random.default_rng(5), XrayGenConfig(), container="20ft", force_empty=False,
                         force_threats=["cigarettes"])
    files = {"image": ("scan.png", cv2.imencode(".png", scan.high)[1].tobytes(), "image/png")}
    data = {"scanner_id": "portal-3", "scanned_at": "2026-11-23T08:00:00Z", "pixel_pitch_mm": "5.0",
            "container_no": scan.manifest["container_no"]}
    return files, data


def _post_scans(url: str, key: str, results: list, stop: threading.Event, worker: int) -> None:
    import httpx

    files, data = _scan_request()
    with httpx.Client(base_url=url, timeout=300, headers={"X-API-Key": key}) as http:
        while not stop.is_set():
            start = time.monotonic()
            try:
                response = http.post("/v1/scans", files=files, data=data)
            except Exception as exc:  # a dropped connection is a failed request too
                results.append((worker, start, time.monotonic(), repr(exc), None))
                continue
            version = response.json().get("model", {}).get("version") if response.status_code == 201 else None
            results.append((worker, start, time.monotonic(), response.status_code, version))


def _wait(predicate, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# Concurrent scans need the production database: on SQLite two scan requests that write at once can fail with
# "database is locked" (a deferred transaction that read first cannot become a writer after another commit), a
# storage issue independent of reloading (see docs/lifecycle.md, Limits).
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_retrain_register_promote_and_hot_reload_under_load(twins, world, tmp_path, db_url):
    from smartinspect.api.app import create_app
    from smartinspect.kinds import KINDS
    from smartinspect.lifecycle.mlflow_registry import register_package
    from smartinspect.lifecycle.promote import promote
    from smartinspect.storage.apikeys import create_api_key

    if not (SHIPPED / "manifest.json").is_file():
        pytest.skip("the shipped detector is needed as the better challenger")
    settings = make_settings(tmp_path, database_url=db_url)
    retrained = twins["packages"][0]
    register_package(settings, package=retrained)  # the tiny retrain, into this deployment's registry
    first = promote(settings, world["promotion"], kinds=KINDS)
    assert first.promoted and "first promotion" in first.table  # nothing served or registered before
    served = _manifest(settings.models_dir / "xray-detector")
    assert served["sha256"] == _manifest(retrained)["sha256"] and served["registry"]["version"] == "1"

    shipped_copy = tmp_path / "incoming" / "xray-detector"
    shutil.copytree(SHIPPED, shipped_copy)
    register_package(settings, package=shipped_copy)  # challenger v2
    app = create_app(settings)
    with live_server(app) as url:
        with app.state.session_factory() as session, session.begin():
            _, scanner = create_api_key(session, name="portal", role="scanner")
            _, admin = create_api_key(session, name="ops", role="admin")
        result = promote(settings, world["promotion"], kinds=KINDS)
        assert result.promoted, result.table
        assert "| brier |" in result.table and "**PROMOTED**" in result.table

        results, stop = [], threading.Event()
        workers = [threading.Thread(target=_post_scans, args=(url, scanner, results, stop, i)) for i in range(2)]
        for w in workers:
            w.start()
        _wait(lambda: {r[0] for r in results} == {0, 1})  # both workers in a steady stream
        reload_start = time.monotonic()
        with cli_environment(settings):
            reloaded = runner.invoke(cli, ["models", "reload", "--url", url, "--api-key", admin])
        reload_end = time.monotonic()
        assert reloaded.exit_code == 0, reloaded.output
        _wait(lambda: {r[0] for r in results if r[1] > reload_end} == {0, 1})
        stop.set()
        for w in workers:
            w.join()

        import httpx

        listed = httpx.get(f"{url}/v1/models", headers={"X-API-Key": admin}).json()
    assert [r[3] for r in results] == [201] * len(results), results  # zero failed requests
    assert any(r[1] < reload_end and r[2] > reload_start for r in results)  # some were in flight during it
    new = _manifest(shipped_copy)
    assert {r[4] for r in results if r[1] > reload_end} == {new["version"]}
    (model,) = listed["models"]
    assert model["sha256"] == new["sha256"] and model["registry"]["version"] == "2"
    assert model["registry"]["alias"] == "champion" and listed["generation"] == 1


def test_worse_challenger_is_refused_and_the_table_says_why(twins, world, tmp_path):
    from smartinspect.lifecycle.mlflow_registry import list_versions, resolve_alias

    if not (SHIPPED / "manifest.json").is_file():
        pytest.skip("the shipped detector is needed as the champion")
    settings = make_settings(tmp_path)
    shutil.copytree(SHIPPED, settings.models_dir / "xray-detector")
    before = (settings.models_dir / "xray-detector" / "manifest.json").read_bytes()
    with cli_environment(settings):
        bootstrap = runner.invoke(cli, ["models", "register", str(settings.models_dir / "xray-detector"),
                                        "--champion"])
        assert bootstrap.exit_code == 0, bootstrap.output
        worse = runner.invoke(cli, ["models", "register", str(twins["packages"][1])])  # one epoch from scratch
        assert worse.exit_code == 0, worse.output
        refused = runner.invoke(cli, ["promote", "xray", "--config", str(world["promotion"])])
    assert refused.exit_code == 1, refused.output
    rows = {line.split("|")[1].strip(): line for line in refused.output.splitlines() if line.startswith("| ")}
    assert rows["brier"].rstrip(" |").endswith("WORSE") and rows["ece"].rstrip(" |").endswith("WORSE")
    assert "**REFUSED**: " in refused.output and "brier: challenger 1.0000 is higher than champion" in refused.output

    client = _client(settings)
    assert resolve_alias(client, "xray-detector", "champion").version == "1"
    assert resolve_alias(client, "xray-detector", "challenger").version == "2"  # kept for inspection
    assert (settings.models_dir / "xray-detector" / "manifest.json").read_bytes() == before  # nothing served changed
    assert list_versions(client, "xray-detector")[1].tags["promotion"].startswith("refused")
    run = client.search_runs([client.get_experiment_by_name("xray-detector-promotion").experiment_id])[0]
    assert run.data.tags["decision"] == "refused"
    table = Path(client.download_artifacts(run.info.run_id, "promotion.md", str(tmp_path))).read_text()
    assert "| brier |" in table and "WORSE" in table
