"""Document OCR: intake (PDF/PNG/JPEG/TIFF), PP-OCR det/cls/rec on the shared ONNX Runtime layer, reading order."""
