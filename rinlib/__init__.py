"""rinlib: a faithful, fast reimplementation of RIN (Sun et al., EMNLP 2020)."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """Lazy ``rinlib.extract`` (raw text → triples) so ``import rinlib`` stays free of torch."""
    if name == "extract":
        from rinlib.inference import extract

        return extract
    raise AttributeError(f"module 'rinlib' has no attribute {name!r}")
