"""Training side of the anomaly model (torch): extractor export, memory-bank fit, calibration, package."""
