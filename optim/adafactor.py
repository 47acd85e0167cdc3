"""AdaFactor (MindSpore's ``nn.AdaFactor``)."""

import numbers

import numpy as np

from .. import ops
from ..graph import dtype as mstype
from ..graph.parameter import Parameter, ParameterTuple
from ..graph.tensor import Tensor
from ..ops.state import assign
from .describe import format_float
from .optimizer import Optimizer
from .validate import check_bool, check_float


def _rms(x):
    return ops.sqrt(ops.reduce_mean(x * x))


class AdaFactor(Optimizer):
    r"""AdaFactor (Shazeer & Stern), with t = 1, 2, ... the optimizer's own step counter:

    .. math::
        \hat\beta_{2} = 1 - t^{-\mathrm{decay\_rate}};\quad
        lr = \min(10^{-6} t \text{ if warmup\_init else } 10^{-2},\ 1/\sqrt{t}) \text{ when relative\_step};\\
        lr = lr \cdot \max(\epsilon_2, \mathrm{RMS}(w)) \text{ when scale\_parameter};\quad u = g^2 + \epsilon_1

    For ``w.ndim >= 2`` the second moment is factored into row and column means
    (:math:`R = \hat\beta_2 R + (1-\hat\beta_2)\,\mathrm{mean}(u, -1)`,
    :math:`C = \hat\beta_2 C + (1-\hat\beta_2)\,\mathrm{mean}(u, -2)`,
    :math:`U = g / \sqrt{R / \mathrm{mean}(R, -1)} / \sqrt{C}`); otherwise
    :math:`V = \hat\beta_2 V + (1-\hat\beta_2) u`, :math:`U = g / \sqrt{V}`. Then
    :math:`U = lr\, U / \max(\mathrm{RMS}(U) / d, 1)` (d = ``clip_threshold``); with beta1 > 0,
    :math:`m = \beta_1 m + (1 - \beta_1) U` and :math:`U = m`; with weight decay
    :math:`w = w - w\, \lambda\, lr`; finally :math:`w = w - U`.

    As in MindSpore, AdaFactor bypasses the shared gradient pipeline: no weight decay on the gradient,
    no gradient centralization, and ``loss_scale`` is accepted but the gradients are NOT divided by
    it. ``learning_rate=None`` (the default) requires ``relative_step=True``; the learning rate used
    then comes from the step counter, so ``get_lr()`` (which reads the ``learning_rate`` Parameter,
    0.0) is not meaningful. A learning rate that is not a number (list, Tensor, schedule) disables
    ``scale_parameter``. State: ``exp_avg.<name>`` (when beta1 > 0), ``exp_avg_sq_row_<name>``,
    ``exp_avg_sq_col_<name>``, ``exp_avg_sq_<name>`` (shape (1,) where unused) and ``step``.
    With ``compression=True``, as in MindSpore, ``exp_avg_sq_<name>`` is float16 (V is rounded to float16
    when stored and that value is used: :math:`U = (1/\sqrt{V_{16}})\, g`) and the first moment is read
    through float16.
    """

    _dynamic_weight_decay = False  # applies its own decay from a float
    # AdaFactor never calls decay_weight / gradients_centralization / scale_grad in MindSpore.
    grad_transforms = ()

    def __init__(self, params, learning_rate=None, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=0.8,
                 beta1=0.9, weight_decay=0.0, scale_parameter=True, relative_step=True, warmup_init=False,
                 compression=False, loss_scale=1.0):
        if learning_rate is not None and relative_step:
            raise ValueError(f"For 'AdaFactor', cannot combine a manual learning_rate ({learning_rate}) with "
                             "relative_step=True")
        if warmup_init and not relative_step:
            raise ValueError("For 'AdaFactor', warmup_init requires relative_step=True")
        if learning_rate is None and not relative_step:
            raise ValueError("For 'AdaFactor', learning_rate can not be None when relative_step=False")
        if learning_rate is None:
            learning_rate = 0.0
        if beta1 is None:
            beta1 = 0.0
        scale_lr = isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool)
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        if not isinstance(eps, (list, tuple)):
            raise TypeError(f"For 'AdaFactor', the type of 'eps' must be list or tuple, but got {type(eps).__name__}")
        if len(eps) != 2:
            raise ValueError(f"For 'AdaFactor', 'eps' must have 2 values (eps1, eps2), but got {len(eps)}")
        # MindSpore: eps1, eps2 and clip_threshold floats >= 0; decay_rate a float in (0, 1); weight_decay
        # a float in [0, 1) (MindSpore's check_float_range refuses an int here); beta1 an int or float >= 0
        for i, e in enumerate(eps):
            check_float("AdaFactor", f"eps{i}", e, lo=0.0)
        check_float("AdaFactor", "clip_threshold", clip_threshold, lo=0.0)
        check_float("AdaFactor", "decay_rate", decay_rate, 0, 1, lo_open=True, hi_open=True)
        check_float("AdaFactor", "weight_decay", weight_decay, 0, 1, hi_open=True)
        for name, value in (("scale_parameter", scale_parameter), ("relative_step", relative_step),
                            ("warmup_init", warmup_init), ("compression", compression)):
            check_bool("AdaFactor", name, value)
        beta1 = check_float("AdaFactor", "beta1", beta1, lo=0.0, ints=True)
        self.eps = tuple(eps)
        self.clip_threshold = clip_threshold
        self.decay_rate = decay_rate
        self.beta1 = float(beta1)
        self.weight_decay = float(weight_decay)
        self.scale_parameter = scale_parameter and scale_lr
        self.relative_step = relative_step and scale_lr
        self.warmup_init = warmup_init
        self.compression = compression
        self.use_first_moment = beta1 > 0
        if self.use_first_moment:
            self.exp_avg = self._state("exp_avg", init="zeros")
        self._init_second_moments()
        self.step = Parameter(Tensor(np.zeros(1, np.float32)), name="step", requires_grad=False)

    def _init_second_moments(self):
        def zeros(shape, name, dtype):
            return Parameter(Tensor(np.zeros(shape, dtype)), name=name, requires_grad=False)

        row, col, sq = [], [], []
        for p in self.parameters:
            shape, dtype = tuple(p.shape), mstype.to_np(p.dtype)
            factored = len(shape) > 1
            row.append(zeros(shape[:-1] if factored else (1,), f"exp_avg_sq_row_{p.name}", dtype))
            col.append(zeros(shape[:-2] + shape[-1:] if factored else (1,), f"exp_avg_sq_col_{p.name}", dtype))
            # compression=True: MindSpore keeps the unfactored second moments in float16
            sq_dtype = np.float16 if self.compression else dtype
            sq.append(zeros((1,) if factored else shape, f"exp_avg_sq_{p.name}", sq_dtype))
        self.exp_avg_sq_row = ParameterTuple(row)
        self.exp_avg_sq_col = ParameterTuple(col)
        self.exp_avg_sq = ParameterTuple(sq)

    def construct(self, gradients):
        step = self.step + 1.0
        assign(self.step, step)
        t = ops.reshape(step, ())
        self._beta2t = 1.0 - ops.pow(t, -self.decay_rate)
        self._relative_lr = None
        if self.relative_step:
            min_step = t * 1e-6 if self.warmup_init else 1e-2
            self._relative_lr = ops.minimum(min_step, 1.0 / ops.sqrt(t))
        return super().construct(gradients)

    def _apply(self, i, param, grad, lr):
        if self._relative_lr is not None:
            lr = self._relative_lr
        if self.scale_parameter:
            lr = lr * ops.maximum(_rms(param), self.eps[1])
        beta2t = self._beta2t
        update = grad * grad + self.eps[0]
        if len(param.shape) >= 2:
            row = self.exp_avg_sq_row[i] * beta2t + ops.reduce_mean(update, -1) * (1.0 - beta2t)
            col = self.exp_avg_sq_col[i] * beta2t + ops.reduce_mean(update, -2) * (1.0 - beta2t)
            assign(self.exp_avg_sq_row[i], row)
            assign(self.exp_avg_sq_col[i], col)
            r_factor = ops.expand_dims(1.0 / ops.sqrt(row / ops.reduce_mean(row, -1, True)), -1)
            c_factor = 1.0 / ops.sqrt(ops.expand_dims(col, -2))
            update = r_factor * c_factor * grad
        elif self.compression:  # MindSpore's order: v stored in float16, and that float16 value used
            v = ops.cast(ops.cast(self.exp_avg_sq[i], grad.dtype) * beta2t + update * (1.0 - beta2t), mstype.float16)
            assign(self.exp_avg_sq[i], v)
            update = (1.0 / ops.sqrt(v)) * grad
        else:
            v = self.exp_avg_sq[i] * beta2t + update * (1.0 - beta2t)
            assign(self.exp_avg_sq[i], v)
            update = grad / ops.sqrt(v)
        update = update / ops.maximum(_rms(update) / self.clip_threshold, 1.0) * lr
        if self.use_first_moment:
            m = self.exp_avg[i]
            if self.compression:  # MindSpore reads the first moment through float16
                m = ops.cast(ops.cast(m, mstype.float16), m.dtype)
            update = m * self.beta1 + update * (1.0 - self.beta1)
            assign(self.exp_avg[i], update)
        new = param
        if self.weight_decay > 0.0:
            new = new - new * self.weight_decay * lr
        assign(param, new - update)

    # ---- describe() hooks ----------------------------------------------------------------
    def _lr_text(self, text, step):
        """The rate used: relative_step derives it from AdaFactor's own step counter (t = step + 1)."""
        if self.relative_step:
            t = float(np.asarray(self.step.asnumpy()).reshape(-1)[0]) + 1.0
            base = min(1e-6 * t if self.warmup_init else 1e-2, 1.0 / np.sqrt(t))
            text = f"relative_step at t={int(t)} -> {format_float(base)}"
        if self.scale_parameter:
            text += " x max(eps2, RMS(w))"
        return text

    def _describe_decay(self, spec):
        # AdaFactor applies its own weight_decay to every parameter (w -= w * wd * lr), groups aside.
        return self.weight_decay, self.weight_decay > 0.0, ""
