"""The kit's version: written here only (``pyproject.toml`` reads it; provenance records it)."""

__version__ = "0.1.0"
