"""rinlib: a faithful, fast reimplementation of RIN (Sun et al., EMNLP 2020)."""

from rinlib.version import __version__

__all__ = ["__version__", "extract"]


def __getattr__(name: str):
    """Lazy ``rinlib.extract`` (raw text → triples) so ``import rinlib`` stays free of torch."""
    if name == "extract":
        from rinlib.inference import extract

        return extract
    raise AttributeError(f"module 'rinlib' has no attribute {name!r}")
