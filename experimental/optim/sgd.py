"""``SGD`` of ``mindspore.experimental.optim``: nn.SGD's rule (``optim.sgd.sgd_update``, MindSpore's SGD
kernel, which is PyTorch's SGD) with per-group options."""

from ...graph.tensor import Tensor
from ...optim.adam import f32
from ...optim.sgd import sgd_update
from ...optim.validate import check_bool
from .optimizer import Optimizer


class SGD(Optimizer):
    r"""``SGD(params, lr, momentum=0, dampening=0, weight_decay=0.0, nesterov=False, *, maximize=False)``.

    .. math::
        g = \pm g + wd\, w,\quad b = \begin{cases} g & t = 1 \\ \mu b + (1 - \tau) g & t > 1\end{cases},\quad
        w \mathrel{-}= lr \cdot (g + \mu b \text{ if nesterov else } b)

    (without momentum: w -= lr * g). State: ``accum.<name>`` (b), ``stat.<name>`` (1 until the first step).
    """

    _state_slots = {"accum": ("accum", "zeros"), "stat": ("stat", "ones")}

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0.0, nesterov=False, *, maximize=False):
        if isinstance(lr, bool) or not isinstance(lr, (int, float, Tensor)):
            raise TypeError(f"For 'SGD', the type of 'lr' should be in [float, int, Tensor], but got {type(lr)}.")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
            raise TypeError(f"For 'SGD', the type of 'momentum' should be in [int, float], but got {type(momentum)}.")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        momentum = float(momentum)
        check_bool("SGD", "nesterov", nesterov)
        check_bool("SGD", "maximize", maximize)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, grad_centralization=False)
        super().__init__(params, defaults)
        for group in self.param_groups:
            d = group["dampening"]
            if isinstance(d, bool) or not isinstance(d, (int, float)):
                raise TypeError(f"For 'SGD', the type of 'dampening' should be in [int, float], but got {type(d)}.")
            group["dampening"] = float(d)
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError("For 'SGD', if 'nesterov' is true, 'momentum' must be > 0.0 and 'dampening' must "
                             f"equal to 0.0, but got 'momentum' {momentum}, 'dampening' {dampening}")
        self._make_state()

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        param_group["dampening"] = float(param_group["dampening"])

    def _apply(self, i, param, grad, lr):
        group = self.group_of_param(i)
        momentum = float(group["momentum"])
        sgd_update(param, grad, self.accum[i], self.stat[i], lr, f32(momentum) if momentum > 0.0 else None,
                   group["dampening"], group["nesterov"])
