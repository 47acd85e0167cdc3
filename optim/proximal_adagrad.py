"""ProximalAdagrad (MindSpore's ``nn.ProximalAdagrad``)."""

from .. import ops
from ..ops.sparse_ops import sparse_apply_proximal_adagrad
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_bool, check_float


class ProximalAdagrad(Optimizer):
    r"""Adagrad with a proximal l1/l2 step (FOBOS, Duchi & Singer). Per parameter, with the
    accumulator starting at ``accum``:

    .. math::
        a = a + g^2;\quad lr_t = \frac{lr}{\sqrt{a}};\quad v = w - lr_t\, g;\quad
        w = \frac{\mathrm{sign}(v)}{1 + lr_t\, l_2} \max(|v| - lr_t\, l_1, 0)

    (MindSpore's ApplyProximalAdagrad kernel uses :math:`lr_t` in the shrinkage terms too, as
    verified against its CPU kernel). ``use_locking`` is accepted and has no effect.
    State: ``accum.<name>``.

    A sparse gradient (RowTensor, e.g. an ``nn.Embedding`` table's) updates w and a only on the rows
    present, repeated rows summed first (MindSpore's SparseApplyProximalAdagrad), with the formula above.
    """

    def __init__(self, params, accum=0.1, learning_rate=0.001, l1=0.0, l2=0.0, use_locking=False, loss_scale=1.0,
                 weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        for name, value in (("accum", accum), ("l1", l1), ("l2", l2)):
            check_float("ProximalAdagrad", name, value, lo=0.0)  # MindSpore: floats >= 0
        check_bool("ProximalAdagrad", "use_locking", use_locking)
        self.l1, self.l2 = l1, l2
        self.use_locking = use_locking
        self.accum = self._state("accum", init=accum)

    def _apply(self, i, param, grad, lr):
        accum = self.accum[i] + grad * grad
        lr_t = lr / ops.sqrt(accum)
        prox = param - lr_t * grad
        shrink = ops.maximum(ops.abs(prox) - lr_t * self.l1, 0.0)
        assign(param, ops.sign(prox) / (1.0 + lr_t * self.l2) * shrink)
        assign(self.accum[i], accum)

    def _apply_sparse(self, i, param, grad, lr):
        sparse_apply_proximal_adagrad(param, self.accum[i], lr, self.l1, self.l2, grad.values, grad.indices)
