"""Training pipelines (need the ``train`` extra): data -> train -> evaluate -> export ONNX -> parity -> MLflow."""
