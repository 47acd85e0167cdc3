"""``Tensor`` (``Parameter`` is in ``parameter.py``) and MindSpore's ``initializer()``.

A Tensor holds either data (a numpy array) or, while a graph is being traced, the IR node that
will compute it. Operators and methods dispatch to ``minispore.ops`` (installed on the session) so
they trace the same way user calls to ops do.
"""

import numbers

import numpy as np

from . import dtype as mstype
from . import trace
from .initializer import draw
from .session import SESSION


def _F():
    # Tensor's operators call ops' functional forms, which ops installs on the session when it is
    # imported (graph sits below ops and imports nothing of it).
    return SESSION.ops()


def _to_array(data, dtype):
    if isinstance(data, Tensor):
        arr = data.asnumpy()
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    elif isinstance(data, (bool, numbers.Number, list, tuple)):
        arr = np.asarray(data)
        if arr.dtype == np.float64:  # Python floats become float32, as in MindSpore
            arr = arr.astype(np.float32)
        elif arr.dtype.kind == "i":
            arr = arr.astype(np.int64)
        elif arr.dtype == object:
            raise TypeError(f"For 'Tensor', the input data has a ragged or non-numeric structure: {data!r}")
    else:
        raise TypeError(f"For 'Tensor', input_data must be a Tensor, numpy array, list, tuple or number, "
                        f"but got {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(mstype.to_np(dtype), copy=False)
    else:
        mstype.from_np(arr.dtype)  # validates the dtype is one we support
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)  # (keeps 0-d arrays 0-d)


class Tensor:
    """A multi-dimensional array: ``Tensor(input_data=None, dtype=None, shape=None, init=None)``.

    ``input_data`` may be a numpy array, a list/tuple, a Python number or another Tensor. With
    ``init`` (an initializer or its name) and ``shape``, the data is drawn from the initializer.
    """

    __array_priority__ = 1000
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators (np.float32(2) * t traces)

    def __init__(self, input_data=None, dtype=None, shape=None, init=None, const_arg=False):
        self._node = None
        if input_data is None:
            if init is None or shape is None:
                raise ValueError("For 'Tensor', give input_data, or both init and shape")
            input_data = draw(init, shape, dtype or mstype.float32)
        self._data = _to_array(input_data, dtype)

    @classmethod
    def _from_node(cls, node):
        t = object.__new__(Tensor)
        t._data = None
        t._node = node
        return t

    # ---- identity --------------------------------------------------------------------------
    @property
    def is_tracer(self):
        return self._node is not None

    def _write_target_node(self):
        """The node an in-place op writes into (a Parameter's own buffer; for other Tensors, their value)."""
        return self._graph_node()

    def _graph_node(self):
        """The IR node of this tensor's current value in the active trace (for a Parameter: its latest
        assigned value, else its param node)."""
        if self._node is not None:
            return self._node
        return trace.current().const_node(self._data)

    @property
    def shape(self):
        return self._node.shape if self._node is not None else tuple(self._data.shape)

    @property
    def dtype(self):
        return mstype.from_np(self._node.dtype if self._node is not None else self._data.dtype)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self):
        """Bytes of one element."""
        return np.dtype(mstype.to_np(self.dtype)).itemsize

    @property
    def nbytes(self):
        """Bytes of all elements."""
        return self.size * self.itemsize

    @property
    def strides(self):
        """Bytes to step in each dimension (C order), as MindSpore's ``Tensor.strides``."""
        steps, acc = [], self.itemsize
        for dim in reversed(self.shape):
            steps.append(acc)
            acc *= dim
        return tuple(reversed(steps))

    @staticmethod
    def from_numpy(array):
        """A Tensor sharing ``array``'s memory (a C-contiguous numpy array), as MindSpore's."""
        return Tensor(array)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d Tensor")
        return self.shape[0]

    def asnumpy(self):
        """A numpy copy of the data. Not available on a traced (graph-mode) Tensor."""
        if self._node is not None:
            raise RuntimeError(
                "Tensor.asnumpy() was called on a graph-mode Tensor inside construct: its value is not known "
                "until the compiled graph runs" + trace.format_location(trace.user_source()))
        return self._data.copy()

    def __array__(self, dtype=None, copy=None):
        arr = self.asnumpy()
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        arr = self.asnumpy()
        if arr.size != 1:
            raise ValueError(f"Tensor.item() needs a Tensor with one element, got shape {arr.shape}")
        return arr.reshape(()).item()

    def __bool__(self):
        if self._node is not None:
            raise RuntimeError("The truth value of a Tensor is not known while tracing a graph; branch on "
                               "Python values or use ops.select" + trace.format_location(trace.user_source()))
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        return int(self.item())

    def __repr__(self):
        if self._node is not None:
            return f"Tensor(shape={list(self.shape)}, dtype={self.dtype}, traced)"
        # !s: a 0-d array formatted with f"{}" would print its value as a Python float (float64 digits)
        return f"Tensor(shape={list(self.shape)}, dtype={self.dtype}, value=\n{self._data!s})"

    def __str__(self):
        """As MindSpore's ``Tensor.__str__``: the numpy array's str (``print(t)`` shows ``0.1``)."""
        if self._node is not None:
            return repr(self)
        return str(self._data)

    def __hash__(self):
        return id(self)

    def astype(self, dtype):
        return _F().cast(self, dtype)

    def to(self, dtype):
        return self.astype(dtype)

    def init_data(self):
        return self

    def copy(self):
        return Tensor(self.asnumpy())

    # ---- arithmetic --------------------------------------------------------------------------
    def __add__(self, o):
        return _F().add(self, o)

    def __radd__(self, o):
        return _F().add(o, self)

    def __sub__(self, o):
        return _F().sub(self, o)

    def __rsub__(self, o):
        return _F().sub(o, self)

    def __mul__(self, o):
        return _F().mul(self, o)

    def __rmul__(self, o):
        return _F().mul(o, self)

    def __truediv__(self, o):
        return _F().div(self, o)

    def __rtruediv__(self, o):
        return _F().div(o, self)

    def __floordiv__(self, o):
        return _F().floor_div(self, o)

    def __rfloordiv__(self, o):
        return _F().floor_div(o, self)

    def __mod__(self, o):
        return _F().floor_mod(self, o)

    def __rmod__(self, o):
        return _F().floor_mod(o, self)

    def __pow__(self, o):
        return _F().pow(self, o)

    def __rpow__(self, o):
        return _F().pow(o, self)

    def __matmul__(self, o):
        return _F().matmul(self, o)

    def matmul(self, other):
        """``ops.matmul(self, other)`` (numpy's broadcasting rules)."""
        return _F().matmul(self, other)

    def __neg__(self):
        return _F().neg(self)

    def __abs__(self):
        return _F().abs(self)

    def __lt__(self, o):
        return _F().less(self, o)

    def __le__(self, o):
        return _F().less_equal(self, o)

    def __gt__(self, o):
        return _F().greater(self, o)

    def __ge__(self, o):
        return _F().greater_equal(self, o)

    def __eq__(self, o):
        return _F().equal(self, o)

    def __ne__(self, o):
        return _F().not_equal(self, o)

    def __getitem__(self, index):
        return _F().tensor_getitem(self, index)

    # ---- methods (MindSpore's Tensor API) ------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return _F().reduce_sum(self, axis, keepdims)

    def mean(self, axis=None, keep_dims=False):
        return _F().reduce_mean(self, axis, keep_dims)

    def max(self, axis=None, keepdims=False):
        """Maximum over ``axis``. As MindSpore's Tensor.max: with no axis or a tuple of axes it is ReduceMax
        (the gradient is split among tied maxima); with one int axis it is ArgMaxWithValue (the whole
        gradient goes to the first maximum along the axis)."""
        if _single_axis(axis, self.ndim):
            return _first_extreme(self, axis, keepdims, True)
        return _F().reduce_max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        """Minimum over ``axis``; as ``max`` (one int axis: ArgMinWithValue, the gradient goes to the first
        minimum)."""
        if _single_axis(axis, self.ndim):
            return _first_extreme(self, axis, keepdims, False)
        return _F().reduce_min(self, axis, keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return _F().reshape(self, tuple(shape))

    view = reshape

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return _F().transpose(self, tuple(axes) if axes else tuple(reversed(range(self.ndim))))

    @property
    def T(self):
        return self.transpose()

    def flatten(self):
        return _F().reshape(self, (self.size,))

    def squeeze(self, axis=None):
        return _F().squeeze(self, axis)

    def expand_dims(self, axis):
        return _F().expand_dims(self, axis)

    def abs(self):
        return _F().abs(self)

    def exp(self):
        return _F().exp(self)

    def log(self):
        return _F().log(self)

    def sqrt(self):
        return _F().sqrt(self)

    def square(self):
        return _F().square(self)

    def argmax(self, axis=None, keepdims=False):
        """Index of the maximum along ``axis`` (of the flattened Tensor when None), as ``ops.argmax``."""
        return _F().argmax(self, axis, keepdims)


def _single_axis(axis, ndim):
    return ndim > 0 and isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)


def _first_extreme(x, axis, keepdims, want_max):
    """MindSpore's ArgMaxWithValue / ArgMinWithValue value along one axis: the element at the first maximum
    (minimum) index. The others are replaced by the dtype's lowest (highest) value before the reduction, so its
    gradient goes to that element only and its value is exact (a -0.0 stays -0.0)."""
    F = _F()
    n = x.shape[int(axis) % x.ndim]
    idx = (F.argmax if want_max else F.argmin)(x, axis, True)
    shape = [1] * x.ndim
    shape[int(axis) % x.ndim] = n
    iota = Tensor(np.arange(n, dtype=idx.dtype.np).reshape(shape))
    dt = np.dtype(x.dtype.np)
    if dt.kind == "f":
        fill = -np.inf if want_max else np.inf
    elif dt.kind in "iu":
        fill = np.iinfo(dt).min if want_max else np.iinfo(dt).max
    else:  # (bool)
        fill = not want_max
    others = F.fill(x.dtype, tuple(x.shape), fill)
    picked = F.select(F.equal(idx, iota), x, others)
    return (F.reduce_max if want_max else F.reduce_min)(picked, axis, keepdims)


def initializer(init, shape=None, dtype=mstype.float32):
    """A Tensor of ``shape``/``dtype`` initialised by ``init`` (Initializer, name, number or Tensor):
    MindSpore's ``initializer``."""
    return Tensor(draw(init, shape, dtype))
