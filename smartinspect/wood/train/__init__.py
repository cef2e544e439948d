"""Wood classifier training (needs the `train` extra): data, network, export, calibration, package, card. Serving never imports this package."""
