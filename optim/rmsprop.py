"""RMSProp, plain and centered (MindSpore's ``nn.RMSProp``)."""

from .. import ops
from ..ops.state import assign
from .optimizer import Optimizer
from .validate import check_bool, check_float


class RMSProp(Optimizer):
    r"""RMSProp (Hinton). Per parameter, with the mean square :math:`s` starting at ONES:

    .. math::
        s = \rho s + (1 - \rho) g^2;\quad
        m = \beta m + \frac{lr\, g}{\sqrt{s + \epsilon}};\quad w = w - m

    ``centered=True`` also keeps the mean gradient :math:`\bar g = \rho \bar g + (1 - \rho) g`
    (starting at zeros) and divides by :math:`\sqrt{s - \bar g^2 + \epsilon}`. :math:`\rho` is
    ``decay`` and :math:`\beta` ``momentum``. State: ``mean_square.<name>``, ``moment.<name>`` and,
    when centered, ``mean_grad.<name>``. ``use_locking`` is accepted and has no effect.
    """

    def __init__(self, params, learning_rate=0.1, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False,
                 centered=False, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        # MindSpore: decay >= 0 and momentum >= 0 (no upper bound), epsilon > 0, all floats
        check_float("RMSProp", "decay", decay, lo=0.0)
        check_float("RMSProp", "momentum", momentum, lo=0.0)
        check_float("RMSProp", "epsilon", epsilon, lo=0.0, lo_open=True)
        check_bool("RMSProp", "use_locking", use_locking)
        check_bool("RMSProp", "centered", centered)
        self.decay_rate = decay  # ``self.decay`` is the base's per-parameter weight decay
        self.momentum = momentum
        self.epsilon = epsilon
        self.use_locking = use_locking
        self.centered = centered
        if centered:
            self.mg = self._state("mean_grad", init="zeros")
        self.ms = self._state("mean_square", init="ones")
        self.moment = self._state("moment", init="zeros")

    def _apply(self, i, param, grad, lr):
        rho = self.decay_rate
        ms = self.ms[i] * rho + grad * grad * (1.0 - rho)
        denom = ms
        if self.centered:
            mg = self.mg[i] * rho + grad * (1.0 - rho)
            denom = ms - mg * mg
            assign(self.mg[i], mg)
        moment = self.moment[i] * self.momentum + grad * lr / ops.sqrt(denom + self.epsilon)
        assign(param, param - moment)
        assign(self.ms[i], ms)
        assign(self.moment[i], moment)
