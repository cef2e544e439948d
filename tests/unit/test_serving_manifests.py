"""The deployment files in serving/ parse (yaml.safe_load; no Docker or Kubernetes here to run them) and
configure the scale-out the docs describe: every SMARTINSPECT_* variable they set is a real setting, the API
replicas share their state (blobs on S3, admission in Redis, secrets from the environment) and run their models
on Ray, and the Ray pods see the models at the path the API names."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from smartinspect.config import Settings

SERVING = Path(__file__).resolve().parents[2] / "serving"
SCALE_OUT = {"SMARTINSPECT_DATABASE_URL", "SMARTINSPECT_BLOB_URL", "SMARTINSPECT_ADMISSION_URL",
             "SMARTINSPECT_AUDIT_KEY", "SMARTINSPECT_SESSION_SECRET", "SMARTINSPECT_INFERENCE_ENGINE",
             "SMARTINSPECT_RAY_ADDRESS"}


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _known(name: str) -> bool:
    return name.removeprefix("SMARTINSPECT_").lower() in Settings.model_fields


@pytest.mark.parametrize("path", sorted([*SERVING.glob("*.yml"), *SERVING.glob("**/*.yaml")]), ids=lambda p: p.name)
def test_every_manifest_parses(path):
    assert _documents(path), path


def test_compose_runs_stateless_replicas_on_shared_services():
    compose = _documents(SERVING / "docker-compose.yml")[0]
    services = compose["services"]
    assert {"postgres", "redis", "seaweedfs", "buckets", "mlflow", "ray-head", "api"} <= set(services)
    api = services["api"]
    environment = api["environment"]
    assert SCALE_OUT <= set(environment), SCALE_OUT - set(environment)
    assert all(_known(name) for name in environment), [n for n in environment if not _known(n)]
    assert environment["SMARTINSPECT_ADMISSION_URL"].startswith("redis://redis:")
    assert environment["SMARTINSPECT_BLOB_S3_ENDPOINT"] == "http://seaweedfs:8333"
    assert environment["SMARTINSPECT_RAY_ADDRESS"] == "ray://ray-head:10001"
    assert api["deploy"]["replicas"] >= 2
    assert not any(str(v).startswith("api-data") for v in api.get("volumes", ()))  # no per-replica state volume
    models = [v for v in api["volumes"] if v.endswith(":/models:ro")]
    assert models and models == [v for v in services["ray-head"]["volumes"] if v.endswith(":/models:ro")]


def test_kubernetes_api_deployment_and_ray_cluster_agree():
    config, deployment, service = _documents(SERVING / "kuberay" / "api.yaml")
    assert (config["kind"], deployment["kind"], service["kind"]) == ("ConfigMap", "Deployment", "Service")
    settings = config["data"]
    assert all(_known(name) for name in settings), [n for n in settings if not _known(n)]
    assert all(isinstance(value, str) for value in settings.values())  # a ConfigMap holds strings only
    secrets = {"SMARTINSPECT_DATABASE_URL", "SMARTINSPECT_AUDIT_KEY", "SMARTINSPECT_SESSION_SECRET"}
    assert SCALE_OUT - secrets <= set(settings) and not secrets & set(settings)  # secrets come from the Secret
    assert deployment["spec"]["replicas"] >= 2
    (cluster,) = _documents(SERVING / "kuberay" / "raycluster.yaml")
    assert cluster["apiVersion"] == "ray.io/v1" and cluster["kind"] == "RayCluster"
    head = cluster["spec"]["headGroupSpec"]
    assert settings["SMARTINSPECT_RAY_ADDRESS"] == f"ray://{cluster['metadata']['name']}-head-svc:10001"
    assert 10001 in {p["containerPort"] for p in head["template"]["spec"]["containers"][0]["ports"]}
    groups = [head, *cluster["spec"]["workerGroupSpecs"]]
    assert all(isinstance(v, str) for g in groups for v in g["rayStartParams"].values())  # KubeRay wants strings
    api_models = {m["mountPath"] for m in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
                  if m["name"] == "models"}
    for group in groups:
        mounts = {m["mountPath"] for m in group["template"]["spec"]["containers"][0]["volumeMounts"]}
        assert api_models == {settings["SMARTINSPECT_MODELS_DIR"]} and api_models <= mounts
