"""Adadelta (MindSpore's ``nn.Adadelta``)."""

import numpy as np

from .. import ops
from ..ops.state import assign
from .adam import f32
from .optimizer import Optimizer
from .validate import check_float


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012):

    .. math::
        a = \rho a + (1 - \rho) g^2,\quad
        u = \frac{\sqrt{a_u + \epsilon}}{\sqrt{a + \epsilon}} g,\quad
        a_u = \rho a_u + (1 - \rho) u^2,\quad w = w - \gamma u

    ``rho`` in [0, 1], ``epsilon`` >= 0. State: ``accum.<name>`` (a) and ``accum_update.<name>`` (a_u),
    both starting at 0.
    """

    def __init__(self, params, learning_rate=1.0, rho=0.9, epsilon=1e-6, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        # MindSpore: rho in [0.0, 1.0] (both ends allowed), epsilon >= 0.0
        check_float("Adadelta", "rho", rho, 0.0, 1.0)
        check_float("Adadelta", "epsilon", epsilon, lo=0.0)
        self.rho = rho
        self.epsilon = epsilon
        self._rho, self._eps = f32(rho), f32(epsilon)
        self._one_minus_rho = f32(np.float32(1) - np.float32(rho))
        self.accum = self._state("accum")
        self.accum_update = self._state("accum_update")

    def _apply(self, i, param, grad, lr):
        accum = self.accum[i] * self._rho + grad * grad * self._one_minus_rho
        update = ops.sqrt(self.accum_update[i] + self._eps) / ops.sqrt(accum + self._eps) * grad
        accum_update = self.accum_update[i] * self._rho + update * update * self._one_minus_rho
        assign(param, param - lr * update)
        assign(self.accum[i], accum)
        assign(self.accum_update[i], accum_update)
