"""AdamWeightDecay (MindSpore's ``nn.AdamWeightDecay``): Adam with decoupled weight decay."""

import numpy as np

from .. import ops
from ..ops.state import assign
from .adam import f32
from .optimizer import Optimizer
from .validate import check_betas_eps


class AdamWeightDecay(Optimizer):
    r"""Adam with decoupled weight decay and no bias correction:

    .. math::
        m = \beta_1 m + (1 - \beta_1) g,\quad v = \beta_2 v + (1 - \beta_2) g^2,\quad
        w = w - \gamma \left(\frac{m}{\sqrt{v} + \epsilon} + \lambda w\right)

    The decay :math:`\lambda w` is part of the update (not added to the gradient), for the
    parameters the weight-decay filter selects (ungrouped: names without 'beta'/'gamma').
    There is no ``loss_scale`` argument: the gradient is used as given, and gradient
    centralization is not applied (as MindSpore). State: ``adam_m.<name>``, ``adam_v.<name>``.
    """

    grad_transforms = ()  # decay is decoupled (applied in _apply); no loss scale, no centralization

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        check_betas_eps("AdamWeightDecay", beta1, beta2, eps)
        self.beta1, self.beta2, self.eps = f32(beta1), f32(beta2), f32(eps)
        self._one_minus_beta1 = f32(np.float32(1) - np.float32(beta1))
        self._one_minus_beta2 = f32(np.float32(1) - np.float32(beta2))
        self.moments1 = self._state("adam_m")
        self.moments2 = self._state("adam_v")

    def _apply(self, i, param, grad, lr):
        m = self.moments1[i] * self.beta1 + grad * self._one_minus_beta1
        v = self.moments2[i] * self.beta2 + grad * grad * self._one_minus_beta2
        update = m / (ops.sqrt(v) + self.eps)
        wd = self.decay_at(i)
        if not (isinstance(wd, float) and wd == 0.0):
            update = update + param * wd
        assign(param, param - lr * update)
        assign(self.moments1[i], m)
        assign(self.moments2[i], v)
