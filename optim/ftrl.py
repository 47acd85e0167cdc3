"""FTRL: follow the regularized leader (MindSpore's ``nn.FTRL``)."""

from .. import ops
from ..ops.sparse_ops import sparse_apply_ftrl
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_bool, check_float


class FTRL(Optimizer):
    r"""FTRL-Proximal (McMahan et al.). Per parameter, with p = ``lr_power`` and the accumulator
    :math:`m` starting at ``initial_accum``:

    .. math::
        m' = m + g^2;\quad
        u = u + g - \frac{m'^{-p} - m^{-p}}{lr} w;\quad
        w = \begin{cases} \dfrac{\mathrm{sign}(u)\, l_1 - u}{m'^{-p} / lr + 2 l_2} & |u| > l_1 \\
                          0 & \text{otherwise} \end{cases};\quad m = m'

    MindSpore's CPU kernel drops the ``sign(u)`` factor when ``l1 > 0`` (it computes
    ``(l1 - u) / ...``); minispore implements the documented formula above.

    The learning rate must be a fixed positive float: MindSpore rejects dynamic and per-group
    learning rates for FTRL. Without parameter groups, weight decay applies to EVERY parameter (FTRL
    does not use the 'beta'/'gamma' name filter). State: ``moments.<name>`` (m), ``linear.<name>`` (u).

    A sparse gradient (RowTensor, e.g. an ``nn.Embedding`` table's) updates w, m and u only on the
    rows present, repeated rows summed first (MindSpore's SparseApplyFtrl), with the formula above.
    """

    _dynamic_weight_decay = False  # applies its own decay from a float
    _beta_gamma_filter = False  # ungrouped weight decay applies to every parameter

    def __init__(self, params, initial_accum=0.1, learning_rate=0.001, lr_power=-0.5, l1=0.0, l2=0.0,
                 use_locking=False, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale=loss_scale)
        if self.dynamic_lr or self.is_group_lr:
            raise ValueError("For 'FTRL', dynamic learning rate and group learning rate are currently not supported "
                             f"in FTRL, they should all be false, but got dynamic learning rate {self.dynamic_lr} "
                             f"and group learning rate {self.is_group_lr}.")
        # MindSpore's _check_param: floats; initial_accum, l1, l2 >= 0, lr_power <= 0, learning_rate > 0
        check_float("FTRL", "initial_accum", initial_accum, lo=0.0, relational=True)
        check_float("FTRL", "learning_rate", learning_rate, lo=0.0, lo_open=True)
        check_float("FTRL", "lr_power", lr_power, hi=0.0)
        check_float("FTRL", "l1", l1, lo=0.0, relational=True)
        check_float("FTRL", "l2", l2, lo=0.0, relational=True)
        check_bool("FTRL", "use_locking", use_locking)
        self.l1, self.l2, self.lr_power = l1, l2, lr_power
        self.use_locking = use_locking
        self.moments = self._state("moments", init=initial_accum)
        self.linear = self._state("linear", init="zeros")

    def _apply(self, i, param, grad, lr):
        accum = self.moments[i]
        new_accum = accum + grad * grad
        pow_new = ops.pow(new_accum, -self.lr_power)
        linear = self.linear[i] + grad - (pow_new - ops.pow(accum, -self.lr_power)) / lr * param
        quadratic = pow_new / lr + 2.0 * self.l2
        shrunk = (ops.sign(linear) * self.l1 - linear) / quadratic
        assign(param, ops.select(ops.abs(linear) > self.l1, shrunk, ops.zeros_like(param)))
        assign(self.linear[i], linear)
        assign(self.moments[i], new_accum)

    def _apply_sparse(self, i, param, grad, lr):
        sparse_apply_ftrl(param, self.moments[i], self.linear[i], grad.values, grad.indices, lr, self.l1, self.l2,
                          self.lr_power)
