"""Saturation mode of the Atlas training series (Ascend 910) and its float-status register, as a graph pass.

An Ascend 910 computes float16 in saturation mode only (CANN's ``aclrtFloatOverflowMode``; 910B/C default to
IEEE inf/NaN): a result too large for float16 becomes +-65504 (the largest finite half), NaN becomes 0, and
the chip records in a sticky float-status register that it happened. MindSpore's loss scaling on Ascend reads
that register (``NPUGetFloatStatusV2``), since the tensors themselves never hold inf. The pass
``hwopt_d_float_status`` (after ``hwopt_d_insert_cast``, before the CPU's float16 passes) simulates both in
the step's one graph:

  * after every arithmetic node producing float16 (a "site": elementwise ops, kernels, and Casts into
    float16, e.g. the Casts the precision mode puts before cube ops; not data movement, which copies bits)
    it inserts ``Saturate(x, 65504)``: clamp(x, -65504, 65504), NaN -> 0, an elementwise op (on the CPU's
    float16 path it fuses with the Cast that rounds the site's float32 result). Finite results are unchanged;
  * the register is the OR, over the sites run since it was last cleared, of "the unsaturated value had a
    non-finite element". Each site that a check reads after gets an overflow sentinel s = sum(x - x) (0, or
    NaN when an element of x is inf or NaN: ``ops/float_status.py``), and each ``AllFinite`` verdict (the
    end of ``amp.all_finite``) becomes ``isfinite(s_values + s_1 + ... + s_k)``: the tensors it checks
    and the register's sites. So a check sees both an inf that reached the gradients (a float32 overflow,
    which the chip's register would also have seen) and a float16 overflow that saturation hid. The nodes
    computing only a check's own sentinel (``all_finite``'s x * 0 and sums) are not sites: their NaN is
    the message.

When is the register cleared? Execution order is graph order:
  * at the start of every step (of every compiled graph): MindSpore clears the register before the checked
    computation (``start_overflow_check``) and right after each read (``NPUClearFloatStatusV2`` after
    ``NPUGetFloatStatusV2``), so nothing from an earlier step reaches this step's check;
  * at a ``ClearFloatStatus`` marker: ``TrainOneStepWithLossScaleCell`` clears once the forward loss is
    computed (MindSpore's ``start_overflow_check(loss, scaling_sens)``), so only the backward's (and the
    unscaling's) overflow skips a step: lowering the scale cannot cure a forward overflow;
  * after each ``AllFinite`` read (MindSpore's ``amp.all_finite`` clears after reading).
A check only sees the sites of its own graph: ``amp.all_finite`` compiled as a graph of its own (called
from the host on gradients an earlier graph returned) checks the values only. Trace the loss-scaled step
in one Cell (``TrainOneStepWithLossScaleCell`` does) to have the register's verdict.

Cost: sites that no later check reads (a graph without loss scaling, evaluation, the forward of a
loss-scaled step) pay only the clamp, fused. A site that a check reads has two readers (Saturate and its
sentinel), so its value is written once unfused, and the sentinel costs one fused ``x - x`` (rounded to
float32) and one ReduceSum. Results that an op cannot make larger than its already bounded inputs
(``_BOUNDED``: ReLU, max/min, pooling, ...) are not sites at all. At the default precision mode the sites
are the cube ops' Casts and results, so the sentinels are small next to the cube ops themselves; under amp
O2/O3 every float16 elementwise op of the backward is one.
"""

import numpy as np

from ...graph.opdef import OPS, OpKind, output_alias, written_inputs
from ...ops.float_status import FLOAT16_MAX
from ..cpu.passes import DATA_MOVEMENT, _Rewriter

FLOAT16 = np.dtype(np.float16)
FLOAT32 = np.dtype(np.float32)

# Results that are bit copies of an input element: nothing is computed, nothing can overflow (and an inf
# already stored, e.g. in an input, stays as it is until an op computes with it).
_MOVES = DATA_MOVEMENT | {"Select", "Saturate"}
# Ops whose result is finite and within +-65504 whenever their float inputs are: after saturated inputs they
# can neither overflow nor make a NaN, so they need no Saturate and no sentinel (ReLU after a float16 conv,
# max pooling, ... under amp O2/O3). Not here: anything that adds, subtracts, multiplies or divides.
_BOUNDED = frozenset({"ReLU", "ReLU6", "ReluGrad", "Maximum", "Minimum", "Neg", "Abs", "Sign", "Floor",
                      "Sigmoid", "Tanh", "Softmax", "MaxPool", "ReduceMax", "ReduceMin", "Cast"})


def _float_inputs_bounded(node, bounded):
    floats = [i for i in node.inputs if i.dtype.kind == "f"]
    return bool(floats) and all(i.id in bounded for i in floats)


def _is_site(node, bounded):
    """Whether ``node`` is a float16 arithmetic result that can overflow: it needs a Saturate (and a sentinel
    when a check reads the register after it). ``bounded``: ids of the nodes whose values are known to be
    finite and within +-65504."""
    if node.is_leaf or node.dtype != FLOAT16 or node.op in _MOVES:
        return False
    if OPS[node.op].kind not in (OpKind.ELEMENTWISE, OpKind.KERNEL):
        return False  # views, host ops (Print, all-reduce) compute nothing on the device's float unit
    if written_inputs(node) or output_alias(node) is not None:
        return False  # in-place updates of float16 state (refused by the CPU's float16 path anyway)
    if node.op == "Cast" and node.inputs[0].dtype == FLOAT16:
        return False
    return not (node.op in _BOUNDED and _float_inputs_bounded(node, bounded))


def _bounded_leaf(node):
    """A constant whose values are finite and within +-65504 (inputs and Parameters may hold anything)."""
    if node.op != "const" or node.dtype.kind != "f":
        return False
    value = np.asarray(node.value)
    return bool(np.all(np.isfinite(value)) and np.all(np.abs(value) <= FLOAT16_MAX))


def _checks_ahead(graph):
    """Ids of the nodes that an ``AllFinite`` reads the register after, before any clear (graph order)."""
    ahead, read = set(), False
    for n in reversed(graph.nodes):
        if n.op == "AllFinite":
            read = True
        elif n.op == "ClearFloatStatus":
            read = False
        elif read:
            ahead.add(n.id)
    return ahead


def _check_only(graph):
    """Ids of the nodes computing nothing but an ``AllFinite``'s sentinel (``all_finite``'s x * 0 and its sums):
    their NaN is the message, so they are not sites (saturating it to 0 would erase it)."""
    users = graph.users()
    kept = {n.id for n in graph.outputs} | {n.id for n in graph.effects}
    only = set()
    for n in reversed(graph.nodes):
        if n.id not in kept and users[n.id] and all(u.op == "AllFinite" or u.id in only for u in users[n.id]):
            only.add(n.id)
    return only


class _FloatStatus:
    """The pass over one graph: ``pending`` are the sentinels of the sites run since the last clear."""

    def __init__(self, graph):
        self.ahead = _checks_ahead(graph)
        self.check_only = _check_only(graph)
        self.bounded = set()  # ids of nodes whose values are finite (saturated, or bounded by them)
        self.pending = []

    def rewrite(self, rw, node):
        if node.op == "ClearFloatStatus":
            self.pending = []
            return node
        if node.op == "AllFinite":
            return self._read(rw, node)
        if node.id in self.check_only or not _is_site(node, self.bounded):
            if _bounded_leaf(node) or (node.op in _BOUNDED | _MOVES and _float_inputs_bounded(node, self.bounded)):
                self.bounded.add(node.id)
            return node
        rw.nodes.append(node)
        saturated = rw.add("Saturate", [node], {"limit": FLOAT16_MAX}, node.shape, node.dtype, node)
        self.bounded.add(saturated.id)
        if node.id in self.ahead:
            self.pending.append(self._sentinel(rw, node))
        return saturated

    def _sentinel(self, rw, node):
        """sum(x - x) in float32: 0, or NaN when some element of the unsaturated x is inf or NaN."""
        diff = rw.add("Sub", [node, node], {}, node.shape, node.dtype, node)
        wide = rw.add("Cast", [diff], {"dtype": FLOAT32}, node.shape, FLOAT32, node)
        if not node.shape:
            return wide
        axis = tuple(range(len(node.shape)))
        return rw.add("ReduceSum", [wide], {"axis": axis, "keep_dims": False}, (), FLOAT32, node)

    def _read(self, rw, node):
        """The verdict isfinite(s) becomes isfinite(s + register); the read clears the register."""
        if not self.pending:
            return node
        total = node.inputs[0]
        for s in self.pending:
            if s.dtype != total.dtype:
                s = rw.add("Cast", [s], {"dtype": total.dtype}, (), total.dtype, node)
            total = rw.add("Add", [total, s], {}, (), total.dtype, node)
        self.pending = []
        node.inputs = [total]
        return node


def float_status_pass():
    """The ``hwopt_d_float_status`` pass: (name, Graph -> Graph)."""

    def float_status(graph):
        if not any(n.dtype == FLOAT16 for n in graph.nodes if not n.is_leaf):
            return graph
        return _Rewriter(graph).run(_FloatStatus(graph).rewrite)

    return "hwopt_d_float_status", float_status
