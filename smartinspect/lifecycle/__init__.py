"""Model lifecycle: MLflow registry, promotion gate, export to ``models/``, feedback datasets for retraining.

Everything here that touches MLflow is training-side: serving (the API) reads only the exported manifests in
``models/`` and never imports this package's MLflow modules (``smartinspect.lifecycle.gate`` and
``smartinspect.lifecycle.feedback`` are torch- and mlflow-free).
"""
