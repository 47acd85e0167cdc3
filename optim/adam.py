"""Adam (MindSpore's ``nn.Adam``, with ``use_amsgrad``, ``use_nesterov``, ``use_lazy``, ``use_offload``)
and the deprecated ``nn.AdamOffload``.
"""

import logging
from typing import NamedTuple

import numpy as np

from .. import ops
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from ..ops.sparse_ops import fused_sparse_lazy_adam
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_betas_eps, check_bool

logger = logging.getLogger("minispore")


def f32(value):
    """A float32 constant Tensor (MindSpore keeps beta1, beta2, eps as ``Tensor(x, float32)``, not state)."""
    return Tensor(np.asarray(value, dtype=np.float32))


class AdamHyper(NamedTuple):
    """Adam's constants as float32 Tensors (1 - beta computed in float32, as the kernel does)."""

    beta1: Tensor
    beta2: Tensor
    eps: Tensor
    one_minus_beta1: Tensor
    one_minus_beta2: Tensor
    nesterov: bool


def adam_hyper(beta1, beta2, eps, nesterov=False):
    return AdamHyper(f32(beta1), f32(beta2), f32(eps), f32(np.float32(1) - np.float32(beta1)),
                     f32(np.float32(1) - np.float32(beta2)), bool(nesterov))


def adam_update(param, grad, m_state, v_state, vhat_state, lr, powers, hp):
    r"""One Adam step of one parameter: MindSpore's CPU Adam kernel (nn.Adam, and the experimental Adam).

    .. math::
        m \mathrel{+}= (g - m)(1 - \beta_1),\quad v \mathrel{+}= (g^2 - v)(1 - \beta_2),\quad
        l = lr \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t},\quad w \mathrel{-}= l \frac{m}{\sqrt{v} + \epsilon}

    ``powers`` = (beta1^t, beta2^t) as 0-d Tensors. ``hp.nesterov``: the numerator is
    beta1*m + (1-beta1)*g. ``vhat_state`` (amsgrad) keeps vhat = max(vhat, v) and divides by
    sqrt(vhat) + eps (no Nesterov form, as ApplyAdamWithAmsgrad)."""
    beta1_power, beta2_power = powers
    m = m_state + (grad - m_state) * hp.one_minus_beta1
    v = v_state + (grad * grad - v_state) * hp.one_minus_beta2
    lr_t = lr * ops.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
    if vhat_state is not None:
        vhat = ops.maximum(vhat_state, v)
        denom = ops.sqrt(vhat) + hp.eps
        numer = m
    else:
        denom = ops.sqrt(v) + hp.eps
        numer = m * hp.beta1 + grad * hp.one_minus_beta1 if hp.nesterov else m
    assign(param, param - lr_t * numer / denom)
    assign(m_state, m)
    assign(v_state, v)
    if vhat_state is not None:
        assign(vhat_state, vhat)


class _AdamBase(Optimizer):
    """The Adam rule shared by Adam, LazyAdam and AdamOffload.

    Per step the beta powers are multiplied first (so t starts at 1) and written back after the
    updates (reading a Parameter after its Assign is not allowed in the graph). MindSpore's CPU
    kernel (verified against the golden cases), per parameter:
        m += (g - m) * (1 - beta1);  v += (g*g - v) * (1 - beta2)
        lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
        w -= lr_t * m / (sqrt(v) + eps)
    ``use_nesterov`` replaces the numerator with beta1*m + (1-beta1)*g; ``use_amsgrad`` keeps
    vhat = max(vhat, v) and divides by sqrt(vhat) + eps (ApplyAdamWithAmsgrad has no Nesterov form,
    so ``use_nesterov`` is ignored there, as in MindSpore).
    """

    _power_shape = (1,)  # shape of beta1_power/beta2_power: [1] here, () for nn.Adam (as MindSpore)
    _lazy = False  # LazyAdam, Adam(use_lazy=True): a RowTensor gradient updates only its rows

    def _init_adam(self, beta1, beta2, eps, use_locking, use_nesterov, use_amsgrad=False):
        cls = type(self).__name__
        check_betas_eps(cls, beta1, beta2, eps)
        check_bool(cls, "use_locking", use_locking)
        check_bool(cls, "use_nesterov", use_nesterov)
        check_bool(cls, "use_amsgrad", use_amsgrad)
        self._hyper = adam_hyper(beta1, beta2, eps, use_nesterov)
        self.beta1, self.beta2, self.eps = self._hyper.beta1, self._hyper.beta2, self._hyper.eps
        self.beta1_power = Parameter(Tensor(np.ones(self._power_shape, np.float32)), name="beta1_power",
                                     requires_grad=False)
        self.beta2_power = Parameter(Tensor(np.ones(self._power_shape, np.float32)), name="beta2_power",
                                     requires_grad=False)
        self.use_locking = use_locking  # no effect: updates are never concurrent here
        self.use_nesterov = use_nesterov
        self.use_amsgrad = use_amsgrad
        self.moment1 = self._state("moment1")
        self.moment2 = self._state("moment2")
        if use_amsgrad:
            self.vhat = self._state("vhat")
        self._powers = None

    def construct(self, gradients):
        beta1_power = self.beta1_power * self.beta1
        beta2_power = self.beta2_power * self.beta2
        # the new powers, as 0-d values, for every parameter's _apply in this step
        self._powers = (ops.reshape(beta1_power, ()), ops.reshape(beta2_power, ()))
        try:
            out = super().construct(gradients)
        finally:
            self._powers = None
        assign(self.beta1_power, beta1_power)
        assign(self.beta2_power, beta2_power)
        return out

    def _apply(self, i, param, grad, lr):
        adam_update(param, grad, self.moment1[i], self.moment2[i], self.vhat[i] if self.use_amsgrad else None, lr,
                    self._powers, self._hyper)

    def _has_sparse_rule(self):
        return self._lazy

    def _apply_sparse(self, i, param, grad, lr):
        # MindSpore's CPU FusedSparseLazyAdam: the rule above on the rows present (repeats summed);
        # the other rows keep their values and moments. The beta powers advance as in the dense rule.
        beta1_power, beta2_power = self._powers
        fused_sparse_lazy_adam(param, self.moment1[i], self.moment2[i], beta1_power, beta2_power, lr, self.beta1,
                               self.beta2, self.eps, grad.values, grad.indices, self.use_nesterov)


class Adam(_AdamBase):
    r"""Adaptive Moment Estimation (Kingma & Ba).

    .. math::
        m_{t+1} = \beta_1 m_t + (1 - \beta_1) g,\quad v_{t+1} = \beta_2 v_t + (1 - \beta_2) g^2,\\
        l = \alpha \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t},\quad
        w_{t+1} = w_t - l \frac{m_{t+1}}{\sqrt{v_{t+1}} + \epsilon}

    ``use_nesterov``: the numerator is :math:`\beta_1 m_{t+1} + (1 - \beta_1) g`. ``use_amsgrad``:
    :math:`\hat v = \max(\hat v, v_{t+1})` replaces :math:`v_{t+1}` in the denominator (state
    ``vhat.<name>``). ``use_lazy=True`` (keyword) updates, for sparse gradients (RowTensor, e.g. an
    ``nn.Embedding`` table's), m, v and the parameter only on the rows present (repeated rows summed;
    LazyAdam's rule); with dense gradients it is the dense rule above. Without ``use_lazy`` a sparse
    gradient is densified. ``use_offload=True`` (keyword) is
    AdamOffload's behaviour (no gradient centralization). Weight decay is L2 (added to the
    gradient by the Optimizer base). State: ``beta1_power``, ``beta2_power`` (0-d),
    ``moment1.<name>``, ``moment2.<name>``.
    """

    _power_shape = ()

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, use_locking=False,
                 use_nesterov=False, weight_decay=0.0, loss_scale=1.0, use_amsgrad=False, **kwargs):
        unknown = set(kwargs) - {"use_lazy", "use_offload"}
        if unknown:
            raise TypeError(f"For 'Adam', got unexpected keyword argument(s) {sorted(unknown)}; the extra "
                            "keywords Adam accepts are 'use_lazy' and 'use_offload'")
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        use_lazy = check_bool("Adam", "use_lazy", kwargs.get("use_lazy", False))
        use_offload = check_bool("Adam", "use_offload", kwargs.get("use_offload", False))
        if use_lazy and use_offload:
            raise ValueError("For 'Adam', 'use_lazy' and 'use_offload' can not both be True, but got "
                             f"use_lazy={use_lazy}, use_offload={use_offload}.")
        check_bool("Adam", "use_amsgrad", use_amsgrad)
        if use_amsgrad and (use_lazy or use_offload):
            raise ValueError("For lazy Adam and Adam with offload, there is no parameter named 'use_amsgrad', "
                             f"but got 'use_amsgrad'={use_amsgrad}.")
        self._init_adam(beta1, beta2, eps, use_locking, use_nesterov, use_amsgrad)
        self.use_lazy = use_lazy
        self._lazy = use_lazy
        self.use_offload = use_offload
        if use_offload:
            # MindSpore's offloaded Adam skips gradient centralization
            self._respec(grad_centralization=False)


class AdamOffload(_AdamBase):
    """Adam whose update MindSpore computes on the host CPU (deprecated since MindSpore 2.0: use
    ``Adam``). Same rule as :class:`Adam` without ``use_amsgrad``; gradient centralization is not
    applied. State: ``beta1_power``, ``beta2_power`` (shape [1]), ``moment1.<name>``, ``moment2.<name>``.
    """

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, use_locking=False,
                 use_nesterov=False, weight_decay=0.0, loss_scale=1.0):
        logger.warning("'AdamOffload' is deprecated from version 2.0 and will be removed in a future version, "
                       "use 'Adam' instead.")
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self._init_adam(beta1, beta2, eps, use_locking, use_nesterov)
        self._respec(grad_centralization=False)
