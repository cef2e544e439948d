"""Names every layer shares: the task of each served model (manifests are looked up by it) and the threat
classes the X-ray detector reports and risk rules can name. One definition each."""

from __future__ import annotations

XRAY_TASK = "xray-detection"
WOOD_TASK = "wood-classification"
ANOMALY_TASK = "xray-anomaly"  # the site-normal anomaly model (smartinspect/anomaly)
THREAT_CLASSES = ("firearm", "drugs", "cigarettes", "concealment")  # the detector's output order
