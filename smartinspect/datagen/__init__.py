"""Synthetic data generators (``smartinspect datagen ...``)."""
