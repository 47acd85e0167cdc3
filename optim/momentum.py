"""Momentum (MindSpore's ``nn.Momentum``)."""

from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_bool, check_float


class Momentum(Optimizer):
    """accum = momentum * accum + g;  w -= lr * accum
    (use_nesterov: w -= lr * (g + momentum * accum)).

    MindSpore's CPU kernel ignores ``use_nesterov``; minispore implements the documented formula.
    State: ``moments.<param name>``.
    """

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0, use_nesterov=False):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        # MindSpore: check_value_type(momentum, [float]) (an int is refused), momentum >= 0
        check_float("Momentum", "momentum", momentum, lo=0.0)
        check_bool("Momentum", "use_nesterov", use_nesterov)
        self.momentum = self._scalar(momentum, "momentum")
        self.use_nesterov = use_nesterov
        self.moments = self._state("moments")

    def _apply(self, i, param, grad, lr):
        accum = self.moments[i] * self.momentum + grad
        assign(self.moments[i], accum)
        step = grad + accum * self.momentum if self.use_nesterov else accum
        assign(param, param - step * lr)
