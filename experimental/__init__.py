"""``minispore.experimental`` (MindSpore's ``mindspore.experimental``): the PyTorch-style ``optim``."""

from . import optim

__all__ = ["optim"]
