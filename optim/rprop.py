"""Rprop: resilient backpropagation (MindSpore's ``nn.Rprop``)."""

from .. import ops
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_float


def _check_pair(name, value):
    if not isinstance(value, tuple):
        raise TypeError(f"For 'Rprop', '{name}' must be a tuple, but got {type(value).__name__}")
    if len(value) != 2:
        raise ValueError(f"For 'Rprop', '{name}' must be a tuple with the size of 2, but got {len(value)}")


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun). Per element, with p the previous step's (masked) gradient:

    .. math::
        f = \eta_+ \text{ if } g p > 0,\; \eta_- \text{ if } g p < 0,\; 1 \text{ otherwise};\quad
        \Delta = \mathrm{clip}(\Delta f, \Delta_{min}, \Delta_{max});\\
        g' = 0 \text{ where } f = \eta_- \text{ else } g;\quad w = w - \mathrm{sign}(g') \Delta;\quad p = g'

    The learning rate (each group's) only initialises the step sizes: at the first step
    (global step 1) :math:`\Delta = lr` everywhere. State: ``prev.<name>`` and ``step_size.<name>``.
    Rprop has no ``loss_scale`` argument.
    """

    def __init__(self, params, learning_rate=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0), weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        _check_pair("etas", etas)
        _check_pair("step_sizes", step_sizes)
        check_float("Rprop", "etaminus", etas[0], 0.0, 1.0, lo_open=True, hi_open=True)
        check_float("Rprop", "etaplus", etas[1])
        if etas[1] <= 1.0:
            raise ValueError(f"For 'Rprop', etaplus must be greater than 1.0, but got etaplus {etas[1]}")
        # Types first (MindSpore compares the sizes first, so a str gives Python's own TypeError).
        # The maximal step size may be +inf: no upper clip.
        check_float("Rprop", "min_step_sizes", step_sizes[0])
        check_float("Rprop", "max_step_sizes", step_sizes[1], allow_inf=True)
        if step_sizes[0] > step_sizes[1]:
            raise ValueError("For 'Rprop', maximal step size should not be less than minimal step size, but got "
                             f"{step_sizes[0]} > {step_sizes[1]}")
        self.etaminus, self.etaplus = etas
        self.step_size_min, self.step_size_max = step_sizes
        self.prev = self._state("prev", init="zeros")
        self.step_size = self._state("step_size", init="zeros")

    def construct(self, gradients):
        # Read before get_lr() increments global_step: is this the first step (global step 1)?
        self._first = self.global_step == 0
        return super().construct(gradients)

    def _apply(self, i, param, grad, lr):
        step_size = ops.select(self._first, ops.zeros_like(param) + lr, self.step_size[i])
        s = ops.sign(grad * self.prev[i])
        factor = ops.select(s > 0, ops.fill(param.dtype, param.shape, self.etaplus),
                            ops.select(s < 0, ops.fill(param.dtype, param.shape, self.etaminus),
                                       ops.ones_like(param)))
        step_size = ops.minimum(ops.maximum(step_size * factor, self.step_size_min), self.step_size_max)
        grad = ops.select(s < 0, ops.zeros_like(grad), grad)
        assign(param, param - ops.sign(grad) * step_size)
        assign(self.prev[i], grad)
        assign(self.step_size[i], step_size)
