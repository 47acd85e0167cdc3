"""Loss cells with MindSpore's names, defaults and numerics, composed from ops (so their gradients
come from autodiff): LossBase, MSELoss, L1Loss, MAELoss, SmoothL1Loss, SoftmaxCrossEntropyWithLogits,
BCEWithLogitsLoss, NLLLoss and CrossEntropyLoss."""

import numpy as np

from ..graph import dtype as mstype
from ..graph import trace
from ..graph.cell import Cell
from ..graph.parameter import Parameter
from ..graph.tensor import Tensor
from ..ops import functional as F
from ..ops.elementwise_base import broadcast_shapes
from ..ops.loss_ops import binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss
from ..ops.registry import OpError, OpTypeError, fail, fail_type

_REDUCTIONS = ("mean", "sum", "none")


def _where():
    return trace.format_location(trace.user_source())


def _check_is_tensor(arg, value, cls_name):
    if not isinstance(value, Tensor):
        fail_type(cls_name, f"the '{arg}' should be a Tensor, but got {type(value).__name__}.")


def _check_float(arg, value, cls_name):
    if not value.dtype.is_floating:
        fail_type(cls_name, f"the '{arg}' must be a floating-point Tensor, but got {value.dtype}.")


def _check_broadcast(logits, labels, cls_name):
    """The elementwise losses broadcast 'labels' against 'logits' (MindSpore's implicit broadcast); shapes that
    cannot broadcast are this loss's error, not its inner Sub's."""
    try:
        broadcast_shapes(cls_name, [logits.shape, labels.shape])
    except ValueError:
        fail(cls_name, f"the shapes of 'logits' {list(logits.shape)} and 'labels' {list(labels.shape)} cannot "
                       f"broadcast.")


def _check_weight(arg, value, cls_name, ndim=None):
    if value is None:
        return None
    if isinstance(value, Parameter):
        raise TypeError(f"For '{cls_name}', the '{arg}' can not be a Parameter.")
    if not isinstance(value, Tensor):
        raise TypeError(f"For '{cls_name}', the '{arg}' must be a Tensor or None, but got {type(value).__name__}.")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"For '{cls_name}', the '{arg}' must be a {ndim}-D Tensor, but got shape {value.shape}.")
    return value


def _check_int(arg, value, cls_name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"For '{cls_name}', the '{arg}' must be an int, but got {type(value).__name__}.")
    return int(value)


def _const(value, dtype):
    return Tensor(np.asarray(value, dtype=mstype.to_np(dtype)))


class LossBase(Cell):
    """Base class of losses. ``reduction`` is 'mean' (average over all elements), 'sum' or 'none';
    ``get_loss(x, weights=1.0)`` applies the weights and the reduction, computing in float32."""

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"For '{type(self).__name__}', the 'reduction' must be in ['mean', 'sum', 'none'], "
                             f"but got {reduction}.")
        self.reduction = reduction
        self.average = reduction == "mean"
        self.reduce = reduction != "none"

    @property
    def cls_name(self):
        return type(self).__name__

    def get_axis(self, x):
        """All axes of ``x``."""
        return tuple(range(x.ndim))

    def get_loss(self, x, weights=1.0):
        """``weights * x`` reduced by ``reduction`` (mean or sum over every axis, or unchanged),
        computed in float32 and cast back to x's dtype."""
        input_dtype = x.dtype
        x = F.cast(x, mstype.float32)
        if not (isinstance(weights, (int, float)) and weights == 1):
            x = F.cast(weights, mstype.float32) * x
        if self.reduce and self.average:
            x = F.reduce_mean(x, self.get_axis(x))
        elif self.reduce:
            x = F.reduce_sum(x, self.get_axis(x))
        return F.cast(x, input_dtype)

    def construct(self, logits, labels):
        raise NotImplementedError(f"{self.cls_name} must define construct()")


class MSELoss(LossBase):
    """loss = (logits - labels)^2 elementwise, then reduced (default 'mean')."""

    def construct(self, logits, labels):
        _check_is_tensor("logits", logits, self.cls_name)
        _check_is_tensor("labels", labels, self.cls_name)
        _check_broadcast(logits, labels, self.cls_name)
        return self.get_loss(mse_loss(logits, labels, "none"))


class L1Loss(LossBase):
    """loss = |logits - labels| elementwise, then reduced (default 'mean'). The gradient where
    logits == labels is 0 (sign(0) = 0)."""

    def construct(self, logits, labels):
        _check_is_tensor("logits", logits, self.cls_name)
        _check_is_tensor("labels", labels, self.cls_name)
        _check_broadcast(logits, labels, self.cls_name)
        return self.get_loss(l1_loss(logits, labels, "none"))


class MAELoss(L1Loss):
    """MindSpore's MAELoss: the mean absolute error, loss = |logits - labels| elementwise, then reduced
    (default 'mean'); the same computation as L1Loss."""


class SmoothL1Loss(LossBase):
    """loss = 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = logits - labels);
    defaults beta=1.0, reduction='none'."""

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__(reduction)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)):
            raise TypeError(f"For '{self.cls_name}', the 'beta' must be a float, but got {type(beta).__name__}.")
        if beta <= 0:
            raise ValueError(f"For '{self.cls_name}', the 'beta' must be greater than 0, but got {beta}.")
        self.beta = float(beta)

    def construct(self, logits, labels):
        _check_is_tensor("logits", logits, self.cls_name)
        _check_is_tensor("labels", labels, self.cls_name)
        if logits.shape != labels.shape:
            fail(self.cls_name, f"the shape of 'logits' and 'labels' must be the same, but got "
                                f"{list(logits.shape)} and {list(labels.shape)}.")
        # MindSpore's SmoothL1Loss kernel: float inputs of one dtype (an int loss would be computed silently)
        _check_float("logits", logits, self.cls_name)
        if labels.dtype != logits.dtype:
            fail_type(self.cls_name, f"the type of 'labels' should be same as 'logits', but got logits with type "
                                     f"{logits.dtype} and labels with type {labels.dtype}.")
        d = logits - labels
        ad = F.abs(d)
        loss = F.select(ad < self.beta, F.square(d) * (0.5 / self.beta), ad - 0.5 * self.beta)
        return self.get_loss(loss)


class SoftmaxCrossEntropyWithLogits(LossBase):
    """Per sample: loss = -sum_c labels_c * log_softmax(logits)_c over the last axis (shape (N,) for
    (N, C) logits), then reduced (default reduction='none'). ``sparse=True`` takes class indices and
    one-hot encodes them."""

    def __init__(self, sparse=False, reduction="none"):
        super().__init__(reduction)
        if not isinstance(sparse, bool):
            raise TypeError(f"For '{self.cls_name}', the 'sparse' must be a bool, but got {type(sparse).__name__}.")
        self.sparse = sparse

    def construct(self, logits, labels):
        _check_is_tensor("logits", logits, self.cls_name)
        _check_is_tensor("labels", labels, self.cls_name)
        _check_float("logits", logits, self.cls_name)
        if logits.ndim < 1:
            fail(self.cls_name, "the 'logits' must have a class axis, but got a 0-D Tensor.")
        if self.sparse:
            prefix = f"For '{self.cls_name}' with sparse=True, "
            if labels.dtype.np.kind not in "iu":
                raise OpTypeError(f"{prefix}'labels' must be integer class indices, but got {labels.dtype}."
                                  + _where())
            if labels.shape != logits.shape[:-1]:
                raise OpError(f"{prefix}'labels' must have shape {list(logits.shape[:-1])} (the shape of 'logits' "
                              f"{list(logits.shape)} without its class axis), but got {list(labels.shape)}." + _where())
            labels = F.one_hot(labels, logits.shape[-1], _const(1, logits.dtype), _const(0, logits.dtype),
                               check_range=True)
        elif labels.shape != logits.shape:
            fail(self.cls_name, f"'labels' must have the shape of 'logits' {list(logits.shape)}, but got "
                                f"{list(labels.shape)}.")
        labels = F.cast(labels, logits.dtype)
        x = -F.reduce_sum(labels * F.log_softmax(logits, -1), -1)
        return self.get_loss(x)


class BCEWithLogitsLoss(LossBase):
    """Binary cross entropy on logits x with targets y, per element:
    loss = -weight * [pos_weight * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))],
    computed stably as weight * [(1 - y) x + (1 + (pos_weight - 1) y) * log(1 + exp(-x))].
    ``weight`` and ``pos_weight`` broadcast against the logits (e.g. shape (C,))."""

    def __init__(self, reduction="mean", weight=None, pos_weight=None):
        super().__init__(reduction)
        self.weight = _check_weight("weight", weight, self.cls_name)
        self.pos_weight = _check_weight("pos_weight", pos_weight, self.cls_name)

    def construct(self, logits, labels):
        _check_is_tensor("logits", logits, self.cls_name)
        _check_is_tensor("labels", labels, self.cls_name)
        loss = binary_cross_entropy_with_logits(logits, labels, self.weight, self.pos_weight, "none",
                                                op_name=self.cls_name)
        return self.get_loss(loss)


def _check_nll_args(cell, weight, ignore_index):
    cell.weight = _check_weight("weight", weight, cell.cls_name, ndim=1)
    cell.ignore_index = _check_int("ignore_index", ignore_index, cell.cls_name)


class NLLLoss(LossBase):
    """Negative log-likelihood on log-probabilities (N, C) or (N, C, d1, ...) with class indices:
    l_n = -weight[t_n] * logits[n, t_n], 0 where t_n == ignore_index. 'mean' divides the sum by the
    sum of weight[t_n] over the non-ignored samples."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        _check_nll_args(self, weight, ignore_index)

    def construct(self, logits, labels):
        _check_is_tensor("logits", logits, self.cls_name)
        _check_is_tensor("labels", labels, self.cls_name)
        return nll_loss(logits, labels, self.weight, self.ignore_index, self.reduction, op_name=self.cls_name)


class CrossEntropyLoss(LossBase):
    """Cross entropy between logits (C,), (N, C) or (N, C, d1, ...) and either class indices
    (integer labels: NLLLoss of log_softmax(logits), with weight, ignore_index and label smoothing)
    or class probabilities (float labels of the logits' shape: l_n = -sum_c weight_c * y_nc *
    log_softmax(x)_nc, with y smoothed to y (1 - eps) + eps / C; 'mean' divides by N)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        _check_nll_args(self, weight, ignore_index)
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)):
            raise TypeError(f"For '{self.cls_name}', the 'label_smoothing' must be a float, but got "
                            f"{type(label_smoothing).__name__}.")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"For '{self.cls_name}', the 'label_smoothing' must be in range [0.0, 1.0], but got "
                             f"{label_smoothing}.")
        self.label_smoothing = float(label_smoothing)

    def construct(self, logits, labels):
        _check_is_tensor("logits", logits, self.cls_name)
        _check_is_tensor("labels", labels, self.cls_name)
        return cross_entropy(logits, labels, self.weight, self.ignore_index, self.reduction, self.label_smoothing,
                             op_name=self.cls_name)


__all__ = ["LossBase", "MSELoss", "L1Loss", "MAELoss", "SmoothL1Loss", "SoftmaxCrossEntropyWithLogits",
           "BCEWithLogitsLoss", "NLLLoss", "CrossEntropyLoss"]
