"""Every callback under one name: ``minispore.train.callback`` (MindSpore's ``mindspore.train.callback``).

The callbacks live in modules by concern (``callbacks``: the base, RunContext, monitors, History,
LambdaCallback; ``callbacks_lr``: learning-rate and early-stopping callbacks; ``progress``: the progress
bar; ``checkpoint.callback``: ModelCheckpoint), which build on ``callbacks``; this facade gathers them.
"""
# ruff: noqa: F401, F403

from .callbacks import *
from .callbacks import __all__ as _base
from .callbacks_lr import EarlyStopping, LearningRateScheduler, ReduceLROnPlateau
from .checkpoint.callback import CheckpointConfig, ModelCheckpoint
from .progress import ProgressBar

__all__ = [*_base, "EarlyStopping", "LearningRateScheduler", "ReduceLROnPlateau", "CheckpointConfig",
           "ModelCheckpoint", "ProgressBar"]
