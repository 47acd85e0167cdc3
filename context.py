"""``minispore.context`` (MindSpore's ``mindspore.context``): ``from minispore import context`` then
``context.set_context(mode=context.GRAPH_MODE, device_target="CPU")``.

Both modes are accepted. ``GRAPH_MODE`` (the default) and ``PYNATIVE_MODE`` differ only for ops called
directly outside a Cell: they always run eagerly (on the ops' numpy references), in either mode; Cells,
``grad``/``value_and_grad`` functions and ``jit`` functions are always traced and compiled for the device
target. So a PyNative script gives the same numbers, with the compiled speed for its cells.
"""
# ruff: noqa: F401

from .runtime.communication import (
    ParallelMode,
    get_auto_parallel_context,
    reset_auto_parallel_context,
    set_auto_parallel_context,
)
from .runtime.context import GRAPH_MODE, PYNATIVE_MODE, get_context, set_context

__all__ = ["GRAPH_MODE", "PYNATIVE_MODE", "set_context", "get_context", "ParallelMode", "set_auto_parallel_context",
           "get_auto_parallel_context", "reset_auto_parallel_context"]
