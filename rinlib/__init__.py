"""rinlib: a faithful, fast reimplementation of RIN (Sun et al., EMNLP 2020)."""

__version__ = "0.1.0"
