"""Experiments behind docs/anomaly.md: the datasets, the PatchCore study, the real-sample smoke test, the heatmap figure. Run each with `python -m smartinspect.anomaly.experiments.<name>`."""
