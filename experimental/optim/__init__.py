"""MindSpore's PyTorch-style optimizers (``mindspore.experimental.optim``) and LR schedulers, on the
in-graph optimizer pipeline of ``minispore.optim``."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "AdamW", "SGD", "Adam", "lr_scheduler"]
