"""Applying ops: ``apply`` records a node while tracing or computes eagerly; ``register`` adds an
``OpDef`` (defined in ``graph/opdef.py``, where the IR's passes read it) to the op table."""

import numpy as np

from ..graph import dtype as mstype
from ..graph import trace
from ..graph.cell import calling_cell
from ..graph.dtype import is_float
from ..graph.opdef import OPS, OpDef, OpError, OpKind, OpTypeError, Spec, register
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from .memory import check_alloc

__all__ = ["OPS", "OpDef", "OpError", "OpKind", "OpTypeError", "Spec", "register", "apply", "as_tensor", "fail",
           "fail_type", "type_name", "check_same_type", "read_dtype"]


def fail(op_name, message):
    """Raise an OpError for op ``op_name`` pointing at the user's line."""
    raise OpError(f"For '{op_name}', {message}" + trace.format_location(trace.user_source()))


def fail_type(op_name, message):
    """Raise an OpTypeError (a TypeError, as MindSpore raises for dtypes) for ``op_name`` at the user's line."""
    raise OpTypeError(f"For '{op_name}', {message}" + trace.format_location(trace.user_source()))


def type_name(dtype):
    """MindSpore's spelling of a dtype in messages: Float32, Int64 ..."""
    dtype = getattr(dtype, "np", dtype)
    try:
        return str(mstype.from_np(dtype))
    except (TypeError, KeyError):
        return str(dtype)


def check_same_type(a, b, a_name, b_name):
    """For the infer of a cube-like op (MatMul, Conv2D, BiasAdd ...): MindSpore's TypeError when its inputs'
    dtypes differ. These ops never promote implicitly (only elementwise ops do): a float64 or int32 input to a
    float32 layer is an error, not a silent float64 computation."""
    if a.dtype != b.dtype:
        raise TypeError(f"the type of '{b_name}' should be same as '{a_name}', but got {a_name} with type "
                        f"{type_name(a.dtype)} and {b_name} with type {type_name(b.dtype)}")
    return a.dtype


def read_dtype(t):
    """The dtype the ops of the calling Cell read ``t`` in: a float Parameter of a mixed-precision Cell
    (``Cell.to_float``) is read in the Cell's compute dtype. For dtype checks made before ``apply``."""
    entry = calling_cell()
    if isinstance(t, Parameter) and entry is not None and entry[0]._mixed_precision_type is not None \
            and is_float(t.dtype.np):
        return np.dtype(getattr(entry[0]._mixed_precision_type, "np", entry[0]._mixed_precision_type))
    return t.dtype.np


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
    check_alloc(name, shape, dtype)  # an eager result: refuse one the host can never hold, before numpy tries
    out = op.reference(*[t._data for t in inputs], **attrs)
    out = np.array(out, dtype=dtype, order="C").reshape(shape)
    return Tensor(out)
