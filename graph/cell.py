"""``nn.Cell`` (defined on the ground floor so optimizers and schedules, which are Cells, need not
import nn): the base of networks, losses, wrappers and optimizers.

Calling a Cell outside a trace compiles ``construct`` into one graph for the device target
(cached per input signature, train/eval mode and context) and runs it; inside a trace it inlines
``construct`` under the cell's scope. Parameters are listed as MindSpore does: a cell's own
Parameters first (in assignment order), then each child cell's, recursively.

State that a random op keeps between steps (a dropout's counter) is a ``requires_grad=False``
Parameter of the Cell that made it, so it is listed and saved like any other: ``nn.Dropout`` assigns
its own; a primitive holding such state (``ops.Dropout``) lends it to the Cell it is assigned to
(``_state_parameters()``); a functional random op (``ops.dropout``) asks ``calling_cell()`` for the
Cell whose ``construct`` is being traced and stores its state there on the first trace.
"""

from collections import OrderedDict

from . import dtype as mstype
from . import executor_hook, trace
from .parameter import Parameter, ParameterTuple
from .session import SESSION
from .tensor import Tensor

# [cell, n] for each Cell whose construct is running (innermost last); n counts the random ops in this
# run of construct that took their state from the cell (ops/random_ops.py), so the k-th one finds the
# same state on every trace.
_CALLS = []


def _cast_float(value, dtype):
    """A float Tensor argument of a mixed-precision cell, cast to its compute dtype (others unchanged)."""
    if isinstance(value, Tensor) and mstype.is_float(value.dtype.np) and value.dtype != dtype:
        return SESSION.ops().cast(value, dtype)
    return value


def calling_cell():
    """``[cell, n]`` of the innermost Cell whose ``construct`` is being traced, or None."""
    return _CALLS[-1] if _CALLS else None


class Cell:
    """Base class of all neural-network cells. Subclasses define ``construct``."""

    def __init__(self, auto_prefix=True, flags=None):
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_cells", OrderedDict())
        object.__setattr__(self, "_param_tuples", OrderedDict())  # ParameterTuple attribute -> {name: Parameter}
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "_compile_cache", executor_hook.CompileCache())
        object.__setattr__(self, "training", False)
        object.__setattr__(self, "_scope_name", None)
        object.__setattr__(self, "_name_prefix", "")  # what update_parameters_name put before this cell's names
        # Mixed precision (``to_float``, minispore.amp): the float dtype this cell computes in (its float
        # inputs and the float Parameters its ops read are cast to it), and, for amp level O1, the ops
        # that compute in float16 wherever they run inside the network (casts around each).
        object.__setattr__(self, "_mixed_precision_type", None)
        object.__setattr__(self, "_amp_white_ops", None)  # (dtype, op names) at O1

    def _check_init(self):
        if "_params" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                               "parameters or cells")

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._check_init()
            if value._name is None:
                value.name = name
            self._params[name] = value
            self._cells.pop(name, None)
        elif isinstance(value, ParameterTuple):
            self._check_init()
            self._set_parameter_tuple(name, value)
        elif isinstance(value, Cell):
            self._check_init()
            if self._auto_prefix:
                value.update_parameters_name(name + ".")
            object.__setattr__(value, "_scope_name", name)
            self._cells[name] = value
            self._params.pop(name, None)
        elif hasattr(type(value), "_state_parameters"):
            self._check_init()
            for key, p in value._state_parameters().items():  # ops.Dropout's counter: "<name>.dropout_counter"
                self.insert_param_to_cell(f"{name}.{key}", p, check_name_contain_dot=False)
        elif name in self.__dict__.get("_params", {}) and value is None:
            del self._params[name]
        elif name in self.__dict__.get("_cells", {}) and value is None:
            del self._cells[name]
        object.__setattr__(self, name, value)

    def _set_parameter_tuple(self, name, value):
        """List a ParameterTuple attribute's Parameters with this cell's own, keyed by their names (as
        MindSpore's ``_set_attr_for_parameter_tuple``), so ``parameters_and_names()`` lists an optimizer's
        ``moments`` (``moments.<param>``) and checkpoints save them. Names are kept as they are. They are
        held apart from ``_params`` and listed after the cell's own Parameters (MindSpore interleaves them
        in assignment order; the same for every optimizer's state, which is assigned last)."""
        tuples = self.__dict__.setdefault("_param_tuples", OrderedDict())
        tuples.pop(name, None)
        keys, seen = OrderedDict(), set()
        for i, p in enumerate(value):
            if id(p) in seen:
                continue
            seen.add(id(p))
            key = p.name if p._name is not None else f"{name}.{i}"
            if key in keys:
                raise ValueError(f"For 'Cell', the Parameters in the ParameterTuple '{name}' must have unique "
                                 f"names, but '{key}' appears twice.")
            keys[key] = p
        tuples[name] = keys
        self._params.pop(name, None)
        self._cells.pop(name, None)

    def __delattr__(self, name):
        self.__dict__.get("_param_tuples", {}).pop(name, None)
        self._params.pop(name, None)
        self._cells.pop(name, None)
        object.__delattr__(self, name)

    # ---- running --------------------------------------------------------------------------
    def construct(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must define construct()")

    def __call__(self, *args, **kwargs):
        if "_params" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ did not call super().__init__()")
        if trace.current() is not None:
            scope = f"{self._scope_name or 'cell'}-{type(self).__name__}"
            with trace.scope(scope):
                return self._run_construct(*args, **kwargs)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: keyword arguments are not supported when calling a Cell "
                            "at the top level; pass them positionally")
        return executor_hook.run_compiled(self._compile_cache, self._run_construct, args, type(self).__name__,
                                          self.training)

    def _run_construct(self, *args, **kwargs):
        if self._mixed_precision_type is not None and trace.current() is not None:
            args = tuple(_cast_float(a, self._mixed_precision_type) for a in args)
        _CALLS.append([self, 0])
        try:
            return self.construct(*args, **kwargs)
        finally:
            _CALLS.pop()

    def compiled_graph(self):
        """The most recently compiled graph of this cell (printable IR), or None."""
        last = self._compile_cache.last
        return None if last is None else last.graph

    def set_train(self, mode=True):
        """Set training mode (affects Dropout and BatchNorm) on this cell and all sub-cells."""
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", bool(mode))
        return self

    def to_float(self, dst_type):
        """Compute this cell and its sub-cells in ``dst_type`` (float16, bfloat16 or float32): float inputs
        of each are cast to it, and so are the float Parameters their ops read (the Parameters themselves,
        the master copies the optimizer updates, keep their dtype). Returns the cell (MindSpore's
        ``Cell.to_float``)."""
        if dst_type not in (mstype.float16, mstype.float32) and str(getattr(dst_type, "np", "")) != "bfloat16":
            raise ValueError(f"For 'to_float', the argument 'dst_type' should be float32, float16 or bfloat16, "
                             f"but got {dst_type}.")
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "_mixed_precision_type", dst_type)
        return self

    def set_grad(self, requires_grad=True):
        return self

    # ---- structure ------------------------------------------------------------------------
    def cells_and_names(self, cells=None, name_prefix=""):
        """Yield (path, cell) for this cell and every sub-cell, depth first, each once."""
        seen = set() if cells is None else cells
        if id(self) in seen:
            return
        seen.add(id(self))
        yield name_prefix, self
        for name, cell in self._cells.items():
            if cell is None:
                continue
            path = f"{name_prefix}.{name}" if name_prefix else name
            yield from cell.cells_and_names(seen, path)

    def cells(self):
        return list(self._cells.values())

    def name_cells(self):
        return OrderedDict(self._cells)

    def insert_child_to_cell(self, child_name, child_cell):
        setattr(self, child_name, child_cell)

    def parameters_and_names(self, name_prefix="", expand=True):
        """Yield (attribute path, Parameter): own Parameters first, then sub-cells', each once."""
        seen = set()
        cells = self.cells_and_names(name_prefix=name_prefix) if expand else [(name_prefix, self)]
        for cell_name, cell in cells:
            for name, p in cell._own_parameters():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{cell_name}.{name}" if cell_name else name), p

    def _own_parameters(self):
        """(key, Parameter) of this cell's own Parameters, then those of its ParameterTuple attributes."""
        yield from self._params.items()
        for tup in self.__dict__.get("_param_tuples", {}).values():
            yield from tup.items()

    def get_parameters(self, expand=True):
        for _, p in self.parameters_and_names(expand=expand):
            yield p

    def trainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def parameters_dict(self, recurse=True):
        return OrderedDict((p.name, p) for p in self.get_parameters(expand=recurse))

    def insert_param_to_cell(self, param_name, param, check_name_contain_dot=True):
        """List ``param`` among this cell's own Parameters under ``param_name``; a Parameter without a
        name takes ``param_name`` after the prefix this cell's Parameters carry (``fc.`` in a
        network that assigned this cell as ``fc``)."""
        self._check_init()
        if not isinstance(param_name, str) or not param_name:
            raise KeyError(f"For 'insert_param_to_cell', the parameter name must be a non-empty str, "
                           f"but got {param_name!r}")
        if check_name_contain_dot and "." in param_name:
            raise KeyError(f"For 'insert_param_to_cell', the parameter name {param_name!r} must not contain '.'")
        if not isinstance(param, Parameter):
            raise TypeError(f"For 'insert_param_to_cell', expected a Parameter, but got {type(param).__name__}")
        if param._name is None:
            param.name = self._name_prefix + param_name
        self._params[param_name] = param

    def update_parameters_name(self, prefix="", recurse=True):
        """Prefix every Parameter's name with ``prefix`` + its path in this cell."""
        for name, p in self.parameters_and_names(expand=recurse):
            p.name = prefix + name
        for path, cell in self.cells_and_names() if recurse else [("", self)]:
            object.__setattr__(cell, "_name_prefix", prefix + (path + "." if path else ""))

    # ---- printing -------------------------------------------------------------------------
    def extend_repr(self):
        return ""

    def __repr__(self):
        """MindSpore 2.x's (PyTorch's) layout: ``Name(extra)``, or the extra lines and ``(child): repr`` lines
        indented by two inside ``Name(`` ... ``)``."""
        extra = self.extend_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + repr(cell).replace("\n", "\n  ") for name, cell in self._cells.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"
