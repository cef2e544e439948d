"""The one ONNX Runtime layer: provider choice, sessions, warm-up and the registry of served models."""

from smartinspect.runtime.registry import LoadedModel, ModelRegistry, ModelSpec, TensorSpec, file_sha256, load_package
from smartinspect.runtime.session import OnnxModel, choose_providers

__all__ = [
    "LoadedModel",
    "ModelRegistry",
    "ModelSpec",
    "OnnxModel",
    "TensorSpec",
    "choose_providers",
    "file_sha256",
    "load_package",
]
