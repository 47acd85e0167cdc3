"""Functional losses (``ops.mse_loss``, ``ops.l1_loss``, ``ops.binary_cross_entropy_with_logits``,
``ops.nll_loss``, ``ops.cross_entropy``) composed from existing ops, so their gradients come from autodiff.
The loss cells of ``nn`` (nn/loss.py) check their arguments and call these."""

import numpy as np

from ..graph.tensor import Tensor
from . import functional as F
from .registry import fail, fail_type

_REDUCTIONS = ("mean", "sum", "none")


def reduce_loss(x, reduction, op_name="loss"):
    """'mean': sum(x) / x.size; 'sum': sum(x); 'none': x unchanged."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"For '{op_name}', the 'reduction' must be in ['mean', 'sum', 'none'], but got {reduction}.")
    if reduction == "mean":
        return F.reduce_mean(x, tuple(range(x.ndim)))
    if reduction == "sum":
        return F.reduce_sum(x, tuple(range(x.ndim)))
    return x


def _check_float(x, op_name):
    if not x.dtype.is_floating:
        fail_type(op_name, f"the 'logits' must be a floating-point Tensor, but got {x.dtype}.")


def mse_loss(input, target, reduction="mean"):  # noqa: A002  (MindSpore's argument names)
    """l = (input - target)^2 elementwise (target broadcast), then reduced."""
    return reduce_loss(F.square(input - target), reduction, "mse_loss")


def l1_loss(input, target, reduction="mean"):  # noqa: A002
    """l = |input - target| elementwise, then reduced."""
    return reduce_loss(F.abs(input - target), reduction, "l1_loss")


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean", *,  # noqa: A002
                                     op_name="binary_cross_entropy_with_logits"):
    """Binary cross entropy on logits x with targets y, per element:
    l = -weight * [pos_weight * y * log(sigmoid(x)) + (1 - y) * log(1 - sigmoid(x))],
    computed stably as weight * [(1 - y) x + (1 + (pos_weight - 1) y) * log(1 + exp(-x))], then reduced.
    ``weight`` and ``pos_weight`` broadcast against the logits (e.g. shape (C,))."""
    name = op_name
    _check_float(input, name)
    if target.shape != input.shape:  # MindSpore's BCEWithLogitsLoss kernel: the same shape
        fail(name, f"the shape of 'labels' should be same as 'logits', but got logits shape {list(input.shape)} "
                   f"and labels shape {list(target.shape)}.")
    target = F.cast(target, input.dtype)
    log_one_plus = F.softplus(-input)  # log(1 + exp(-x)) = -log(sigmoid(x))
    if pos_weight is not None:
        log_one_plus = (target * (F.cast(pos_weight, input.dtype) - 1) + 1) * log_one_plus
    loss = (1 - target) * input + log_one_plus
    if weight is not None:
        loss = loss * F.cast(weight, input.dtype)
    return reduce_loss(loss, reduction, name)


def nll_loss(inputs, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0, *,
             op_name="nll_loss"):
    """Negative log-likelihood of log-probabilities (N, C) or (N, C, d1, ...) at class indices ``target``:
    l_n = -weight[t_n] * inputs[n, t_n] (0 where t_n == ignore_index); 'mean' divides the sum by the sum
    of weight[t_n] over the non-ignored samples."""
    axis = _class_axis(inputs, op_name)
    return _nll_loss(inputs, target, axis, weight, ignore_index, reduction, label_smoothing, op_name)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0, *,  # noqa: A002
                  op_name="cross_entropy"):
    """Cross entropy between logits (C,), (N, C) or (N, C, d1, ...) and either class indices
    (integer target: nll_loss of log_softmax(input), with weight, ignore_index and label smoothing)
    or class probabilities (float target of the input's shape: l_n = -sum_c weight_c * y_nc *
    log_softmax(x)_nc, with y smoothed to y (1 - eps) + eps / C; 'mean' divides by N)."""
    axis = _class_axis(input, op_name)
    logp = F.log_softmax(input, axis)
    if target.dtype.np.kind != "f":
        return _nll_loss(logp, target, axis, weight, ignore_index, reduction, label_smoothing, op_name)
    if target.shape != input.shape:
        fail(op_name, f"probability 'labels' must have the shape of 'logits' {list(input.shape)}, but "
                      f"got {list(target.shape)}.")
    n_classes = input.shape[axis]
    if weight is not None and tuple(weight.shape) != (n_classes,):
        fail(op_name, f"the 'weight' must have shape [{n_classes}] (one weight per class of "
                      f"logits {list(input.shape)}), but got {list(weight.shape)}.")
    target = F.cast(target, input.dtype)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        shape = [1] * input.ndim
        shape[axis] = n_classes
        prod = prod * F.reshape(F.cast(weight, input.dtype), shape)
    if reduction == "mean":
        return -prod.sum() / (input.size / n_classes)
    if reduction == "sum":
        return -prod.sum()
    return -F.reduce_sum(prod, axis)


def _class_axis(logits, cls_name):
    _check_float(logits, cls_name)
    if logits.ndim < 1:
        fail(cls_name, "the 'logits' must have shape (C,), (N, C) or (N, C, d1, ...), but got a 0-D Tensor.")
    return 0 if logits.ndim == 1 else 1


def _nll_loss(logp, target, class_axis, weight, ignore_index, reduction, label_smoothing, cls_name):
    """MindSpore's nll_loss: per element l = -weight[t] * logp[t] (0 where t == ignore_index);
    'mean' divides the sum by the sum of weight[t] over non-ignored elements; label smoothing mixes
    in eps/C * (-sum_c weight[c] * logp[c])."""
    n_classes = logp.shape[class_axis]
    want = tuple(logp.shape[:class_axis]) + tuple(logp.shape[class_axis + 1:])
    if target.dtype.np.kind not in "iu":
        fail_type(cls_name, f"class-index 'labels' must be an integer Tensor, but got {target.dtype}.")
    if tuple(target.shape) != want:
        fail(cls_name, f"the class-index 'labels' must have shape {list(want)} for logits of shape "
                       f"{list(logp.shape)}, but got {list(target.shape)}.")
    if weight is not None and tuple(weight.shape) != (n_classes,):
        fail(cls_name, f"the 'weight' must have shape [{n_classes}] (one weight per class of logits "
                       f"{list(logp.shape)}), but got {list(weight.shape)}.")
    dtype = logp.dtype
    valid = F.not_equal(target, ignore_index)
    safe_t = F.select(valid, target, F.zeros_like(target))  # ignored entries read class 0, then are masked
    safe_t = _checked_labels(safe_t, n_classes, class_axis)
    # Gather logp[o, t, i] from the flattened input (as MindSpore's GatherD): flat index
    # (o * C + t) * inner + i, with o over the axes before the class axis and i over those after.
    outer = int(np.prod(want[:class_axis], dtype=np.int64))
    inner = int(np.prod(want[class_axis:], dtype=np.int64))
    base = (np.arange(outer, dtype=np.int64)[:, None] * (n_classes * inner) + np.arange(inner)[None, :])
    base = Tensor(base.reshape(want).astype(target.dtype.np))
    picked = F.gather(F.reshape(logp, (-1,)), safe_t * inner + base, 0)
    zeros = F.zeros_like(picked)
    if weight is None:
        loss = F.select(valid, -picked, zeros)
        loss_weights = F.cast(valid, dtype)
    else:
        w_t = F.gather(F.cast(weight, dtype), safe_t, 0)
        loss = F.select(valid, -picked * w_t, zeros)
        loss_weights = F.select(valid, w_t, zeros)
    if reduction == "sum":
        loss = loss.sum()
    elif reduction == "mean":
        loss = loss.sum() / loss_weights.sum()
    if label_smoothing == 0:
        return loss
    wl = logp
    if weight is not None:
        shape = [1] * logp.ndim
        shape[class_axis] = n_classes
        wl = logp * F.reshape(F.cast(weight, dtype), shape)
    smooth = F.select(valid, -F.reduce_sum(wl, class_axis), zeros)
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        smooth = smooth.sum() / loss_weights.sum()
    return loss * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _checked_labels(labels, n_classes, class_axis):
    """``labels``, checked against [0, n_classes) when the step runs: a label out of range is a ValueError
    ("a label is out of range [0, num_classes)", the user's line), as in the sparse softmax cross-entropy.

    Gather alone would wrap a negative label to a class from the end (a silent wrong loss) and call a too
    large one an out-of-range *index*. OneHot(check_range=True) makes the check; its rows times the class
    numbers sum back to the labels, so the gathers below read labels that passed it (a data dependency:
    no pass can drop the check). Integer arithmetic, so the labels are exact."""
    np_dtype = labels.dtype.np
    one, zero = Tensor(np.ones((), np_dtype)), Tensor(np.zeros((), np_dtype))
    hot = F.one_hot(labels, n_classes, one, zero, axis=class_axis, check_range=True)
    classes = np.arange(n_classes, dtype=np_dtype).reshape((n_classes,) + (1,) * (labels.ndim - class_axis))
    return F.reduce_sum(hot * Tensor(classes), class_axis)


__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits", "nll_loss", "cross_entropy"]
