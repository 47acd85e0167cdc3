"""ASGD: averaged stochastic gradient descent (MindSpore's ``nn.ASGD``)."""

import numpy as np

from .. import ops
from ..graph import dtype as mstype
from ..graph.parameter import Parameter, ParameterTuple
from ..graph.tensor import Tensor
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_float


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky). With t = the global step after this step's increment
    (1, 2, ...), per parameter:

    .. math::
        \eta = lr \text{ at } t = 1;\quad
        w = w (1 - \lambda \eta) - \eta g;\quad
        ax = w \text{ if } \mu = 1 \text{ else } ax + (w - ax) \mu;\\
        \eta = \frac{lr}{(1 + \lambda\, lr\, t)^{\alpha}};\quad \mu = \frac{1}{\max(1, t - t_0)}

    (eta and mu are updated after the step, so the step uses the previous step's values). Each
    parameter uses its group's learning rate. State: ``mu_<name>`` and ``eta_<name>`` (scalars,
    mu starting at 1, eta at 0) and ``ax_.<name>`` (the averaged parameter, starting at 0).
    ASGD has no ``loss_scale`` argument.
    """

    def __init__(self, params, learning_rate=0.1, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        # MindSpore checks only that these are floats (any sign). NaN is refused; t0 = +inf is allowed:
        # it means "never start averaging" (mu stays 1).
        check_float("ASGD", "lambd", lambd)
        check_float("ASGD", "alpha", alpha)
        check_float("ASGD", "t0", t0, allow_inf=True)
        self.lambd = lambd
        self.alpha = alpha
        self.t0 = t0
        self.mu = ParameterTuple(Parameter(Tensor(np.float32(1.0)), name=f"mu_{p.name}", requires_grad=False)
                                 for p in self.parameters)
        self.eta = ParameterTuple(Parameter(Tensor(np.float32(0.0)), name=f"eta_{p.name}", requires_grad=False)
                                  for p in self.parameters)
        self.ax = self._state("ax_", init="zeros")

    def construct(self, gradients):
        # t is read before get_lr() increments global_step (a Parameter may not be read after its Assign).
        self._t = ops.reshape(ops.cast(self.global_step, mstype.float32), ()) + 1.0
        return super().construct(gradients)

    def _apply(self, i, param, grad, lr):
        t = self._t
        eta = ops.select(t == 1.0, lr, self.eta[i])
        mu = self.mu[i]
        new = param * (1.0 - eta * self.lambd) - eta * grad
        ax = self.ax[i]
        new_ax = ops.select(mu == 1.0, new, ax + (new - ax) * mu)
        assign(param, new)
        assign(self.ax[i], new_ax)
        assign(self.eta[i], lr / ops.pow(1.0 + t * lr * self.lambd, self.alpha))
        assign(self.mu[i], 1.0 / ops.maximum(t - self.t0, 1.0))
