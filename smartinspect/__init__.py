"""smartinspect: AI-assisted customs inspection service."""

__version__ = "0.1.0"
