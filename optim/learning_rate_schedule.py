"""Learning-rate schedules: Cells computing the learning rate from ``global_step`` inside the graph.

Each schedule's ``construct(global_step)`` is written with minispore ops, so passing one as an
optimizer's ``learning_rate`` traces it into the training graph at the optimizer's step counter.
``global_step`` is an int32 Tensor (shape ``()`` or ``(1,)``); it is cast to float32 and the
schedule computes in float32 with the same operations, in the same order, as MindSpore 2.x.
Called outside a graph (``sched(Tensor(3, ms.int32))``) a schedule compiles and runs like any Cell.
"""

import math

from .. import ops
from ..graph import dtype as mstype
from ..graph.cell import Cell
from .validate import (
    check_float_type,
    check_is_float,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
    check_value_type,
)


class LearningRateSchedule(Cell):
    """Base class: ``construct(global_step) -> learning rate`` (a float32 Tensor)."""

    def __init__(self):
        super().__init__()

    @property
    def cls_name(self):
        return type(self).__name__

    def construct(self, global_step):
        raise NotImplementedError(f"{type(self).__name__} must define construct(global_step)")


def _check_inputs(learning_rate, decay_rate, decay_steps, is_stair, cls_name):
    check_positive_int(decay_steps, "decay_steps", cls_name)
    check_positive_float(learning_rate, "learning_rate", cls_name)
    check_is_float(learning_rate, "learning_rate", cls_name)
    check_positive_float(decay_rate, "decay_rate", cls_name)
    check_is_float(decay_rate, "decay_rate", cls_name)
    check_value_type("is_stair", is_stair, [bool], cls_name)


def _step(global_step):
    return ops.cast(global_step, mstype.float32)


class _DecayLR(LearningRateSchedule):
    """Shared constructor of the (learning_rate, decay_rate, decay_steps, is_stair) schedules."""

    def __init__(self, learning_rate, decay_rate, decay_steps, is_stair=False):
        super().__init__()
        _check_inputs(learning_rate, decay_rate, decay_steps, is_stair, self.cls_name)
        self.learning_rate = learning_rate
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.is_stair = is_stair

    def extend_repr(self):
        return (f"learning_rate={self.learning_rate}, decay_rate={self.decay_rate}, "
                f"decay_steps={self.decay_steps}, is_stair={self.is_stair}")


class ExponentialDecayLR(_DecayLR):
    """lr = learning_rate * decay_rate ^ p, with p = global_step / decay_steps (floor(p) if is_stair)."""

    def construct(self, global_step):
        p = _step(global_step) / self.decay_steps
        if self.is_stair:
            p = ops.floor(p)
        return self.learning_rate * ops.pow(self.decay_rate, p)


class NaturalExpDecayLR(_DecayLR):
    """lr = learning_rate * e ^ (-decay_rate * p), with p = global_step, or
    floor(global_step / decay_steps) * decay_steps if is_stair.

    As in MindSpore's implementation (its docstring says p = global_step / decay_steps), the step
    is not divided by decay_steps: without is_stair, decay_steps has no effect."""

    def construct(self, global_step):
        p = _step(global_step)
        if self.is_stair:
            p = ops.floor(p / self.decay_steps) * self.decay_steps
        return self.learning_rate * ops.pow(math.e, -self.decay_rate * p)


class InverseDecayLR(_DecayLR):
    """lr = learning_rate / (1 + decay_rate * p), with p = global_step / decay_steps (floor(p) if is_stair)."""

    def construct(self, global_step):
        p = _step(global_step) / self.decay_steps
        if self.is_stair:
            p = ops.floor(p)
        # MindSpore evaluates ``number / Tensor`` as number * (1 / Tensor) in float32: written
        # that way, every golden value is bit-exact (a true division is 1 ulp off at some steps).
        return self.learning_rate * ops.reciprocal(1 + self.decay_rate * p)


class CosineDecayLR(LearningRateSchedule):
    """lr = min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * p / decay_steps)),
    with p = min(global_step, decay_steps)."""

    def __init__(self, min_lr, max_lr, decay_steps):
        super().__init__()
        check_float_type(min_lr, "min_lr", "CosineDecayLR")
        check_non_negative_float(min_lr, "min_lr", self.cls_name)
        check_positive_float(max_lr, "max_lr", self.cls_name)
        check_is_float(max_lr, "max_lr", self.cls_name)
        check_positive_int(decay_steps, "decay_steps", self.cls_name)
        if min_lr >= max_lr:
            raise ValueError("For 'CosineDecayLR', the 'max_lr' should be greater than the 'min_lr', "
                             f"but got 'max_lr' value: {max_lr}, 'min_lr' value: {min_lr}.")
        self.min_lr = min_lr
        self.max_lr = max_lr
        self.decay_steps = decay_steps
        self.delta = 0.5 * (max_lr - min_lr)  # in Python float64, then used as a float32 constant

    def construct(self, global_step):
        p = ops.cast(ops.minimum(global_step, self.decay_steps), mstype.float32)
        return self.min_lr + self.delta * (1.0 + ops.cos(math.pi * p / self.decay_steps))

    def extend_repr(self):
        return f"min_lr={self.min_lr}, max_lr={self.max_lr}, decay_steps={self.decay_steps}"


class PolynomialDecayLR(LearningRateSchedule):
    """lr = (learning_rate - end_learning_rate) * (1 - step / D) ^ power + end_learning_rate.

    Without update_decay_steps: step = min(global_step, decay_steps), D = decay_steps. With it:
    step = global_step and D = decay_steps * max(ceil(global_step / decay_steps), 1), so the decay
    restarts every decay_steps steps."""

    def __init__(self, learning_rate, end_learning_rate, decay_steps, power, update_decay_steps=False):
        super().__init__()
        # MindSpore names no class for these two checks; minispore does, like the others
        check_positive_float(learning_rate, "learning_rate", self.cls_name)
        check_is_float(learning_rate, "learning_rate", self.cls_name)
        check_float_type(end_learning_rate, "end_learning_rate", "PolynomialDecayLR")
        check_non_negative_float(end_learning_rate, "end_learning_rate", self.cls_name)
        check_positive_int(decay_steps, "decay_steps", self.cls_name)
        check_value_type("update_decay_steps", update_decay_steps, [bool], self.cls_name)
        check_positive_float(power, "power", self.cls_name)
        check_is_float(power, "power", self.cls_name)
        self.decay_steps = decay_steps
        self.start_learning_rate = learning_rate
        self.end_learning_rate = end_learning_rate
        self.diff_learning_rate = learning_rate - end_learning_rate  # float64, as MindSpore
        self.power = power
        self.update_decay_steps = update_decay_steps

    def construct(self, global_step):
        step = _step(global_step)
        decay_steps = self.decay_steps
        if self.update_decay_steps:
            decay_steps = decay_steps * ops.maximum(ops.ceil(step / decay_steps), 1)
        else:
            step = ops.minimum(step, decay_steps)
        p = step / decay_steps
        return self.diff_learning_rate * ops.pow(1.0 - p, self.power) + self.end_learning_rate

    def extend_repr(self):
        return (f"learning_rate={self.start_learning_rate}, end_learning_rate={self.end_learning_rate}, "
                f"decay_steps={self.decay_steps}, power={self.power}, "
                f"update_decay_steps={self.update_decay_steps}")


class WarmUpLR(LearningRateSchedule):
    """lr = learning_rate * min(global_step, warmup_steps) / warmup_steps (0.0 at step 0)."""

    def __init__(self, learning_rate, warmup_steps):
        super().__init__()
        check_float_type(learning_rate, "learning_rate", "WarmUpLR")
        check_non_negative_float(learning_rate, "learning_rate", self.cls_name)
        check_positive_int(warmup_steps, "warmup_steps", self.cls_name)
        self.warmup_steps = warmup_steps
        self.learning_rate = learning_rate

    def construct(self, global_step):
        warmup_percent = ops.cast(ops.minimum(global_step, self.warmup_steps), mstype.float32) / self.warmup_steps
        return self.learning_rate * warmup_percent

    def extend_repr(self):
        return f"learning_rate={self.learning_rate}, warmup_steps={self.warmup_steps}"


__all__ = ["LearningRateSchedule", "ExponentialDecayLR", "NaturalExpDecayLR", "InverseDecayLR", "CosineDecayLR",
           "PolynomialDecayLR", "WarmUpLR"]
