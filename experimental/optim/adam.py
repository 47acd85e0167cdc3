"""``Adam`` and ``AdamW`` of ``mindspore.experimental.optim``, on the shared Adam rules.

Adam is nn.Adam's rule (``optim.adam.adam_update``: MindSpore's Adam kernel, which the experimental
Adam calls too) with PyTorch's arguments; AdamW is nn.AdamWeightDecay's rule
(``optim.adam_weight_decay.adamw_update``) with its bias-correction option on, as PyTorch's AdamW.
The beta powers are ``beta ** state_step`` (``state_step`` counts the steps, 1 at the first), computed
in the graph per group, as MindSpore does.
"""

import numpy as np

from ... import ops
from ...graph import dtype as mstype
from ...graph.parameter import Parameter
from ...graph.tensor import Tensor
from ...ops.state import assign
from ...optim import transforms
from ...optim.adam import adam_hyper, adam_update, f32
from ...optim.adam_weight_decay import adamw_update
from .optimizer import Optimizer


def _check_adam_args(lr, betas, eps, weight_decay):
    # MindSpore's (PyTorch's) checks and messages
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class _AdamFamily(Optimizer):
    """Shared by Adam and AdamW: the step counter and per-group constants/bias powers."""

    _state_slots = {"exp_avg": ("exp_avg", "zeros"), "exp_avg_sq": ("exp_avg_sq", "zeros"),
                    "max_exp_avg_sq": ("max_exp_avg_sq", "zeros")}

    def __init__(self, params, lr, betas, eps, weight_decay, amsgrad, maximize):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize}
        super().__init__(params, defaults)
        self._make_state()
        self.state_step = Parameter(Tensor(np.int32(0)), name="state_step", requires_grad=False)
        self._per_group = None

    def construct(self, gradients):
        step = self.state_step + 1  # read before the Assign: the graph may not read a Parameter after it
        self._per_group = {"t": ops.cast(step, mstype.float32)}
        try:
            super().construct(gradients)
        finally:
            self._per_group = None
        assign(self.state_step, step)
        return True

    def _group_consts(self, gi, group):
        """(AdamHyper, beta1^t, beta2^t) of group ``gi``, traced once per step."""
        if gi not in self._per_group:
            beta1, beta2 = group["betas"]
            t = self._per_group["t"]
            self._per_group[gi] = (adam_hyper(beta1, beta2, group["eps"]), ops.pow(f32(beta1), t),
                                   ops.pow(f32(beta2), t))
        return self._per_group[gi]

    def _vhat(self, i, group):
        return self.max_exp_avg_sq[i] if group["amsgrad"] else None


class Adam(_AdamFamily):
    r"""``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *, maximize=False)``.

    .. math::
        g = \pm g + wd\, w,\quad m \mathrel{+}= (g - m)(1 - \beta_1),\quad v \mathrel{+}= (g^2 - v)(1 - \beta_2),\\
        w \mathrel{-}= lr \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \frac{m}{\sqrt{v} + \epsilon}

    MindSpore's kernel adds eps to sqrt(v) before the bias correction (PyTorch adds it after:
    sqrt(v)/sqrt(1 - beta2^t) + eps). ``amsgrad``: v in the denominator is vhat = max(vhat, v)
    (MindSpore 2.10 accepts amsgrad but its experimental Adam ignores it; minispore applies it).
    State: ``exp_avg.<name>``, ``exp_avg_sq.<name>``, ``max_exp_avg_sq.<name>``, ``state_step``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)

    def _apply(self, i, param, grad, lr):
        group = self.group_of_param(i)
        hp, p1, p2 = self._group_consts(self.specs[i].group, group)
        adam_update(param, grad, self.exp_avg[i], self.exp_avg_sq[i], self._vhat(i, group), lr, (p1, p2), hp)


class AdamW(_AdamFamily):
    r"""``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *, maximize=False)``,
    PyTorch's AdamW (decoupled weight decay, bias-corrected):

    .. math::
        g = \pm g,\quad m = \beta_1 m + (1 - \beta_1) g,\quad v = \beta_2 v + (1 - \beta_2) g^2,\\
        w = w (1 - lr\, wd) - \frac{lr}{1 - \beta_1^t} \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^t} + \epsilon}

    ``amsgrad``: v in the denominator is vhat = max(vhat, v). Same state as :class:`Adam`.
    """

    grad_transforms = (transforms.MAXIMIZE,)  # the decay is decoupled: in the rule, not on the gradient

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)

    def _apply(self, i, param, grad, lr):
        group = self.group_of_param(i)
        hp, p1, p2 = self._group_consts(self.specs[i].group, group)
        correction = (lr / (1.0 - p1), ops.sqrt(1.0 - p2))
        adamw_update(param, grad, self.exp_avg[i], self.exp_avg_sq[i], self._vhat(i, group), lr,
                     group["weight_decay"], hp, correction)
