"""Adagrad (MindSpore's ``nn.Adagrad``)."""

from .. import ops
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_bool, check_float


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.), with the accumulator starting at ``accum``:

    .. math::
        h = h + g^2 \;\text{(when update_slots)},\quad w = w - \alpha \frac{g}{\sqrt{h}}

    (no epsilon). MindSpore's CPU kernel ignores ``update_slots=False`` and always updates the
    accumulator; minispore implements the documented behaviour: with ``update_slots=False`` the
    accumulator stays at its initial value. State: ``accum.<name>``.
    """

    def __init__(self, params, accum=0.1, learning_rate=0.001, update_slots=True, loss_scale=1.0,
                 weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        check_float("Adagrad", "accum", accum, lo=0.0)  # MindSpore: a float >= 0 (0.0 allowed)
        check_bool("Adagrad", "update_slots", update_slots)
        self.update_slots = update_slots
        self.accum = self._state("accum", init=accum)

    def _apply(self, i, param, grad, lr):
        accum = self.accum[i]
        if self.update_slots:
            accum = accum + grad * grad
        assign(param, param - lr * grad / ops.sqrt(accum))
        if self.update_slots:
            assign(self.accum[i], accum)
