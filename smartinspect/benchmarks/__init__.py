"""Whole-service benchmarks (they start the HTTP API): clearance throughput and hot reload. A model kind's own
benchmark lives in its package (``smartinspect/<kind>/bench.py``)."""
