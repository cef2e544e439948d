"""The one settings object. Everything configurable comes from here (env prefix ``SMARTINSPECT_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


def _default_models_dir() -> Path:
    # A source checkout ships models next to the package; an installed wheel falls back to ./models.
    shipped = REPO_ROOT / "models"
    return shipped if shipped.is_dir() else Path.cwd() / "models"


class RayDeploymentSettings(BaseModel):
    """One model's Ray Serve deployment (``inference_engine = "ray"``, docs/serving-ray.md)."""

    max_batch_size: int = Field(default=8, ge=1)  # model calls (each already a batch of tiles/crops) stacked in one run
    batch_wait_timeout_s: float = Field(default=0.01, ge=0.0)  # how long a call waits for others to join its batch
    num_replicas: int = Field(default=1, ge=1)  # fixed replica count (when not autoscaling)
    min_replicas: int | None = Field(default=None, ge=0)  # set with max_replicas: autoscale between the two
    max_replicas: int | None = Field(default=None, ge=1)
    replica_num_cpus: float = Field(default=0.0, ge=0.0)  # CPUs Ray reserves per replica (0: share the node's)
    intra_op_threads: int | None = Field(default=None, ge=0)  # None: onnx_intra_op_threads

    @model_validator(mode="after")
    def _autoscaling_bounds(self) -> "RayDeploymentSettings":
        if (self.min_replicas is None) != (self.max_replicas is None):
            raise ValueError("set both min_replicas and max_replicas (autoscaling), or neither (num_replicas)")
        if self.min_replicas is not None and self.max_replicas is not None and self.min_replicas > self.max_replicas:
            raise ValueError(f"min_replicas {self.min_replicas} > max_replicas {self.max_replicas}")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTINSPECT_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file inside data_dir
    blob_dir: Path | None = None  # None: data_dir / "blobs"
    # Blobs on S3-compatible object storage (docs/storage.md): "s3://bucket/prefix"; empty: the local blob_dir
    blob_url: str = Field(default="", pattern=r"^(s3://[^/?#\s]+(/[^?#\s]*)?)?$")
    blob_s3_endpoint: str = ""  # e.g. http://seaweedfs:8333; empty: AWS S3 for blob_s3_region
    blob_s3_region: str = ""  # empty: boto3's default (AWS_REGION, ~/.aws/config)
    blob_s3_access_key: SecretStr | None = None  # None: boto3's credential chain (AWS_* variables, instance role)
    blob_s3_secret_key: SecretStr | None = None
    blob_s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"  # auto: path style with an endpoint
    blob_s3_connect_timeout_s: float = Field(default=5.0, gt=0)
    blob_s3_read_timeout_s: float = Field(default=60.0, gt=0)
    blob_s3_max_attempts: int = Field(default=3, ge=1)  # per request, with backoff, before BlobStoreUnavailable
    models_dir: Path = Field(default_factory=_default_models_dir)
    mlflow_tracking_uri: str = ""  # empty: SQLite store inside data_dir

    # ONNX Runtime
    onnx_providers: list[str] | None = None  # None: best available (TensorRT > CUDA > CPU)
    onnx_intra_op_threads: int = 0  # 0: ONNX Runtime decides (all cores)
    onnx_warmup: bool = True

    # Inference engine (issue 24): "in_process" runs every model in this process (the embedded default);
    # "ray" runs each served model as a Ray Serve deployment with dynamic batching (`ray` extra)
    inference_engine: Literal["in_process", "ray"] = "in_process"
    ray_address: str = ""  # empty: start a local Ray (loopback, no dashboard); else join, e.g. "auto", "ray://head:10001"
    ray_num_cpus: int | None = Field(default=None, ge=1)  # the local Ray's CPUs (None: the machine's cores)
    ray_models: list[str] = Field(default_factory=list)  # models served on Ray (empty: all); the others stay in-process
    ray_deployment: RayDeploymentSettings = Field(default_factory=RayDeploymentSettings)  # every model's default
    ray_deployments: dict[str, RayDeploymentSettings] = Field(default_factory=dict)  # per model name, replaces it

    # Model lifecycle (issue 7): hot reload of models_dir, and the MLflow model registry
    model_reload_poll_s: float = 0.0  # > 0: reload when a manifest or model file in models_dir changes
    model_reload_grace_s: float = 30.0  # a swapped-out registry is closed after this (in-flight requests finish)
    mlflow_registry_uri: str = ""  # empty: the tracking store (a local SQLite store by default)

    # Upload limits (bad input is refused with a 4xx before anything is stored)
    max_upload_bytes: int = 64 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    min_image_side: int = 32

    # Document OCR and intake (issue 3): limits checked before anything is stored, and the OCR engine's threading
    document_max_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    document_max_pages: int = Field(default=20, ge=1)  # more pages: 422
    document_max_page_pixels: int = Field(default=40_000_000, ge=1024)  # per page; PDFs render at a lower DPI to fit
    document_pdf_dpi: int = Field(default=200, ge=72, le=600)  # PDF pages are rasterised at this resolution
    document_text_layer_min_chars: int = Field(default=16, ge=1)  # fewer text-layer characters: OCR the page
    ocr_workers: int = Field(default=2, ge=1)  # threads running OCR sessions concurrently (pages, batches)
    ocr_intra_op_threads: int = Field(default=1, ge=0)  # threads inside each OCR session (0: ONNX Runtime decides)
    # header lines read a second time from grown crops (ocr/reread.py); 0: off (not yet measured, docs/ocr.md)
    ocr_reread_header_lines: int = Field(default=0, ge=0)

    # Wood screening (issue 4): photos per screening and per-photo limits, checked before anything is stored
    wood_max_images: int = Field(default=8, ge=1)  # photos in one screening
    wood_min_image_side: int = Field(default=128, ge=32)  # smaller photos cannot show the anatomy: 422
    wood_max_image_pixels: int = Field(default=60_000_000, ge=16_384)  # phone photos are 12-50 Mpx; more: 413
    wood_min_contrast: float = Field(default=3.0, ge=0.0)  # luminance std (0-255) below this is a blank frame: 422

    # X-ray anomaly stage (issue 21): a scanner's site picks the anomaly model fitted on that site's normal traffic
    # (package params.site); scanners not listed, and sites with no model, use the "default" site's model.
    # JSON in the environment: SMARTINSPECT_ANOMALY_SITES='{"lane-07": "yangshan-4"}'
    anomaly_sites: dict[str, str] = Field(default_factory=dict)

    # Admission control and early refusal (issue 23): requests in flight per class, beyond which the API answers
    # 503 with Retry-After at once; bodies over the limit are refused (413) while they stream in
    max_inflight_inference: int = Field(default=4, ge=1)  # POST scans / documents / wood screenings (a model runs)
    max_inflight_uploads: int = Field(default=16, ge=1)  # other requests that change state
    max_inflight_reads: int = Field(default=64, ge=1)  # GET / HEAD
    overload_retry_after_s: int = Field(default=2, ge=1)
    max_request_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)  # routes other than the uploads
    document_max_total_pixels: int = Field(default=160_000_000, ge=1024)  # all pages of a PDF, checked before render
    # Admission shared by replicas (issue 24): "redis://host:6379/0" makes the max_inflight_* limits hold for all
    # replicas together (docs/reliability.md); empty: each process counts its own
    admission_url: str = Field(default="", pattern=r"^(rediss?://\S+)?$")
    admission_key_prefix: str = Field(default="smartinspect:admission", min_length=1)  # Redis keys <prefix>:<class>
    admission_lease_s: float = Field(default=30.0, ge=3.0)  # a dead replica's slots are free again after this
    admission_timeout_s: float = Field(default=0.25, gt=0)  # per Redis call; beyond it the per-process limit holds

    # Audit chain (issue 23): HMAC key of the event hashes (None: generated once in <data_dir>/audit_key, 0600)
    audit_key: SecretStr | None = Field(default=None, min_length=32)

    # Logs: "json" (one object a line, with the request id) or "text"
    log_format: Literal["json", "text"] = "json"

    # HTTP server
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    # Expert review web UI (issue 6): signed session cookies after an API-key login
    # None: generated once and kept in <data_dir>/session_secret (0600); never a built-in default
    session_secret: SecretStr | None = Field(default=None, min_length=32)
    session_max_age_s: int = Field(default=8 * 3600, ge=60)  # one shift
    session_cookie_secure: bool | None = None  # None: Secure only when environment is production (HTTPS there)

    # Clearance workflow (issue 5): declarations, risk rules, instructions
    clearance_max_batch: int = Field(default=500, ge=1)  # declarations per POST /v1/declarations/batch
    clearance_max_rules_bytes: int = Field(default=1024 * 1024, ge=1024)  # largest rule file accepted

    @model_validator(mode="after")
    def _fill_paths(self) -> "Settings":
        self.data_dir = self.data_dir.expanduser()
        if self.blob_dir is None:
            self.blob_dir = self.data_dir / "blobs"
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'smartinspect.db').resolve()}"
        if (self.blob_s3_access_key is None) != (self.blob_s3_secret_key is None):
            raise ValueError("set both blob_s3_access_key and blob_s3_secret_key, or neither (boto3's own chain)")
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{(self.data_dir / 'mlflow.db').resolve()}"
        return self

    def ray_deployment_for(self, model_name: str) -> RayDeploymentSettings:
        """The deployment settings of one model: its own entry in ``ray_deployments``, else ``ray_deployment``."""
        return self.ray_deployments.get(model_name, self.ray_deployment)

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        assert self.blob_dir is not None
        if not self.blob_url:  # blobs on S3 need no local folder
            self.blob_dir.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
