from .backend import AscendBackend

__all__ = ["AscendBackend"]
