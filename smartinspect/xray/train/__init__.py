"""X-ray detector training (needs the `train` extra): tiles, YOLO, export, parity, package, card. Serving never imports this package."""
