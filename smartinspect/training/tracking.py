"""MLflow set-up shared by every training pipeline (SQLite store by default, never an accidental ./mlruns)."""

from __future__ import annotations

import os
from pathlib import Path

from smartinspect.config import Settings


def configure_mlflow(settings: Settings, experiment: str):
    """Point MLflow at the configured store and experiment; returns the mlflow module."""
    try:
        import mlflow
    except ImportError as exc:
        raise RuntimeError("mlflow is not installed: install the training extra, `pip install -e .[train]`") from exc
    settings.ensure_dirs()
    os.environ["MLFLOW_TRACKING_URI"] = settings.mlflow_tracking_uri
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    artifacts = (settings.data_dir / "mlflow-artifacts").resolve()
    if mlflow.get_experiment_by_name(experiment) is None:
        # a tracking server (serving/docker-compose.yml) decides where artefacts go (S3); a local store: on disk
        server = settings.mlflow_tracking_uri.startswith(("http://", "https://"))
        mlflow.create_experiment(experiment, artifact_location=None if server else artifacts.as_uri())
    mlflow.set_experiment(experiment)
    return mlflow


def configure_ultralytics(settings: Settings) -> None:
    """Keep ultralytics' settings inside our data dir and turn off its own integrations (we log to MLflow)."""
    config_dir = (settings.data_dir / "ultralytics").resolve()
    config_dir.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from ultralytics.utils import SETTINGS

    SETTINGS.update({"mlflow": False, "sync": False, "tensorboard": False, "wandb": False, "clearml": False,
                     "comet": False, "dvc": False, "raytune": False, "runs_dir": str(Path(config_dir) / "runs")})
