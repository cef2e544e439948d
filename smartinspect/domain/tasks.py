"""Names every layer shares: the task of each served model (manifests are looked up by it) and the threat
classes the X-ray detector reports and risk rules can name. One definition each."""

from __future__ import annotations

XRAY_TASK = "xray-detection"
WOOD_TASK = "wood-classification"
ANOMALY_TASK = "xray-anomaly"  # the site-normal anomaly model (smartinspect/anomaly)
THREAT_CLASSES = ("firearm", "drugs", "cigarettes", "concealment")  # the detector's output order
# A lab's own reference collection, enrolled on pretrained features (smartinspect/wood/enrolled.py). When a package
# of this task is served, wood screenings use it instead of the synthetic-trained classifier (docs/wood.md).
WOOD_ENROLLED_TASK = "wood-enrolled"
