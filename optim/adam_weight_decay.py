"""AdamWeightDecay (MindSpore's ``nn.AdamWeightDecay``): Adam with decoupled weight decay."""

from .. import ops
from ..ops.state import assign
from .adam import adam_hyper
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
        self._hyper = adam_hyper(beta1, beta2, eps)
        self.beta1, self.beta2, self.eps = self._hyper.beta1, self._hyper.beta2, self._hyper.eps
        self.moments1 = self._state("adam_m")
        self.moments2 = self._state("adam_v")

    def _apply(self, i, param, grad, lr):
        adamw_update(param, grad, self.moments1[i], self.moments2[i], None, lr, self.decay_at(i), self._hyper)


def adamw_update(param, grad, m_state, v_state, vhat_state, lr, wd, hp, correction=None):
    r"""One step of Adam with decoupled weight decay ``wd`` (a float, or a Tensor), for one parameter.

    .. math::
        m = \beta_1 m + (1 - \beta_1) g,\quad v = \beta_2 v + (1 - \beta_2) g^2

    ``correction`` None (nn.AdamWeightDecay, no bias correction):
    :math:`w = w - lr (\frac{m}{\sqrt{v} + \epsilon} + wd\, w)`.
    ``correction`` = (step_size, sqrt_bc2) = (lr / (1 - beta1^t), sqrt(1 - beta2^t)) (the experimental,
    PyTorch-style AdamW): :math:`w = w (1 - lr\, wd) - step\_size \frac{m}{\sqrt{v} / sqrt\_bc2 + \epsilon}`,
    with ``vhat_state`` (amsgrad) v replaced by vhat = max(vhat, v) in the denominator. With t -> inf
    both forms are the same rule; only the bias correction and the order of float operations differ.
    """
    m = m_state * hp.beta1 + grad * hp.one_minus_beta1
    v = v_state * hp.beta2 + grad * grad * hp.one_minus_beta2
    no_decay = isinstance(wd, float) and wd == 0.0
    if vhat_state is not None:
        vhat = ops.maximum(vhat_state, v)
        assign(vhat_state, vhat)
    root = ops.sqrt(v if vhat_state is None else vhat)
    if correction is None:
        update = m / (root + hp.eps)
        if not no_decay:
            update = update + param * wd
        assign(param, param - lr * update)
    else:
        step_size, sqrt_bc2 = correction
        kept = param if no_decay else param * (1.0 - lr * wd)
        assign(param, kept - m / (root / sqrt_bc2 + hp.eps) * step_size)
    assign(m_state, m)
    assign(v_state, v)
