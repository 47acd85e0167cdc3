"""Gradient transforms: what an optimizer does to each gradient before its update rule.

An optimizer's ``grad_transforms`` is an ordered tuple of ``GradTransform(name, dense, rows)``
entries; ``Optimizer.prepare_gradients`` applies them in order to every gradient, inside the
training graph. Each entry has two forms, called with the gradient, the parameter's ``ParamSpec``
(optim/param_groups.py) and the optimizer running the step (its ``loss_scale`` and
``decay_at(index)``, this step's weight decay of a parameter):

* ``dense(grad, spec, opt) -> Tensor`` for a dense gradient,
* ``rows(grad, spec, opt) -> RowTensor`` for a row-sparse one (``RowTensor``, e.g. an
  ``nn.Embedding`` table's gradient): it transforms the rows present only.

A transform that does not apply to a parameter returns the gradient unchanged and emits no node.
The three transforms below act on each row by itself, so each is written once as
``fn(g, weights, spec, opt)`` and ``rowwise`` makes both forms: the dense form passes the whole
gradient and ``weights() = w``, the row form the gradient's values and ``weights() = w[indices]``
(gathered only when asked for). So, as in MindSpore, weight decay adds ``wd * loss_scale *
w[indices]`` to each row once per occurrence of an index, and centralizing each row then summing
repeated rows equals centralizing the dense gradient.

MindSpore's order (``OPTIMIZER_TRANSFORMS``), for a gradient g of a loss scaled by ``loss_scale``:
  1. ``weight_decay``: g = g + wd * loss_scale * w (the parameters whose spec has ``decay``;
     wd is a weight-decay Cell's value at ``global_step`` where the spec has ``decay_schedule``),
  2. ``grad_centralization``: g = g - mean(g over all axes but 0), only where ``grad_centralization``
     is set, ndim > 1 AND shape[1] % 16 == 0 (``_tensor_apply_grad_centralization`` in MindSpore's
     optimizer.py returns every other gradient unchanged, silently: e.g. a (2, 3, 2, 2) conv weight or a
     (3, 4) dense weight is not centralized). Where it does apply, MindSpore's CPU build raises
     "Unsupported op [Centralization] on CPU"; here it centralizes, as MindSpore on Ascend does,
  3. ``unscale``: g = g / loss_scale (skipped when loss_scale == 1.0).
Optimizers that skip some of them in MindSpore list fewer (AdamWeightDecay and AdaFactor: none;
Lamb: centralization only). The experimental (PyTorch-style) optimizers start with
``maximize`` (g = -g for groups with ``maximize=True``) and then, except AdamW, weight decay.

More steps are more entries. Data parallel's gradient all-reduce is not one: as in MindSpore it runs
in the training cell, before the optimizer is called (``nn.DistributedGradReducer``, nn/distributed.py,
inserted by ``TrainOneStepCell`` in data-parallel mode; the loss-scale cell unscales, then reduces), so
every transform here sees the gradient of the whole global batch.
"""

from collections.abc import Callable
from typing import NamedTuple

from .. import ops
from ..ops.row_tensor import RowTensor


class GradTransform(NamedTuple):
    """One step of the gradient pipeline, in a dense and a row-sparse form."""

    name: str
    dense: Callable  # (grad: Tensor, spec: ParamSpec, opt: Optimizer) -> Tensor
    rows: Callable  # (grad: RowTensor, spec: ParamSpec, opt: Optimizer) -> RowTensor


def rowwise(name, fn):
    """A GradTransform from ``fn(g, weights, spec, opt)`` that acts on each row by itself: dense, ``g``
    is the gradient and ``weights()`` the parameter; row-sparse, ``g`` is the values and ``weights()``
    the parameter's rows at the indices."""

    def dense(grad, spec, opt):
        return fn(grad, lambda: spec.param, spec, opt)

    def rows(grad, spec, opt):
        return grad.with_values(fn(grad.values, lambda: ops.gather(spec.param, grad.indices, 0), spec, opt))

    return GradTransform(name, dense, rows)


def _is_zero(value):
    return isinstance(value, float) and value == 0.0


def _weight_decay(g, weights, spec, opt):
    wd = opt.decay_at(spec.index)
    if _is_zero(wd):
        return g
    return g + weights() * (wd * opt.loss_scale)


def centralizes(spec):
    """Whether MindSpore centralizes this parameter's gradient: requested, rank > 1, shape[1] % 16 == 0."""
    shape = spec.param.shape
    return bool(spec.grad_centralization) and len(shape) > 1 and shape[1] % 16 == 0


def _centralize(g, weights, spec, opt):
    ndim = len(spec.param.shape)
    if not centralizes(spec):
        return g
    return g - ops.reduce_mean(g, tuple(range(1, ndim)), True)


def _unscale(g, weights, spec, opt):
    return g if opt.loss_scale == 1.0 else g / opt.loss_scale


def _maximize(g, weights, spec, opt):
    # experimental (PyTorch-style) optimizers' ``maximize``: ascend the objective, g = -g
    return ops.neg(g) if opt.hyper(spec, "maximize", False) else g


MAXIMIZE = rowwise("maximize", _maximize)
WEIGHT_DECAY = rowwise("weight_decay", _weight_decay)
CENTRALIZE = rowwise("grad_centralization", _centralize)
UNSCALE = rowwise("unscale", _unscale)
OPTIMIZER_TRANSFORMS = (WEIGHT_DECAY, CENTRALIZE, UNSCALE)


def apply(transforms, grad, spec, opt):
    """``grad`` (a Tensor or a RowTensor) after each transform in order."""
    for t in transforms:
        grad = t.rows(grad, spec, opt) if isinstance(grad, RowTensor) else t.dense(grad, spec, opt)
    return grad
