"""LARS: layer-wise adaptive rate scaling around another optimizer (MindSpore's ``nn.LARS``).

MindSpore's CPU build has no LARSUpdate kernel; minispore implements the formula of MindSpore's
LARSUpdate (lars_v2_update) kernel.
"""

from .. import ops
from ..graph import trace
from ..graph.cell import Cell
from .optimizer import Optimizer
from .validate import check_bool, check_float


def _default_filter(param):
    return "LayerNorm" not in param.name and "bias" not in param.name


def _norm(x):
    return ops.sqrt(ops.reduce_sum(x * x))


class LARS(Optimizer):
    r"""Wraps ``optimizer``: each gradient (divided by the inner optimizer's loss scale) of a
    parameter selected by ``lars_filter`` is rescaled by a layer-wise trust ratio, then the inner
    optimizer's own update runs on the new gradients:

    .. math::
        \lambda = \frac{\theta \|w\|}{\|g\| + \delta \|w\| + \epsilon};\quad
        \lambda = \mathrm{clip}(\lambda / lr, 0, 1) \text{ when use_clip};\quad
        g = \lambda (g + \delta w)

    :math:`\theta` is ``coefficient``, :math:`\delta` the inner optimizer's weight decay of that
    parameter (0 where its decay filter skips it) and lr the inner optimizer's learning rate at the
    current step. As in MindSpore, wrapping takes the weight decay and the loss-scale division away
    from the inner optimizer (LARS applies both), so parameters not selected by ``lars_filter`` get
    no weight decay. ``parameters``, ``learning_rate``, ``global_step`` and ``get_lr()`` are the
    inner optimizer's.
    """

    _dynamic_weight_decay = False  # applies its own decay from a float

    def __init__(self, optimizer, epsilon=1e-05, coefficient=0.001, use_clip=False, lars_filter=_default_filter):
        Cell.__init__(self, auto_prefix=False)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"For 'LARS', the type of 'optimizer' must be Optimizer, but got "
                            f"{type(optimizer).__name__}")
        # MindSpore checks only that these are floats (any sign); NaN/Inf would poison every gradient
        check_float("LARS", "epsilon", epsilon)
        check_float("LARS", "coefficient", coefficient)
        check_bool("LARS", "use_clip", use_clip)
        if not callable(lars_filter):
            raise TypeError(f"For 'LARS', 'lars_filter' must be callable, but got {type(lars_filter).__name__}")
        if use_clip and optimizer.is_group_lr and optimizer.dynamic_lr:
            raise ValueError("For 'LARS', if the argument 'use_clip' is set to True, then the dynamic learning rate "
                             "and group learning rate cannot both be true.")
        self.opt = optimizer
        self.epsilon, self.coefficient, self.use_clip = epsilon, coefficient, use_clip
        self.parameters = optimizer.parameters
        self.global_step = optimizer.global_step
        if "learning_rate" in optimizer.__dict__:
            self.learning_rate = optimizer.learning_rate
        for name in ("groups", "specs", "is_group", "is_group_lr", "dynamic_lr", "_lrs"):
            object.__setattr__(self, name, getattr(optimizer, name))
        self.lars_flag = tuple(bool(lars_filter(p)) for p in self.parameters)
        # Take weight decay and the loss-scale division over from the inner optimizer (``self.specs``
        # keep the inner optimizer's decay as it was).
        self.loss_scale = optimizer.loss_scale
        optimizer._respec(decay=False)
        optimizer.loss_scale = 1.0

    def get_lr(self):
        return self.opt.get_lr()

    def get_lr_parameter(self, param):
        return self.opt.get_lr_parameter(param)

    def construct(self, gradients):
        gradients = tuple(gradients)
        if len(gradients) != len(self.parameters):
            raise ValueError(f"For 'LARS', got {len(gradients)} gradients for {len(self.parameters)} parameters"
                             + trace.format_location(trace.user_source()))
        lrs = None
        if self.use_clip:
            # Read before the inner optimizer increments global_step: the rate of this step.
            lrs = self.opt._lrs_at_step()
        new = []
        for spec, g in zip(self.specs, gradients):
            if self.loss_scale != 1.0:
                g = g / self.loss_scale
            if self.lars_flag[spec.index]:
                g = self._lars_update(spec.param, g, spec.applied_decay, None if lrs is None else lrs[spec.group])
            new.append(g)
        return self.opt(tuple(new))

    def _lars_update(self, param, grad, wd, lr):
        w_norm = _norm(param)
        coeff = w_norm * self.coefficient / (_norm(grad) + w_norm * wd + self.epsilon)
        if lr is not None:
            coeff = ops.maximum(ops.minimum(coeff / lr, 1.0), 0.0)
        if wd > 0.0:
            grad = grad + param * wd
        return grad * coeff

    # ---- describe() hooks ----------------------------------------------------------------
    def _describe_decay(self, spec):
        wd, applied, reason = super()._describe_decay(spec)
        if applied and not self.lars_flag[spec.index]:
            return wd, False, "lars_filter"
        return wd, applied, reason

    def _inner_optimizers(self):
        return (self.opt,)
