"""SGD with momentum, dampening and Nesterov (MindSpore's ``nn.SGD``)."""

from .. import ops
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_bool


class SGD(Optimizer):
    """Stochastic gradient descent, MindSpore's ``SGD`` kernel.

    With momentum > 0: where ``stat`` is set (the first step) accum = g, else accum = momentum *
    accum + (1 - dampening) * g; then stat = 0 and the step is g + momentum * accum with nesterov,
    else accum. Without momentum the step is g and accum/stat are left alone. Then w -= lr * step.
    State (MindSpore's names): ``accum.<name>`` (zeros), ``stat.<name>`` (ones), ``momentum``.
    """

    _dynamic_weight_decay = False  # MindSpore: "dynamic weight decay is currently not supported" (TypeError)

    def __init__(self, params, learning_rate=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        # MindSpore converts int momentum/dampening to float; both must be >= 0
        momentum = self._check_number(momentum, "momentum", lo=0.0)
        dampening = self._check_number(dampening, "dampening", lo=0.0)
        check_bool("SGD", "nesterov", nesterov)
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError("For 'SGD', nesterov needs momentum > 0 and dampening = 0, but got "
                             f"momentum {momentum}, dampening {dampening}")
        self.momentum = self._scalar(momentum, "momentum")
        self.dampening = float(dampening)
        self.nesterov = nesterov
        self.use_momentum = momentum > 0.0
        self.accum = self._state("accum", init="zeros")
        self.stat = self._state("stat", init="ones")

    def _apply(self, i, param, grad, lr):
        sgd_update(param, grad, self.accum[i], self.stat[i], lr, self.momentum if self.use_momentum else None,
                   self.dampening, self.nesterov)


def sgd_update(param, grad, accum_state, stat_state, lr, momentum, dampening, nesterov):
    """One step of MindSpore's SGD kernel (nn.SGD, and the experimental SGD, which is PyTorch's rule).

    With ``momentum`` (a Tensor; None for no momentum): where stat is set (the first step) accum = g, else
    accum = momentum * accum + (1 - dampening) * g; stat = 0; the step is g + momentum * accum with
    ``nesterov``, else accum. Without momentum the step is g (accum/stat untouched). w -= lr * step."""
    if momentum is not None:
        accum = ops.select(stat_state > 0.0, grad, accum_state * momentum + grad * (1.0 - dampening))
        assign(accum_state, accum)
        assign(stat_state, ops.zeros_like(stat_state))
        step = grad + accum * momentum if nesterov else accum
    else:
        step = grad
    assign(param, param - step * lr)
