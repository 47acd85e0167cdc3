"""``ops.Print`` / ``ops.print_``: print strings and Tensors while the compiled step runs.

Print is a host op (``OpKind.HOST``): every target runs its numpy reference on the host inside the
step, at its place in graph order (the CPU's generated step calls it between kernels; a device target
copies its inputs to the host first). Data parallel's gradient all-reduce is the same kind of launch.
"""

import numpy as np

from ..graph import dtype as mstype
from ..graph import trace
from ..graph.tensor import Tensor
from .primitive_base import Primitive
from .registry import OpDef, OpKind, apply, register


def _infer(specs, texts):
    if sum(t is None for t in texts) != len(specs):
        raise ValueError(f"expected {sum(t is None for t in texts)} Tensors to print, got {len(specs)}")
    return (), np.dtype(np.int32)


def format_tensor(array):
    """MindSpore's printed form: ``Tensor(shape=[2, 1], dtype=Int32, value=\\n[[1],\\n [1]])``."""
    value = np.array2string(np.asarray(array), separator=", ")
    dtype = mstype.from_np(array.dtype)
    return f"Tensor(shape={list(array.shape)}, dtype={dtype}, value=\n{value})"


def _print(*arrays, texts):
    """Print each item on its own line: strings as they are, Tensors formatted; returns 0 (ignored)."""
    values = iter(arrays)
    print("\n".join(t if t is not None else format_tensor(next(values)) for t in texts), flush=True)
    return np.zeros((), np.int32)


register(OpDef("Print", infer=_infer, reference=_print, nondiff=True, impure=True, kind=OpKind.HOST))


def print_(*input_x):
    """Print the inputs (Tensors, strings, bools, ints, floats, tuples/lists of them) in order, each on
    its own line, when the step runs; in a Cell's construct it prints at every call. The return value
    is invalid and should be ignored (MindSpore's contract)."""
    items = []
    for x in input_x:
        if isinstance(x, (tuple, list)):
            items += list(x)
        else:
            items.append(x)
    texts, tensors = [], []
    for x in items:
        if isinstance(x, str):
            texts.append(x)
            continue
        if isinstance(x, (bool, int, float, np.number)):  # as MindSpore's graph mode: numbers print as Tensors
            x = Tensor(x)
        if not isinstance(x, Tensor):
            raise TypeError(f"For 'Print', the inputs must be Tensor, bool, int, float, str, tuple or list, "
                            f"but got {type(x).__name__}" + trace.format_location(trace.user_source()))
        texts.append(None)
        tensors.append(x)
    out = apply("Print", *tensors, texts=tuple(texts))
    tracer = trace.current()
    if tracer is not None:
        tracer.graph.effects.append(out._node)  # nothing consumes it: keep it as a side effect
    return out


class Print(Primitive):
    """``ops.Print()(*input_x)``: as ``ops.print_``."""

    def __call__(self, *input_x):
        return print_(*input_x)


__all__ = ["print_"]
__primitives__ = [Print]
