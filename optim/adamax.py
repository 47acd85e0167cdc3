"""AdaMax (MindSpore's ``nn.AdaMax``): Adam with the infinity norm."""

import numpy as np

from .. import ops
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from ..ops.state import assign
from .adam import f32
from .optimizer import Optimizer
from .validate import check_betas_eps


class AdaMax(Optimizer):
    r"""AdaMax (Kingma & Ba, section 7.1).

    .. math::
        m = \beta_1 m + (1 - \beta_1) g,\quad v = \max(\beta_2 v, |g|),\quad
        w = w - \frac{l}{1 - \beta_1^t} \frac{m}{v + \epsilon}

    ``beta1_power`` (shape [1]) is multiplied by beta1 before use, so t starts at 1.
    State: ``beta1_power``, ``moment1.<name>``, ``moment2.<name>``.
    """

    def __init__(self, params, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.0,
                 loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        check_betas_eps("AdaMax", beta1, beta2, eps)
        self.beta1, self.beta2, self.eps = f32(beta1), f32(beta2), f32(eps)
        self._one_minus_beta1 = f32(np.float32(1) - np.float32(beta1))
        self.beta1_power = Parameter(Tensor(np.ones(1, np.float32)), name="beta1_power", requires_grad=False)
        self.moment1 = self._state("moment1")
        self.moment2 = self._state("moment2")
        self._beta1_power = None

    def construct(self, gradients):
        beta1_power = self.beta1_power * self.beta1
        self._beta1_power = ops.reshape(beta1_power, ())  # the new power, read by every _apply
        try:
            out = super().construct(gradients)
        finally:
            self._beta1_power = None
        assign(self.beta1_power, beta1_power)
        return out

    def _apply(self, i, param, grad, lr):
        m = self.moment1[i] * self.beta1 + grad * self._one_minus_beta1
        v = ops.maximum(self.moment2[i] * self.beta2, ops.abs(grad))
        assign(param, param - lr / (1.0 - self._beta1_power) * m / (v + self.eps))
        assign(self.moment1[i], m)
        assign(self.moment2[i], v)
