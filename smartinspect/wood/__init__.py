"""Wood species preliminary screening: end-grain photos -> genus/species call, CITES status, abstention, advice.

decode (checks) -> preprocess (analysis view, crops) -> gate (wood-likeness) -> inferencer (ONNX: logits and
open-set distance) -> decision (calls, genus fallback, recommendation) -> service (storage, clearance hand-off).
"""
