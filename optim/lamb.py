"""Lamb: layer-wise adaptive moments (MindSpore's ``nn.Lamb``).

MindSpore's CPU build has no Lamb kernel; minispore implements the formula of MindSpore's GPU kernel
(LambGpuKernelMod, the same as MindSpore 1.x's composite Lamb), which is the docstring's
:math:`\\phi`-scaled trust ratio made concrete.
"""

from .. import ops
from ..graph import dtype as mstype
from ..ops.state import assign
from .adam import f32
from .optimizer import Optimizer
from .transforms import CENTRALIZE
from .validate import check_betas_eps


def _norm(x):
    return ops.sqrt(ops.reduce_sum(x * x))


class Lamb(Optimizer):
    r"""Lamb (You et al.). With t = the global step after this step's increment (1, 2, ...):

    .. math::
        m = \beta_1 m + (1 - \beta_1) g;\quad v = \beta_2 v + (1 - \beta_2) g^2;\quad
        \hat m = \frac{m}{1 - \beta_1^t};\quad \hat v = \frac{v}{1 - \beta_2^t};\\
        r = \frac{\hat m}{\sqrt{\hat v} + \epsilon} + \lambda w;\quad
        \hat r = \frac{\hat m}{\sqrt{\hat v + \epsilon}} + \lambda w;\quad
        \rho = \mathrm{clip}\Big(\frac{\|w\|}{\|\hat r\|}, 0, 10\Big)
        \text{ if } \|w\| > 0 \text{ and } \|\hat r\| > 0 \text{ else } 1;\quad w = w - lr\, \rho\, r

    The weight decay :math:`\lambda` is decoupled (it enters r, never the gradient) and, without
    groups, skips parameters whose name contains 'beta' or 'gamma'. As in MindSpore's kernel, the
    trust-ratio norm uses :math:`\sqrt{\hat v + \epsilon}` (:math:`\hat r`) while the update uses
    :math:`\sqrt{\hat v} + \epsilon` (r), and the ratio is clipped to [0, 10]. Lamb has no
    ``loss_scale`` argument. State: ``lamb_m.<name>``, ``lamb_v.<name>``.
    """

    # Lamb's weight decay is decoupled (in the update) and it has no loss scale: only gradient
    # centralization applies to the gradients.
    grad_transforms = (CENTRALIZE,)

    def __init__(self, params, learning_rate, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        check_betas_eps("Lamb", beta1, beta2, eps)
        self.beta1, self.beta2, self.eps = f32(beta1), f32(beta2), f32(eps)
        self.moments1 = self._state("lamb_m", init="zeros")
        self.moments2 = self._state("lamb_v", init="zeros")

    def construct(self, gradients):
        # t is read before get_lr() increments global_step (a Parameter may not be read after its Assign).
        self._t = ops.reshape(ops.cast(self.global_step, mstype.float32), ()) + 1.0
        return super().construct(gradients)

    def _apply(self, i, param, grad, lr):
        t, wd = self._t, self.decay_at(i)
        m = self.moments1[i] * self.beta1 + grad * (1.0 - self.beta1)
        v = self.moments2[i] * self.beta2 + grad * grad * (1.0 - self.beta2)
        m_hat = m / (1.0 - ops.pow(self.beta1, t))
        v_hat = v / (1.0 - ops.pow(self.beta2, t))
        update = m_hat / (ops.sqrt(v_hat) + self.eps)
        g_hat = m_hat / ops.sqrt(v_hat + self.eps)
        if not (isinstance(wd, float) and wd == 0.0):
            update = update + param * wd
            g_hat = g_hat + param * wd
        w_norm, g_hat_norm = _norm(param), _norm(g_hat)
        ratio = ops.select(ops.logical_and(w_norm > 0.0, g_hat_norm > 0.0), w_norm / g_hat_norm,
                           ops.ones_like(w_norm))
        ratio = ops.minimum(ops.maximum(ratio, 0.0), 10.0)
        assign(param, param - update * (ratio * lr))
        assign(self.moments1[i], m)
        assign(self.moments2[i], v)
