"""LR schedulers of ``mindspore.experimental.optim.lr_scheduler`` (PyTorch's, with MindSpore's arithmetic).

A scheduler changes each group's ``lr`` Parameter of an experimental optimizer between steps; the
compiled training step reads that Parameter, so nothing recompiles. As in MindSpore, ``step()`` computes
the new rates from the current ones (the "chainable" forms below) in float32, ``step(epoch)`` uses the
closed form where there is one, and the constructor makes the first ``step()`` (last_epoch -1 -> 0).
``last_epoch`` is a Python int here (a float32 Parameter in MindSpore); ``get_last_lr()`` returns
0-d float32 Tensors, as MindSpore's.

Chainable forms, with e = last_epoch after the increment and lr the current rate:
  StepLR:        lr * gamma when e > 0 and e % step_size == 0
  MultiStepLR:   lr * gamma ** (times e appears in milestones)
  ExponentialLR: lr * gamma (e > 0)
  ConstantLR:    lr * factor at e == 0, lr / factor at e == total_iters
  LinearLR:      lr * start at e == 0; for 0 < e <= T: lr * (1 + (end - start) / (T*start + (e-1)*(end - start)))
  PolynomialLR:  lr * ((1 - e/T) / (1 - (e-1)/T)) ** power for 0 < e <= T
  CosineAnnealingLR: (1 + cos(pi e/T)) / (1 + cos(pi (e-1)/T)) * (lr - eta_min) + eta_min
                 (lr + (base - eta_min)(1 - cos(pi/T))/2 where (e - 1 - T) % 2T == 0; unchanged at e == 0)
  LambdaLR:      base_lr * lambda(e);  MultiplicativeLR: lr * lambda(e) (e > 0)
SequentialLR, ReduceLROnPlateau, CyclicLR and CosineAnnealingWarmRestarts are in lr_scheduler_more.py.
"""

import math
from bisect import bisect_right
from collections import Counter

import numpy as np

from ...graph.tensor import Tensor
from .optimizer import Optimizer

F32 = np.float32


def _f32(x):
    return F32(x)


class LRScheduler:
    """Base: ``LRScheduler(optimizer, last_epoch=-1)``; subclasses define ``get_lr()`` (chainable) and
    optionally ``_get_closed_form_lr()`` (used by ``step(epoch)``)."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int):
            raise TypeError(f"The type of 'last_epoch' should be int, but got {type(last_epoch)}.")
        if last_epoch < -1:
            raise ValueError(f"Invalid last_epoch: {last_epoch}")
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _f32(group["lr"].asnumpy()))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an "
                                   "optimizer")
        self.base_lrs = [_f32(group["initial_lr"]) for group in optimizer.param_groups]
        self.optimizer = optimizer
        self._last_lr = list(optimizer.lrs)  # the optimizer's lr Parameters themselves
        self.groups_num = len(optimizer.param_groups)
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        raise NotImplementedError

    def _current(self):
        """Each group's rate now, as float32."""
        return [_f32(p.asnumpy()) for p in self._last_lr]

    def get_last_lr(self):
        """The rates the last step set: one 0-d float32 Tensor per group."""
        return [Tensor(p.asnumpy().copy()) for p in self._last_lr]

    def step(self, epoch=None):
        """Advance one epoch (or jump to ``epoch``) and write the new rates into the optimizer."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = int(epoch)
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for param, value in zip(self._last_lr, values):
            param.set_data(np.asarray(value, dtype=np.float32).reshape(()))
        return True

    def _same(self):
        return [lr * F32(1.0) for lr in self._current()]


def _check_int(name, cls, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"For '{cls}', the '{name}' must be int, but got {type(value)}.")


def _check_float(name, cls, value):
    if not isinstance(value, float):
        raise TypeError(f"For '{cls}', the '{name}' must be float, but got {type(value)}.")


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_int("step_size", "StepLR", step_size)
        _check_float("gamma", "StepLR", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._same()
        return [lr * F32(self.gamma) for lr in self._current()]

    def _get_closed_form_lr(self):
        return [b * F32(self.gamma ** (self.last_epoch // self.step_size)) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each milestone (twice for a milestone listed twice)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        if not isinstance(milestones, list):
            raise TypeError(f"The type of 'milestones' should be list, but got {type(milestones)}.")
        for m in milestones:
            if not isinstance(m, int):
                raise TypeError("For 'MultiStepLR', elements of the 'milestones' must be type of int, but got one "
                                f"element of 'milestones' type: {type(m)}.")
        if isinstance(gamma, bool) or not isinstance(gamma, (float, int)):
            raise TypeError(f"The type of 'gamma' should be float or int, but got {type(gamma)}.")
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        times = self.milestones.get(self.last_epoch, 0)
        if times == 0:
            return self._current()
        return [lr * F32(self.gamma ** times) for lr in self._current()]

    def _get_closed_form_lr(self):
        # PyTorch's closed form (MindSpore's refers to a missing attribute and raises)
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [b * F32(self.gamma ** passed) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _check_float("gamma", "ExponentialLR", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return self._same()
        return [lr * F32(self.gamma) for lr in self._current()]

    def _get_closed_form_lr(self):
        return [b * F32(self.gamma ** self.last_epoch) for b in self.base_lrs]


class ConstantLR(LRScheduler):
    """The rate times ``factor`` until epoch ``total_iters``, then the base rate."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        if not isinstance(total_iters, int):
            raise TypeError(f"For 'ConstantLR', the type of total_iters must be int, but got {type(total_iters)}.")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * F32(self.factor) for lr in self._current()]
        if self.last_epoch != self.total_iters:
            return self._same()
        return [lr / F32(self.factor) for lr in self._current()]

    def _get_closed_form_lr(self):
        on = self.last_epoch >= self.total_iters
        return [b * F32(self.factor + on * (1 - self.factor)) for b in self.base_lrs]


class LinearLR(LRScheduler):
    """The factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` epochs."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less than or equal "
                             "to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        if not isinstance(total_iters, int):
            raise TypeError(f"For 'LinearLR', the type of total_iters must be int, but got {type(total_iters)}.")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, s, d = self.last_epoch, self.start_factor, self.end_factor - self.start_factor
        if e == 0:
            return [lr * F32(s) for lr in self._current()]
        if e > self.total_iters:
            return self._same()
        # float32 arithmetic with the epoch as float32, as MindSpore's (its last_epoch is a float32 Parameter)
        factor = 1.0 + d / (self.total_iters * s + (F32(e) - 1) * d)
        return [lr * factor for lr in self._current()]

    def _get_closed_form_lr(self):
        frac = min(self.total_iters, self.last_epoch) / self.total_iters
        return [b * F32(self.start_factor + (self.end_factor - self.start_factor) * frac) for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """The rate decays as (1 - e/total_iters) ** power until ``total_iters``."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        _check_float("power", "PolynomialLR", power)
        if power < 0:
            raise ValueError(f"For 'PolynomialLR', the 'power' must be >= 0, but got {power}.")
        if not isinstance(total_iters, int):
            raise TypeError(f"For 'PolynomialLR', the type of total_iters must be int, but got {type(total_iters)}.")
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, t = self.last_epoch, self.total_iters
        if e == 0 or e > t:
            return self._same()
        e = F32(e)
        factor = ((1.0 - e / t) / (1.0 - (e - 1) / t)) ** self.power
        return [lr * factor for lr in self._current()]

    def _get_closed_form_lr(self):
        return [b * F32((1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power)
                for b in self.base_lrs]


def _lambdas(optimizer, lr_lambda):
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        return list(lr_lambda)
    return [lr_lambda] * n


class LambdaLR(LRScheduler):
    """rate = base_lr * lr_lambda(epoch) (one lambda, or one per group); the epoch is passed as float32."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [b * F32(fn(F32(self.last_epoch))) for fn, b in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(LRScheduler):
    """rate = rate * lr_lambda(epoch) for epochs > 0."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch > 0:
            return [lr * F32(fn(F32(self.last_epoch))) for fn, lr in zip(self.lr_lambdas, self._current())]
        return self._same()


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base rate to ``eta_min`` over ``T_max`` epochs (and back, periodically)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):  # noqa: N803 (MindSpore's name)
        if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
            raise TypeError(f"For 'CosineAnnealingLR', the 'eta_min' must be float or int, but got {type(eta_min)}.")
        _check_int("T_max", "CosineAnnealingLR", T_max)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, t, eta = F32(self.last_epoch), self.T_max, F32(self.eta_min)
        pi = F32(math.pi)
        if self.last_epoch == 0:
            return self._same()
        if (self.last_epoch - 1 - t) % (2 * t) == 0:
            bump = (F32(1) - np.cos(pi / F32(t))) / F32(2)
            return [lr + (b - eta) * bump for b, lr in zip(self.base_lrs, self._current())]
        ratio = (F32(1) + np.cos(pi * e / F32(t))) / (F32(1) + np.cos(pi * (e - F32(1)) / F32(t)))
        return [ratio * (lr - eta) + eta for lr in self._current()]

    def _get_closed_form_lr(self):
        e, eta = F32(self.last_epoch), F32(self.eta_min)
        cos = np.cos(F32(math.pi) * e / F32(self.T_max))
        return [eta + (b - eta) * (F32(1) + cos) / F32(2) for b in self.base_lrs]


from .lr_scheduler_more import (  # noqa: E402 (they subclass the classes above)
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ReduceLROnPlateau,
    SequentialLR,
)

__all__ = ["StepLR", "LinearLR", "LRScheduler", "ExponentialLR", "PolynomialLR", "MultiplicativeLR", "ConstantLR",
           "MultiStepLR", "LambdaLR", "SequentialLR", "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts",
           "CosineAnnealingLR"]
