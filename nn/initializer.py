"""Parameter initializers with MindSpore's names and defaults (``mindspore.common.initializer``)."""
# ruff: noqa: F401

from ..graph.initializer import (
    Constant,
    HeNormal,
    HeUniform,
    Initializer,
    Normal,
    One,
    TruncatedNormal,
    Uniform,
    XavierNormal,
    XavierUniform,
    Zero,
    set_seed,
)
from ..graph.tensor import initializer

__all__ = ["Initializer", "Zero", "One", "Constant", "Normal", "TruncatedNormal", "Uniform", "HeUniform",
           "HeNormal", "XavierUniform", "XavierNormal", "initializer", "set_seed"]
