"""Loss scaling inside the one compiled training step: the overflow check ``all_finite``, the update cells
(``FixedLossScaleUpdateCell``, ``DynamicLossScaleUpdateCell``) and ``TrainOneStepWithLossScaleCell``.

MindSpore's algorithm, step by step, all traced into one graph:
  loss = network(*inputs); grads = d(loss)/d(weights) seeded with ``ones_like(loss) * scale`` (so the
  returned loss is unscaled); grads *= 1/scale (cast to each gradient's dtype); grad_reducer;
  overflow = any non-finite element in any gradient; the update cell adjusts the scale (an Assign on
  the ``scale_sense`` Parameter); the optimizer step runs only without overflow.
The skip is ``trace.assign_condition(not overflow)``: every Assign the optimizer traces (parameters, its
state, ``global_step``) writes ``select(ok, new, old)``, which the fusion pass puts inside each update
kernel. No host control flow, no recompilation when the scale changes (it is a Parameter).

MindSpore's CPU build has no kernel for the overflow check (it refuses these cells on CPU); minispore
checks with ``x * 0`` summed per gradient (NaN exactly when some element is inf or NaN), which is
MindSpore's IsFinite-based check (``amp.all_finite``) and runs on every target. The verdict is one
``AllFinite`` node (``ops/float_status.py``), where a target with a float-status register adds what the
register saw: on Ascend, float16 results saturate instead of becoming inf, and the register records
the overflow (``backends/ascend/saturation.py``). As MindSpore's cell does, the register is cleared
once the forward loss is computed (``start_overflow_check``), so only the backward's overflow counts.
"""

import numpy as np

from .. import ops
from ..graph import dtype as mstype
from ..graph import executor_hook, trace
from ..graph.cell import Cell
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from ..ops.float_status import clear_float_status, overflow_verdict
from ..ops.row_tensor import RowTensor
from .wrap import TrainOneStepCell


def _values(x):
    return x.values if isinstance(x, RowTensor) else x


def all_finite(inputs, status=None):
    """A bool scalar Tensor: whether every element of every Tensor in ``inputs`` (a Tensor, or a tuple/list
    of Tensors or RowTensors, whose values are checked) is finite (MindSpore's ``amp.all_finite``).
    ``status`` is accepted for compatibility and ignored. The check reads the values on every target; on
    Ascend, traced in a graph, it also reads the float-status register: whether a float16 result
    saturated since the register was last cleared or read (the verdict is the ``AllFinite`` node of
    ``ops/float_status.py``). Works inside a traced graph and eagerly."""
    if isinstance(inputs, (Tensor, RowTensor)):
        inputs = (inputs,)
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(f"For 'all_finite', 'inputs' must be a tuple or list of Tensors, but got "
                        f"{type(inputs).__name__}")
    total = None
    for x in inputs:
        x = _values(x)
        if not isinstance(x, Tensor):
            raise TypeError(f"For 'all_finite', every input must be a Tensor, but got {type(x).__name__}")
        if not x.dtype.is_floating:
            continue  # integers are always finite
        with np.errstate(invalid="ignore"):  # (eagerly, numpy would warn about inf * 0)
            # x * 0 is 0 for a finite element and NaN for inf or NaN; their sum is NaN exactly when one is
            zeros = ops.cast(ops.reduce_sum(x * 0.0), mstype.float32)
            total = zeros if total is None else total + zeros
    if total is None:
        return Tensor(np.array(True))
    return overflow_verdict(total)  # isfinite(total): total is 0, or NaN when some element is not finite


class _UpdateCell(Cell):
    """Base of the update cells: ``cell(loss_scale, overflow) -> overflow``. Called inside a training
    step, ``loss_scale`` is the step's ``scale_sense`` Parameter and the cell assigns the new scale to it.
    Called at the top level with a Parameter, it runs compiled with that Parameter as graph state (so
    its Assign updates it), one compiled graph per Parameter."""

    def __init__(self, loss_scale_value):
        super().__init__()
        self.loss_scale_value = loss_scale_value
        object.__setattr__(self, "_state_graphs", {})  # id(Parameter) -> (Parameter, CompileCache)

    def get_loss_scale(self):
        """The initial loss scale (``loss_scale_value``)."""
        return self.loss_scale_value

    def __call__(self, loss_scale, overflow):
        if trace.current() is not None or not isinstance(loss_scale, Parameter):
            return super().__call__(loss_scale, overflow)
        entry = self._state_graphs.get(id(loss_scale))
        if entry is None:
            entry = self._state_graphs[id(loss_scale)] = (loss_scale, executor_hook.CompileCache())

        def step(flag):
            return self._run_construct(loss_scale, flag)

        return executor_hook.run_compiled(entry[1], step, (overflow,), type(self).__name__, self.training)


class FixedLossScaleUpdateCell(_UpdateCell):
    """``nn.FixedLossScaleUpdateCell(loss_scale_value)``: the scale never changes; ``cell(loss_scale,
    overflow)`` returns ``overflow`` (the training step skips its update when it is True)."""

    def construct(self, _, overflow):
        return overflow


class DynamicLossScaleUpdateCell(_UpdateCell):
    """``nn.DynamicLossScaleUpdateCell(loss_scale_value, scale_factor, scale_window)``.

    ``cell(loss_scale, overflow)`` with MindSpore's algorithm, ``cur``/``last`` being the Parameters
    ``current_iterator_step`` (starts at 1) and ``last_overflow_iterator_step`` (starts at 0)::

        s1 = max(scale / factor, 1) if overflow else scale
        should_inc = scale_window <= cur - last
        last = cur if (overflow or should_inc) else last
        scale = s1 * factor if (should_inc and not overflow) else s1     (assigned to loss_scale)
        cur += 1

    so an overflow divides the scale by ``scale_factor`` (never below 1.0) and ``scale_window``
    overflow-free steps multiply it by ``scale_factor``. Returns ``overflow``.
    """

    def __init__(self, loss_scale_value, scale_factor, scale_window):
        super().__init__(loss_scale_value)
        self.scale_window = Tensor(scale_window, dtype=mstype.int32)
        self.scale_factor = Tensor(scale_factor, dtype=mstype.float32)
        self.cur_iter = Parameter(Tensor(1, dtype=mstype.int32), name="current_iterator_step", requires_grad=False)
        self.last_overflow_iter = Parameter(Tensor(0, dtype=mstype.int32), name="last_overflow_iterator_step",
                                            requires_grad=False)
        self.minimum_loss_scale = Tensor(1.0, dtype=mstype.float32)

    def construct(self, loss_scale, overflow):
        overflow = _as_flag(overflow)
        on_overflow = ops.maximum(loss_scale * ops.reciprocal(self.scale_factor), self.minimum_loss_scale)
        scale_on_overflow = ops.select(overflow, on_overflow, loss_scale)
        should_inc = ops.less_equal(self.scale_window, self.cur_iter - self.last_overflow_iter)
        last_iter_cond = ops.logical_or(overflow, should_inc)
        ops.assign(self.last_overflow_iter, ops.select(last_iter_cond, self.cur_iter, self.last_overflow_iter))
        update_scale_cond = ops.logical_and(should_inc, ops.logical_not(overflow))
        new_scale = ops.select(update_scale_cond, scale_on_overflow * self.scale_factor, scale_on_overflow)
        ops.assign(loss_scale, new_scale)
        ops.assign(self.cur_iter, self.cur_iter + 1)
        return overflow


def _as_flag(overflow):
    """``overflow`` as a bool Tensor (a Python bool, or a Tensor of any dtype: nonzero is True)."""
    if not isinstance(overflow, Tensor):
        return Tensor(np.array(bool(overflow)))
    return overflow if overflow.dtype == mstype.bool_ else ops.not_equal(overflow, 0)


class TrainOneStepWithLossScaleCell(TrainOneStepCell):
    """``nn.TrainOneStepWithLossScaleCell(network, optimizer, scale_sense)``: one loss-scaled training step,
    returning ``(loss, overflow, loss_scale)`` (the loss unscaled, the bool overflow flag, the scale this
    step used).

    ``scale_sense`` is an update cell (``FixedLossScaleUpdateCell``/``DynamicLossScaleUpdateCell``, e.g.
    a manager's ``get_update_cell()``; its initial scale becomes the float32 Parameter ``scale_sense``,
    which it updates inside the step) or a Tensor of shape () or (1,) (the Parameter ``scale_sense``,
    changed from the host with ``set_sense_scale``). Either way the optimizer update (parameters, state
    and ``global_step``) is skipped on overflow, inside the compiled step; a new scale never recompiles.
    """

    def __init__(self, network, optimizer, scale_sense):
        super().__init__(network, optimizer, sens=None)
        self.loss_scaling_manager = None
        if isinstance(scale_sense, Cell):
            self.loss_scaling_manager = scale_sense
            self.scale_sense = Parameter(Tensor(scale_sense.get_loss_scale(), dtype=mstype.float32),
                                         name="scale_sense", requires_grad=False)
        elif isinstance(scale_sense, Tensor):
            if scale_sense.shape not in ((1,), ()):
                raise ValueError(f"For 'TrainOneStepWithLossScaleCell', the shape of 'scale_sense' must be (1,) "
                                 f"or (), but got {scale_sense.shape}.")
            self.scale_sense = Parameter(scale_sense.asnumpy(), name="scale_sense", requires_grad=False)
        else:
            raise TypeError(f"For 'TrainOneStepWithLossScaleCell', the 'scale_sense' must be Cell or Tensor, but got "
                            f"'scale_sense' type: {type(scale_sense)}.")

    def set_sense_scale(self, sens):
        """Set the loss scale (a Tensor of the scale's shape and dtype) without recompiling."""
        if not isinstance(sens, Tensor):
            raise TypeError(f"For 'TrainOneStepWithLossScaleCell', the type of 'sens' must be Tensor, but got "
                            f"{type(sens)}")
        self.scale_sense.set_data(sens)

    def construct(self, *inputs):
        scale_used = self.scale_sense * 1  # this step's scale (a copy: the update cell overwrites the Parameter)
        scale = ops.reshape(self.scale_sense, ())
        status = None

        def sens(loss):  # called between the forward and the backward: the float status is cleared there
            nonlocal status
            status, scaling_sens = self.start_overflow_check(loss, scale)
            return ops.cast(scaling_sens, loss.dtype)

        loss, grads = self._value_and_grad(inputs, sens)
        grads = tuple(_unscale(scale, g) for g in grads)
        if self.grad_reducer is not None:
            grads = self.grad_reducer(grads)
        cond = self.get_overflow_status(status, grads)
        overflow = self.process_loss_scale(cond)
        with trace.assign_condition(ops.logical_not(_as_flag(overflow))):
            loss = ops.depend(loss, self.optimizer(grads))
        return loss, cond, scale_used

    def start_overflow_check(self, pre_cond, compute_input):
        """MindSpore's ``(status, compute_input)``: the float-status register is cleared once ``pre_cond``
        (the loss) is computed, and ``compute_input`` (the scale seeding the backward) is read after the
        clear, so an overflow of the forward pass alone does not skip the step. ``status`` is MindSpore's
        int32 (8,) status Tensor, here only passed on to ``get_overflow_status``."""
        return Tensor(np.zeros(8, np.int32)), clear_float_status(compute_input, pre_cond)

    def get_overflow_status(self, status, compute_output):
        """Whether the computation since ``start_overflow_check`` overflowed: a bool scalar Tensor, True when
        some element of ``compute_output`` (the gradients) is inf or NaN, or (on Ascend) the float-status
        register saw a float16 result saturate (``all_finite``). ``status`` is ignored. In data parallel the
        flag is reduced over the ranks (true if any rank overflowed), so every rank skips the step together."""
        overflow = ops.logical_not(all_finite(compute_output))
        if self.grad_reducer is not None:
            overflow = self.grad_reducer.reduce_flag(overflow)
        return overflow

    def process_loss_scale(self, overflow):
        """The update cell's verdict on ``overflow`` (it adjusts the scale); ``overflow`` without one."""
        if self.loss_scaling_manager is not None:
            return self.loss_scaling_manager(self.scale_sense, overflow)
        return overflow


def _unscale(scale, grad):
    """grad * (1/scale), the reciprocal cast to the gradient's dtype (MindSpore's ``_grad_scale``)."""
    if isinstance(grad, RowTensor):
        return grad.with_values(_unscale(scale, grad.values))
    return grad * ops.cast(ops.reciprocal(scale), grad.dtype)


__all__ = ["all_finite", "FixedLossScaleUpdateCell", "DynamicLossScaleUpdateCell", "TrainOneStepWithLossScaleCell"]
