"""The one settings object. Everything configurable comes from here (env prefix ``SMARTINSPECT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


def _default_models_dir() -> Path:
    # A source checkout ships models next to the package; an installed wheel falls back to ./models.
    shipped = REPO_ROOT / "models"
    return shipped if shipped.is_dir() else Path.cwd() / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTINSPECT_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file inside data_dir
    blob_dir: Path | None = None  # None: data_dir / "blobs"
    models_dir: Path = Field(default_factory=_default_models_dir)
    mlflow_tracking_uri: str = ""  # empty: SQLite store inside data_dir

    # ONNX Runtime
    onnx_providers: list[str] | None = None  # None: best available (TensorRT > CUDA > CPU)
    onnx_intra_op_threads: int = 0  # 0: ONNX Runtime decides (all cores)
    onnx_warmup: bool = True

    # Upload limits (bad input is refused with a 4xx before anything is stored)
    max_upload_bytes: int = 64 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    min_image_side: int = 32

    # HTTP server
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _fill_paths(self) -> "Settings":
        self.data_dir = self.data_dir.expanduser()
        if self.blob_dir is None:
            self.blob_dir = self.data_dir / "blobs"
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'smartinspect.db').resolve()}"
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{(self.data_dir / 'mlflow.db').resolve()}"
        return self

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        assert self.blob_dir is not None
        self.blob_dir.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
