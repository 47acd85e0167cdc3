"""``nn.Cell`` (defined on the ground floor so optimizers and schedules, which are Cells, need not
import nn): the base of networks, losses, wrappers and optimizers.

Calling a Cell outside a trace compiles ``construct`` into one graph for the device target
(cached per input signature, train/eval mode and context) and runs it; inside a trace it inlines
``construct`` under the cell's scope. Parameters are listed as MindSpore does: a cell's own
Parameters first (in assignment order), then each child cell's, recursively.
"""

from collections import OrderedDict

from . import executor_hook, trace
from .tensor import Parameter


class Cell:
    """Base class of all neural-network cells. Subclasses define ``construct``."""

    def __init__(self, auto_prefix=True, flags=None):
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_cells", OrderedDict())
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "_compile_cache", executor_hook.CompileCache())
        object.__setattr__(self, "training", False)
        object.__setattr__(self, "_scope_name", None)

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
        elif isinstance(value, Cell):
            self._check_init()
            if self._auto_prefix:
                value.update_parameters_name(name + ".")
            object.__setattr__(value, "_scope_name", name)
            self._cells[name] = value
            self._params.pop(name, None)
        elif name in self.__dict__.get("_params", {}) and value is None:
            del self._params[name]
        elif name in self.__dict__.get("_cells", {}) and value is None:
            del self._cells[name]
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
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
                return self.construct(*args, **kwargs)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: keyword arguments are not supported when calling a Cell "
                            "at the top level; pass them positionally")
        return executor_hook.run_compiled(self._compile_cache, self.construct, args, type(self).__name__,
                                          self.training)

    def compiled_graph(self):
        """The most recently compiled graph of this cell (printable IR), or None."""
        last = self._compile_cache.last
        return None if last is None else last.graph

    def set_train(self, mode=True):
        """Set training mode (affects Dropout and BatchNorm) on this cell and all sub-cells."""
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", bool(mode))
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
            for name, p in cell._params.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{cell_name}.{name}" if cell_name else name), p

    def get_parameters(self, expand=True):
        for _, p in self.parameters_and_names(expand=expand):
            yield p

    def trainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def parameters_dict(self, recurse=True):
        return OrderedDict((p.name, p) for p in self.get_parameters(expand=recurse))

    def update_parameters_name(self, prefix="", recurse=True):
        """Prefix every Parameter's name with ``prefix`` + its path in this cell."""
        for name, p in self.parameters_and_names(expand=recurse):
            p.name = prefix + name

    # ---- printing -------------------------------------------------------------------------
    def extend_repr(self):
        return ""

    def __repr__(self):
        extra = self.extend_repr()
        if not self._cells:
            return f"{type(self).__name__}<{extra}>"
        lines = [f"{type(self).__name__}<{extra}"]
        for name, cell in self._cells.items():
            child = repr(cell).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        lines.append("  >")
        return "\n".join(lines)
