"""Site-normal X-ray anomaly model: pretrained patch features, a memory bank of one site's normal scans, k-NN.

Serving modules (this package, not ``train/``) use only numpy, OpenCV and ONNX Runtime (through runtime/).
"""
