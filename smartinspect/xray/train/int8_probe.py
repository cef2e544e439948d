"""Does INT8 make the served detector faster on this CPU? (docs/xray.md, "Limits"; session 15: no.)

    python -m smartinspect.xray.train.int8_probe [--package models/xray-detector] [--seconds 12]

Calibration tiles: 24 scans of the generator's default mix (seed 5151, not a test seed), up to 12 occupied tiles
each, through the served pre-processing. Each variant is ONNX Runtime static quantization of the Conv layers
(``onnxruntime.quantization.quantize_static``); each graph then runs batches of 8 tiles on 2 threads for
``--seconds``. Prints tiles per second per variant and the largest change of a class heat value against float32.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def calibration_tiles(package: Path, scans: int = 24, per_scan: int = 12) -> np.ndarray:
    from smartinspect.runtime import load_package
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan
    from smartinspect.xray.decode import to_attenuation
    from smartinspect.xray.detector import XrayDetector
    from smartinspect.xray.preprocess import to_model_input

    detector = XrayDetector(load_package(package))
    p = detector.params
    rng = np.random.default_rng(5151)
    out = []
    for i in range(scans):
        scan = generate_scan(np.random.default_rng([5151, i]), XrayGenConfig())
        att = to_attenuation(scan.high)
        low = to_attenuation(scan.low) if scan.low is not None else None
        view = to_model_input(att, window=p.window, mode=p.input_mode, low_attenuation=low)
        _grid, tiles = detector.pre_process(view, att)
        if len(tiles):
            out.append(tiles[rng.choice(len(tiles), min(per_scan, len(tiles)), replace=False)])
    return np.concatenate(out)


def main(argv: list[str] | None = None) -> None:
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from smartinspect.xray.preprocess import tiles_to_batch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", type=Path, default=Path("models/xray-detector"))
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args(argv)
    tiles = calibration_tiles(args.package)
    batches = [tiles_to_batch(tiles[i:i + 8]) for i in range(0, len(tiles), 8)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter({"images": b} for b in batches)

        def get_next(self):
            return next(self.batches, None)

    variants = {
        "qdq_u8s8_per_channel": dict(quant_format=QuantFormat.QDQ, per_channel=True,
                                     activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8),
        "qoperator_u8s8_per_channel": dict(quant_format=QuantFormat.QOperator, per_channel=True,
                                           activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8),
        "qdq_s8s8": dict(quant_format=QuantFormat.QDQ, per_channel=False, activation_type=QuantType.QInt8,
                         weight_type=QuantType.QInt8),
    }
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    sample = batches[0]
    fp32 = args.package / "model.onnx"
    classes = len(json.loads((args.package / "manifest.json").read_text())["params"]["classes"])

    def run(path: Path) -> tuple[float, np.ndarray]:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        out = session.run(None, {"images": sample})[0]
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < args.seconds:
            session.run(None, {"images": sample})
            n += len(sample)
        return n / (time.perf_counter() - start), out

    base_speed, base_out = run(fp32)
    result = {"calibration_tiles": len(tiles), "float32_tiles_per_s": round(base_speed, 1)}
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre))
        for name, kwargs in variants.items():
            target = Path(tmp) / f"{name}.onnx"
            quantize_static(str(pre), str(target), Reader(), op_types_to_quantize=["Conv"], **kwargs)
            speed, out = run(target)
            result[name] = {"tiles_per_s": round(speed, 1), "speed_vs_float32": round(speed / base_speed, 2),
                            "max_heat_change": round(float(np.abs(out[:, :classes] - base_out[:, :classes]).max()), 3)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
