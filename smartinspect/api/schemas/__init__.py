"""Pydantic schemas at the HTTP edge, one module per resource, split by role (``…Create`` in, ``…Public`` out)."""
