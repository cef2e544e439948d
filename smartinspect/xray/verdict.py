"""Turn detections and the empty-container check into CLEAR / REVIEW / INSPECT, with reasons."""

from __future__ import annotations

from collections.abc import Sequence

from smartinspect.xray.types import AnomalyCheck, Detections, EmptyCheck, Reason, Verdict

IMPENETRABLE_REVIEW_FRACTION = 0.05  # share of the interior the beam could not get through


def decide_verdict(
    detections: Detections,
    empty: EmptyCheck,
    *,
    class_names: Sequence[str],
    review_threshold: float,
    inspect_threshold: float,
    impenetrable_fraction: float = 0.0,
    anomaly: AnomalyCheck | None = None,
) -> tuple[Verdict, tuple[Reason, ...]]:
    """The strictest verdict any reason asks for. Reasons are ordered most serious first."""
    reasons: list[Reason] = []
    order = detections.scores.argsort()[::-1]
    for i in order:
        score = float(detections.scores[i])
        if score < review_threshold:
            break
        name = class_names[int(detections.class_ids[i])]
        evidence = {"class": name, "score": round(score, 3), "box": [round(float(v), 1) for v in detections.boxes[i]]}
        if score >= inspect_threshold:
            reasons.append(Reason("contraband_detected", f"{name} detected with score {score:.2f}", evidence))
        else:
            reasons.append(Reason("possible_contraband", f"possible {name} (score {score:.2f})", evidence))
    if empty.mismatch:
        msg = f"declared empty, but {empty.content_fraction:.1%} of the interior shows content"
        reasons.append(Reason("declared_empty_not_empty", msg, {"content_fraction": round(empty.content_fraction, 4)}))
    if not empty.container_found:
        reasons.append(Reason("container_not_found", "no container structure found; a human should look", {}))
    if impenetrable_fraction > IMPENETRABLE_REVIEW_FRACTION:
        msg = f"{impenetrable_fraction:.1%} of the container is too dense for the beam to see through"
        reasons.append(Reason("impenetrable_region", msg, {"fraction": round(impenetrable_fraction, 4)}))
    if anomaly is not None and anomaly.anomalous:
        x1, y1, x2, y2 = anomaly.region
        msg = (f"unusual content for site {anomaly.site} at x {x1}-{x2}, y {y1}-{y2} px "
               f"(anomaly score {anomaly.score / anomaly.threshold:.2f}x the site's threshold)")
        evidence = {"score": anomaly.score, "threshold": anomaly.threshold, "region": list(anomaly.region),
                    "region_score": anomaly.region_score, "site": anomaly.site, "model": anomaly.model_name}
        reasons.append(Reason("anomaly", msg, evidence))
    inspect_codes = {"contraband_detected", "declared_empty_not_empty"}
    if any(r.code in inspect_codes for r in reasons):
        return Verdict.INSPECT, _serious_first(reasons, inspect_codes)
    if reasons:
        return Verdict.REVIEW, tuple(reasons)
    return Verdict.CLEAR, (Reason("nothing_found", "no contraband detected and the load matches the declaration"),)


def _serious_first(reasons: list[Reason], serious: set[str]) -> tuple[Reason, ...]:
    return tuple(sorted(reasons, key=lambda r: r.code not in serious))
