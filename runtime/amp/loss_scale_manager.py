"""Loss scaling's host-side API, with MindSpore's names, arguments, algorithms and errors:

* the managers ``Model`` takes (``mindspore.amp``/``mindspore.train``): ``LossScaleManager``,
  ``FixedLossScaleManager`` and ``DynamicLossScaleManager``. ``get_update_cell()`` gives the update cell
  that ``nn.TrainOneStepWithLossScaleCell`` runs inside the compiled step; ``update_loss_scale`` is the
  same algorithm on the host (``Model`` calls it after every step, as MindSpore does);
* the functional scalers of ``mindspore.amp`` for hand-written training steps: ``LossScaler``,
  ``StaticLossScaler`` and ``DynamicLossScaler`` (``scale``/``unscale``/``adjust``), with
  ``all_finite`` (``nn/loss_scale.py``) for the overflow check. Their state (``scale_value``, ``counter``)
  is Parameters: traced into a step they are graph state, called from the host ``adjust`` runs compiled.
"""

from abc import ABC, abstractmethod

from ... import nn, ops
from ...graph import dtype as mstype
from ...graph import executor_hook, trace
from ...graph.parameter import Parameter
from ...graph.tensor import Tensor
from ...nn.loss_scale import all_finite


def _check_value_type(name, value, types):
    """MindSpore's Validator.check_value_type (a bool is not an int here)."""
    if isinstance(value, bool) or not isinstance(value, types):
        names = [t.__name__ for t in types]
        raise TypeError(f"The type of `{name}` should be {'one of ' if len(names) > 1 else ''}"
                        f"'{names if len(names) > 1 else names[0]}', but got '{value}' with type "
                        f"'{type(value).__name__}'.")
    return value


def _check_positive_int(value, name, prim=None):
    """MindSpore's Validator.check_positive_int."""
    where = f"`{name}`" + (f" in `{prim}`" if prim else "")
    if not isinstance(value, int):
        raise TypeError(f"{where} must be int, but got `{type(value).__name__}`")
    if isinstance(value, bool) or value <= 0:
        error = TypeError if isinstance(value, bool) else ValueError
        raise error(f"{where} should be int and must > 0, but got `{value}` with type `{type(value).__name__}`.")
    return value


class LossScaleManager:
    """Base class of loss-scale managers: ``get_loss_scale()``, ``update_loss_scale(overflow)``,
    ``get_update_cell()`` (the Cell the training step calls to update the scale)."""

    def get_loss_scale(self):
        """The current loss scale."""

    def update_loss_scale(self, overflow):
        """Update the loss scale after a step that did (``overflow=True``) or did not overflow."""

    def get_update_cell(self):
        """The update Cell run by ``nn.TrainOneStepWithLossScaleCell`` (None: no overflow handling)."""


class FixedLossScaleManager(LossScaleManager):
    """``FixedLossScaleManager(loss_scale=128.0, drop_overflow_update=True)``: a constant scale.

    ``drop_overflow_update=True``: the step is skipped on overflow (``get_update_cell()`` is a
    ``nn.FixedLossScaleUpdateCell``). False: no overflow check at all; ``Model`` builds
    ``nn.TrainOneStepCell(..., sens=loss_scale)`` and the optimizer's own ``loss_scale`` (which must
    equal this one) divides the gradients back.
    """

    def __init__(self, loss_scale=128.0, drop_overflow_update=True):
        if loss_scale < 1:
            raise ValueError(f"The argument 'loss_scale' must be >= 1, but got {loss_scale}")
        self._loss_scale = loss_scale
        self._drop_overflow_update = drop_overflow_update

    def get_loss_scale(self):
        return self._loss_scale

    def get_drop_overflow_update(self):
        """Whether a step with overflow is skipped."""
        return self._drop_overflow_update

    def update_loss_scale(self, overflow):
        """The scale is fixed: nothing to do."""

    def get_update_cell(self):
        """``nn.FixedLossScaleUpdateCell(loss_scale)``, or None when ``drop_overflow_update`` is False."""
        if not self._drop_overflow_update:
            return None
        return nn.FixedLossScaleUpdateCell(self._loss_scale)


class DynamicLossScaleManager(LossScaleManager):
    """``DynamicLossScaleManager(init_loss_scale=2**24, scale_factor=2, scale_window=2000)``.

    ``update_loss_scale(overflow)`` (the iteration counter starts at 1): on overflow
    ``scale = max(scale / scale_factor, 1)`` and the overflow's iteration is remembered; otherwise the scale
    is multiplied by ``scale_factor`` when ``(iteration - last overflow iteration) % scale_window == 0``.
    More than 1000 overflows in a row raise a RuntimeError. ``get_update_cell()`` is the same algorithm
    as a ``nn.DynamicLossScaleUpdateCell`` run inside the training step.
    """

    def __init__(self, init_loss_scale=2 ** 24, scale_factor=2, scale_window=2000):
        if init_loss_scale < 1.0:
            raise ValueError(f"The argument 'init_loss_scale' must be > 1, but got {init_loss_scale}")
        self.loss_scale = init_loss_scale
        _check_positive_int(scale_window, "scale_window", type(self).__name__)
        self.scale_window = scale_window
        if scale_factor <= 0:
            raise ValueError(f"The argument 'scale_factor' must be > 0, but got {scale_factor}")
        self.scale_factor = scale_factor
        self.increase_ratio = scale_factor
        self.decrease_ratio = 1 / scale_factor
        self.cur_iter = 1
        self.last_overflow_iter = 0
        self.bad_step_max = 1000
        self.bad_step = 0

    def get_loss_scale(self):
        return self.loss_scale

    def update_loss_scale(self, overflow):
        if overflow:
            self.loss_scale = max(self.loss_scale * self.decrease_ratio, 1)
            self.last_overflow_iter = self.cur_iter
            self.bad_step += 1
        else:
            if (self.cur_iter - self.last_overflow_iter) % self.scale_window == 0:
                self.loss_scale *= self.increase_ratio
            self.bad_step = 0
        if self.bad_step > self.bad_step_max:
            raise RuntimeError("Dynamic loss scale Continuous overflow ", self.bad_step,
                               " times, has exceeded maximum threshold.")
        self.cur_iter += 1

    def get_drop_overflow_update(self):
        """Always True: a step with overflow is skipped."""
        return True

    def get_update_cell(self):
        return nn.DynamicLossScaleUpdateCell(self.loss_scale, self.scale_factor, self.scale_window)


# ---- the functional scalers (mindspore.amp) -------------------------------------------------------

def _hypermap(fn, inputs):
    """``fn`` over a Tensor or every Tensor of (nested) tuples/lists (returned as tuples)."""
    if isinstance(inputs, (tuple, list)):
        return tuple(_hypermap(fn, x) for x in inputs)
    return fn(inputs)


class LossScaler(ABC):
    """Base class of the functional loss scalers: ``scale(inputs)``, ``unscale(inputs)``,
    ``adjust(grads_finite)``."""

    @abstractmethod
    def scale(self, inputs):
        """``inputs`` (a loss or gradients) multiplied by the scale."""

    @abstractmethod
    def unscale(self, inputs):
        """``inputs`` multiplied by 1/scale."""

    @abstractmethod
    def adjust(self, grads_finite):
        """Update the scale after a step whose gradients were (or were not) all finite."""


def _scale_parameter(scale_value):
    _check_value_type("scale_value", scale_value, (float, int))
    if scale_value < 1.0:
        raise ValueError(f"The argument 'scale_value' must be > 1, but got {scale_value}")
    return Parameter(Tensor(scale_value, dtype=mstype.float32), name="scale_value", requires_grad=False)


def _scale(scale_value, inputs):
    return _hypermap(lambda x: x * ops.cast(scale_value, x.dtype), inputs)


def _unscale(scale_value, inputs):
    return _hypermap(lambda x: x * ops.cast(ops.reciprocal(scale_value), x.dtype), inputs)


class StaticLossScaler(LossScaler):
    """``amp.StaticLossScaler(scale_value)``: scale and unscale by a constant; ``adjust`` returns False."""

    def __init__(self, scale_value):
        self.scale_value = _scale_parameter(scale_value)

    def scale(self, inputs):
        return _scale(self.scale_value, inputs)

    def unscale(self, inputs):
        return _unscale(self.scale_value, inputs)

    def adjust(self, grads_finite):
        return False


class DynamicLossScaler(LossScaler):
    """``amp.DynamicLossScaler(scale_value, scale_factor, scale_window)`` (no defaults, as MindSpore).

    ``adjust(grads_finite)`` (a bool scalar Tensor, e.g. ``amp.all_finite(grads)``), with the Parameters
    ``scale_value`` and ``counter`` (starts at 0)::

        finite:     scale *= scale_factor if counter == scale_window - 1 and scale * scale_factor is finite
        not finite: scale = max(1, scale / scale_factor)
        counter = ((counter + 1) % scale_window) if finite else 0

    Returns True. Inside a traced step it adds these updates to the step's graph; called from the host
    it runs them compiled (once per type of ``grads_finite``).
    """

    def __init__(self, scale_value, scale_factor, scale_window):
        self.scale_value = _scale_parameter(scale_value)
        self.scale_window = _check_positive_int(scale_window, "scale_window")
        self.scale_factor = _check_positive_int(scale_factor, "scale_factor")
        self.counter = Parameter(Tensor(0, dtype=mstype.int32), name="counter", requires_grad=False)
        self._adjust_graphs = executor_hook.CompileCache()

    def scale(self, inputs):
        return _scale(self.scale_value, inputs)

    def unscale(self, inputs):
        return _unscale(self.scale_value, inputs)

    def adjust(self, grads_finite):
        if trace.current() is None:
            executor_hook.run_compiled(self._adjust_graphs, self._adjust, (grads_finite,), "DynamicLossScaler_adjust")
        else:
            self._adjust(grads_finite)
        return True

    def _adjust(self, grads_finite):
        finite = grads_finite if isinstance(grads_finite, Tensor) else Tensor(bool(grads_finite))
        if finite.dtype != mstype.bool_:
            finite = ops.not_equal(finite, 0)
        grown = self.scale_value * self.scale_factor
        grown = ops.select(all_finite(grown), grown, self.scale_value)
        at_window = ops.equal(self.counter, self.scale_window - 1)
        shrunk = ops.maximum(1.0, self.scale_value / self.scale_factor)
        ops.assign(self.scale_value, ops.select(finite, ops.select(at_window, grown, self.scale_value), shrunk))
        step = self.counter + 1
        step = ops.select(ops.greater_equal(step, self.scale_window), 0, step)  # (counter + 1) % scale_window
        ops.assign(self.counter, ops.select(finite, step, 0))


__all__ = ["LossScaleManager", "FixedLossScaleManager", "DynamicLossScaleManager", "LossScaler",
           "StaticLossScaler", "DynamicLossScaler"]
