"""``Parameter`` (a Tensor that is state of a Cell, resident in a device target's storage once a compiled
graph binds it) and ``ParameterTuple``."""

import numpy as np

from . import trace
from .initializer import Initializer, draw
from .session import SESSION
from .tensor import Tensor, _to_array


class Parameter(Tensor):
    """A trainable (or state) tensor owned by a Cell: ``Parameter(default_input, name=None, requires_grad=True)``.

    A Parameter created without a name takes the attribute path under which it is first
    assigned in a Cell (``conv1.weight``).

    Its value lives on the host until a compiled graph binds it to a device target's storage
    (``_bind``); from then on it is resident there, and ``asnumpy()``, ``set_data()`` and every other
    host access go through that storage, so the host always sees the device's values and no step
    copies parameters (on the CPU the storage is the host array itself: zero copies).
    """

    _storage = None  # the backend Storage holding the value, or None while it lives on the host
    _handle = None   # the value in that storage

    def __init__(self, default_input, name=None, requires_grad=True, layerwise_parallel=False,
                 parallel_optimizer=True):
        if isinstance(default_input, Initializer):
            raise TypeError("For 'Parameter', pass initializer(init, shape, dtype), not a bare Initializer")
        self._node = None
        self._data = _to_array(default_input, None)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"For 'Parameter', name must be a str, but got {type(name).__name__}")
        self._name = name
        self._user_named = name is not None
        self.requires_grad = bool(requires_grad)

    @property
    def _data(self):
        return self._host if self._storage is None else self._storage.to_host(self._handle)

    @_data.setter
    def _data(self, array):
        self._host = array
        self._storage = self._handle = None
        SESSION.residency_version += 1  # compiled graphs holding the old handle rebind

    def _bind(self, storage):
        """This Parameter's handle in ``storage``, moving the value there if it lives elsewhere."""
        if self._storage is not storage:
            handle = storage.to_device(self._data)
            self._host = None
            self._storage, self._handle = storage, handle
            SESSION.residency_version += 1
        return self._handle

    @property
    def name(self):
        return self._name if self._name is not None else "Parameter"

    @name.setter
    def name(self, value):
        if not isinstance(value, str):
            raise TypeError(f"For 'Parameter', name must be a str, but got {type(value).__name__}")
        self._name = value

    def _graph_node(self):
        return trace.current().param_value(self)

    def _write_target_node(self):
        """The Parameter's own node (the target of writes and of gradients)."""
        return trace.current().param_node(self)

    @property
    def data(self):
        return self

    def set_data(self, data):
        """Replace the value. Same shape/dtype: copied in place (compiled graphs keep running)."""
        arr = _to_array(data, None)
        if arr.shape == self.shape and arr.dtype == self.dtype.np:
            if self._storage is None:
                np.copyto(self._host, arr)
            else:
                self._storage.copy_in(self._handle, arr)
        else:
            self._data = arr.copy()
            SESSION.param_version += 1
        return self

    def clone(self, init="same"):
        """A new Parameter with the same name, shape and dtype; ``init='same'`` copies the value."""
        if init == "same":
            data = self._data.copy()
        else:
            data = draw(init, self.shape, self.dtype)
        p = Parameter(data, name=self.name, requires_grad=self.requires_grad)
        return p

    def __repr__(self):
        return (f"Parameter (name={self.name}, shape={self.shape}, dtype={self.dtype}, "
                f"requires_grad={self.requires_grad})")

    __str__ = __repr__


class ParameterTuple(tuple):
    """A tuple of Parameters (MindSpore's ``ParameterTuple``)."""

    def __new__(cls, iterable):
        items = tuple(iterable)
        for p in items:
            if not isinstance(p, Parameter):
                raise TypeError(f"ParameterTuple takes Parameters, got {type(p).__name__}")
        return super().__new__(cls, items)

    def clone(self, prefix, init="same"):
        out = []
        for p in self:
            c = p.clone(init)
            c.name = f"{prefix}.{p.name}"
            out.append(c)
        return ParameterTuple(out)
