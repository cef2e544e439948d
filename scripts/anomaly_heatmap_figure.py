"""Stack heatmap PNGs written by `smartinspect anomaly score` (JSON lines on stdin), with the generator's boxes in white.

    smartinspect anomaly score --model models/xray-anomaly --heatmap-dir /tmp/heat FILES | python scripts/anomaly_heatmap_figure.py OUT.png
"""
import json, sys, cv2, numpy as np
from pathlib import Path
out, rows = Path(sys.argv[1]), []
for line in sys.stdin:
    r = json.loads(line)
    img = cv2.imread(r["heatmap"])
    H, W = img.shape[:2]
    lab = Path(r["file"].replace("/images/", "/labels/").rsplit(".", 1)[0] + ".txt")
    if lab.is_file():
        for l in lab.read_text().split("\n"):
            if l.strip():
                c, cx, cy, w, h = map(float, l.split())
                cv2.rectangle(img, (int((cx - w/2) * W), int((cy - h/2) * H)), (int((cx + w/2) * W), int((cy + h/2) * H)), (255, 255, 255), 3)
    text = f"{Path(r['file']).stem}: score {r['anomaly_score']:.1f} / threshold {r['threshold']:.1f} -> {'ANOMALOUS' if r['anomalous'] else 'normal'}"
    scale = 1200 / W
    img = cv2.resize(img, (1200, int(H * scale)), interpolation=cv2.INTER_AREA)
    cv2.putText(img, text, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 4); cv2.putText(img, text, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 1)
    rows.append(img)
cv2.imwrite(str(out), np.vstack(rows), [cv2.IMWRITE_PNG_COMPRESSION, 9])
