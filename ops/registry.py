"""Applying ops: ``apply`` records a node while tracing or computes eagerly; ``register`` adds an
``OpDef`` (defined in ``graph/opdef.py``, where the IR's passes read it) to the op table."""

import numpy as np

from ..graph import trace
from ..graph.cell import calling_cell
from ..graph.dtype import is_float
from ..graph.opdef import OPS, OpDef, OpError, OpKind, OpTypeError, Spec, register
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor

__all__ = ["OPS", "OpDef", "OpError", "OpKind", "OpTypeError", "Spec", "register", "apply", "as_tensor", "fail"]


def fail(op_name, message):
    """Raise an OpError for op ``op_name`` pointing at the user's line."""
    raise OpError(f"For '{op_name}', {message}" + trace.format_location(trace.user_source()))


def as_tensor(x, like_dtype=None):
    """Python numbers / numpy arrays become Tensors (numbers take ``like_dtype``)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float, np.number)) and like_dtype is not None:
        return Tensor(np.asarray(x, dtype=like_dtype))
    return Tensor(x)


def apply(name, *inputs, **attrs):
    """Apply op ``name`` to Tensor inputs: record a node while tracing, otherwise compute eagerly.

    Eager (PyNative-style) calls outside a Cell run the op's numpy reference; Cells, gradients and
    optimizers are always compiled for the device target. While tracing inside a mixed-precision Cell
    (``Cell.to_float``, minispore.amp) the op reads the cell's float Parameters in its compute dtype; at
    amp level O1 a white-listed op computes in float16 (its float inputs cast to it, its result back).
    """
    entry = calling_cell() if name != "Cast" else None
    if entry is not None:
        cell = entry[0]
        if cell._mixed_precision_type is not None:
            inputs = _cast_parameters(OPS[name], inputs, cell._mixed_precision_type)
        elif cell._amp_white_ops is not None and name in cell._amp_white_ops[1]:
            low = cell._amp_white_ops[0]
            out = _apply(name, [_cast(t, low) for t in inputs], attrs)
            return _cast(out, np.float32) if out.dtype.np == low.np else out
    return _apply(name, inputs, attrs)


def cell_precision_reads(values):
    """``values`` as the ops of a mixed-precision Cell read them: its float Parameters cast to the cell's
    compute dtype (for dtype promotion, which must see the dtype the op will compute in)."""
    entry = calling_cell()
    if entry is None or entry[0]._mixed_precision_type is None:
        return values
    dtype = entry[0]._mixed_precision_type
    return [_cast(v, dtype) if isinstance(v, Parameter) else v for v in values]


def _cast(t, dtype):
    target = np.dtype(getattr(dtype, "np", dtype))
    if not is_float(t.dtype.np) or t.dtype.np == target:
        return t
    return _apply("Cast", [t], {"dtype": target})


def _cast_parameters(op, inputs, dtype):
    """Float Parameters read by ``op`` in ``dtype`` (written ones, e.g. Assign's target, stay themselves)."""
    writes = () if callable(op.writes) else op.writes
    return [_cast(t, dtype) if isinstance(t, Parameter) and k not in writes else t for k, t in enumerate(inputs)]


def _apply(name, inputs, attrs):
    op = OPS[name]
    tracer = trace.current()
    specs = [Spec(t.shape, t._node.dtype if t._node is not None else t._data.dtype) for t in inputs]
    try:
        shape, dtype = op.infer(specs, **attrs)
    except (OpError, OpTypeError):
        raise
    except TypeError as e:
        raise OpTypeError(f"For '{name}', {e}" + trace.format_location(trace.user_source())) from None
    except ValueError as e:
        raise OpError(f"For '{name}', {e}" + trace.format_location(trace.user_source())) from None
    traced = tracer is not None and (op.impure or any(t._node is not None or isinstance(t, Parameter)
                                                      for t in inputs))
    if traced:
        writes = () if callable(op.writes) else op.writes  # written inputs are the buffers themselves, not their values
        nodes = [t._write_target_node() if k in writes else t._graph_node() for k, t in enumerate(inputs)]
        return Tensor._from_node(tracer.new_node(name, nodes, attrs, shape, dtype))
    if tracer is None and any(t._node is not None for t in inputs):
        raise RuntimeError(f"For '{name}', a graph-mode Tensor was used outside the graph that made it")
    out = op.reference(*[t._data for t in inputs], **attrs)
    out = np.array(out, dtype=dtype, order="C").reshape(shape)
    return Tensor(out)
