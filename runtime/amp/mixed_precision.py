"""Precision levels: ``auto_mixed_precision``, ``custom_mixed_precision`` and their white/black lists.

Everything happens while the network is traced, so the gradients run through the same casts and the
compiled step holds explicit ``Cast`` nodes (visible in graph dumps):

* a Cell made ``to_float(float16)`` casts its float inputs and the float Parameters its ops read to
  float16 (the Parameters themselves stay float32: the optimizer updates float32 master weights);
* at O1, white-listed Cells compute in float16 with their output cast back to float32, and the
  white-listed primitives (MatMul, Conv2D, ReLU ...) compute in float16 wherever they run in the
  network, with casts around each (``ops.registry.apply``);
* O2 computes the whole network in float16 except the black-listed Cells (BatchNorm), which compute in
  float32 with their output cast back to float16; O3 computes everything in float16; both cast the
  network's output to float32.
"""

import logging

from ... import nn, ops
from ...graph import dtype as mstype
from ...graph.cell import Cell

# MindSpore's AMP_WHITE_LIST / AMP_BLACK_LIST, as far as minispore has the classes
AMP_WHITE_LIST = [nn.Conv2d, nn.Dense, ops.Conv2D, ops.MatMul, ops.BatchMatMul, ops.ReLU]
AMP_BLACK_LIST = [nn.BatchNorm1d, nn.BatchNorm2d]
# the op each white-listed primitive class records (plus the gradient kernels MindSpore lists too)
_WHITE_OPS = frozenset({"Conv2D", "Conv2DBackpropInput", "MatMul", "BatchMatMul", "ReLU", "PReLU"})
_LEVELS = ("O0", "O1", "O2", "O3")
logger = logging.getLogger("minispore")
def _is_low(dtype):
    """float16, or bfloat16 (ml_dtypes' type: known once the program imported ml_dtypes)."""
    return dtype == mstype.float16 or str(getattr(dtype, "np", "")) == "bfloat16"


def get_white_list():
    """A copy of the white list: Cells and primitives computed in low precision at O1."""
    return list(AMP_WHITE_LIST)


def get_black_list():
    """A copy of the black list: Cells kept in float32 at O2."""
    return list(AMP_BLACK_LIST)


class _OutputTo(Cell):
    """Runs ``cell`` and casts its float outputs to ``dtype``; adds no name to the Parameters' names."""

    def __init__(self, cell, dtype):
        super().__init__(auto_prefix=False)
        self._backbone = cell
        self.dtype = dtype

    def construct(self, *inputs):
        out = self._backbone(*inputs)
        if isinstance(out, tuple):
            return tuple(_to(o, self.dtype) for o in out)
        return _to(out, self.dtype)


def _to(value, dtype):
    return ops.cast(value, dtype) if mstype.is_float(value.dtype.np) else value


def _replace_child(parent, name, new):
    """Put ``new`` in ``parent``'s child slot ``name`` keeping the Parameters' names (no re-prefixing)."""
    parent._cells[name] = new
    object.__setattr__(parent, name, new)
    object.__setattr__(new, "_scope_name", name)


def _wrap_children(cell, classes, make):
    """Replace, depth first, every descendant Cell whose type is in ``classes`` by ``make(child)``."""
    for name, child in list(cell._cells.items()):
        if child is None:
            continue
        if isinstance(child, tuple(classes)):
            _replace_child(cell, name, make(child))
        else:
            _wrap_children(child, classes, make)


def _check(network, amp_level, dtype):
    if not isinstance(network, Cell):
        raise TypeError(f"For 'auto_mixed_precision', the argument 'network' must be a Cell, but got "
                        f"{type(network).__name__}.")
    if not _is_low(dtype):
        raise ValueError(f"For 'auto_mixed_precision', the argument 'dtype' must be float16 or bfloat16, but got "
                         f"{dtype}.")
    if amp_level not in _LEVELS:
        raise ValueError(f"For 'auto_mixed_precision', the argument 'amp_level' must be one of "
                         f"{list(_LEVELS)}, but got {amp_level!r}.")


def auto_mixed_precision(network, amp_level="O0", dtype=mstype.float16):
    """Convert ``network`` to mixed precision at ``amp_level`` (O0 unchanged; O1 white list in ``dtype``;
    O2 all but the black list in ``dtype``; O3 everything in ``dtype``). Returns the converted network;
    at O2/O3 a wrapper casting its output to float32."""
    _check(network, amp_level, dtype)
    if amp_level == "O0":
        return network
    if amp_level == "O1":
        white_cells = [c for c in AMP_WHITE_LIST if issubclass(c, Cell)]
        _wrap_children(network, white_cells, lambda c: _OutputTo(c.to_float(dtype), mstype.float32))
        for _, cell in network.cells_and_names():
            if cell._mixed_precision_type is None:
                object.__setattr__(cell, "_amp_white_ops", (dtype, _WHITE_OPS))
        return network
    network.to_float(dtype)
    if amp_level == "O2":
        keep_float32(network, AMP_BLACK_LIST, dtype)
    return _OutputTo(network, mstype.float32)


def keep_float32(network, black_list, dtype=mstype.float16):
    """Black-listed Cells of ``network`` compute in float32, their output cast back to ``dtype``."""
    _wrap_children(network, black_list, lambda c: _OutputTo(c.to_float(mstype.float32), dtype))


def custom_mixed_precision(network, *, white_list=None, black_list=None, dtype=mstype.float16):
    """Mixed precision with your own list: exactly one of ``white_list`` (Cells/primitives computed in
    ``dtype``, as O1) and ``black_list`` (Cells kept in float32, the rest in ``dtype``, as O2)."""
    if (white_list is None) == (black_list is None):
        raise ValueError("For 'custom_mixed_precision', one of 'white_list' and 'black_list' must be None, "
                         "and the other must not be None.")
    _check(network, "O1", dtype)
    if white_list is not None:
        cells = [c for c in white_list if isinstance(c, type) and issubclass(c, Cell)]
        op_names = frozenset(c.__name__ for c in white_list if c not in cells)  # primitive class = op name
        _wrap_children(network, cells, lambda c: _OutputTo(c.to_float(dtype), mstype.float32))
        for _, cell in network.cells_and_names():
            if cell._mixed_precision_type is None and op_names:
                object.__setattr__(cell, "_amp_white_ops", (dtype, op_names))
        return network
    for c in black_list:
        if not (isinstance(c, type) and issubclass(c, Cell)):
            raise TypeError(f"For 'custom_mixed_precision', the black list takes Cells only (primitives are not "
                            f"supported yet), but got {c!r}.")
    for c in AMP_BLACK_LIST:
        if c not in black_list:
            logger.warning("For 'custom_mixed_precision', %s is not in the black list; it is in MindSpore's default "
                           "black list because it is not stable in low precision", c.__name__)
    network.to_float(dtype)
    keep_float32(network, black_list, dtype)
    return _OutputTo(network, mstype.float32)
