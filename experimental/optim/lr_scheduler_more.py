"""The stateful LR schedulers of ``mindspore.experimental.optim.lr_scheduler`` (float32, as MindSpore's):

  SequentialLR: runs ``schedulers[i]`` between ``milestones[i-1]`` and ``milestones[i]``; at a milestone
      the next scheduler starts with ``step(0)`` (its closed form at epoch 0).
  ReduceLROnPlateau: ``step(metric)``; after more than ``patience`` epochs without improvement
      (rel: metric < best * (1 - threshold) for 'min'; abs: metric < best - threshold), the rate becomes
      max(lr * factor, min_lr) where that lowers it by more than ``eps``; then ``cooldown`` epochs pass.
  CyclicLR: cycle = floor(1 + e / (up + down)), x = 1 + e / (up + down) - cycle,
      scale = x / r if x <= r else (x - 1) / (r - 1) with r = up / (up + down),
      lr = base + (max - base) * scale * scale_fn(cycle or e)  (triangular: 1, triangular2: 1 / 2^(cycle-1),
      exp_range: gamma^e); no momentum cycling (MindSpore has none).
  CosineAnnealingWarmRestarts: lr = eta_min + (base - eta_min) (1 + cos(pi T_cur / T_i)) / 2, T_cur counting
      epochs since the last restart, T_i the current period (T_0, then times T_mult at each restart).
"""

import math
from bisect import bisect_right

import numpy as np

from ...graph.tensor import Tensor
from .lr_scheduler import F32, LRScheduler
from .optimizer import Optimizer


class SequentialLR:
    """``SequentialLR(optimizer, schedulers, milestones, last_epoch=-1)``."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        for i, s in enumerate(schedulers):
            if s.optimizer is not optimizer:
                raise ValueError("Sequential Schedulers expects all schedulers to belong to the same optimizer, but "
                                 f"got scheduler at index {i} is different from the optimizer passed in.")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the "
                             f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                             f"number of milestones {len(milestones)}")
        self._schedulers, self.milestones = schedulers, milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # undo what the schedulers' constructors did
            group["lr"].set_data(np.asarray(group["initial_lr"], np.float32).reshape(()))
        for s in schedulers:
            s.last_epoch -= 1
        schedulers[0].step()
        self._last_lr = schedulers[0]._last_lr

    def step(self):
        self.last_epoch += 1
        idx = bisect_right(self.milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self.milestones[idx - 1] == self.last_epoch:
            scheduler.step(0)
        else:
            scheduler.step()

    def get_last_lr(self):
        return [Tensor(p.asnumpy().copy()) for p in self._last_lr]


class ReduceLROnPlateau:
    """``ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4, threshold_mode='rel',
    cooldown=0, min_lr=0, eps=1e-8)``; call ``step(metric)`` once per epoch."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError("The lr factor should be less than 1.0.")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"Expected an `Optimizer`, but got type {type(optimizer).__name__}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"Expected {n} min_lrs, got {len(min_lr)}")
            self.min_lrs = [F32(v) for v in min_lr]
        else:
            self.min_lrs = [F32(min_lr)] * n
        if mode not in {"min", "max"}:
            raise ValueError(f"`mode` should be 'min' or 'max', but got {mode}.")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError(f"`threshold mode` should be 'rel' or 'abs', but got {threshold_mode}.")
        self.optimizer, self.factor, self.mode, self.patience = optimizer, factor, mode, patience
        self.threshold, self.threshold_mode, self.cooldown, self.eps = threshold, threshold_mode, cooldown, eps
        self.last_epoch = 0
        self.best = F32(math.inf if mode == "min" else -math.inf)
        self.cooldown_counter = 0
        self.wait = 0
        self._last_lr = list(optimizer.lrs)

    def step(self, metrics):
        current = F32(metrics.asnumpy() if isinstance(metrics, Tensor) else metrics)
        self.last_epoch += 1
        if self._is_improvement(current):
            self.best, self.wait = current, 0
        else:
            self.wait += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.wait > self.patience:
            for p, min_lr in zip(self._last_lr, self.min_lrs):
                old = F32(p.asnumpy())
                new = max(old * F32(self.factor), min_lr)
                if old > new + F32(self.eps):
                    p.set_data(np.asarray(new, np.float32).reshape(()))
            self.cooldown_counter, self.wait = self.cooldown, 0
        return True

    def _is_improvement(self, current):
        best = self.best
        if self.mode == "min":
            return current < (best * F32(1.0 - self.threshold) if self.threshold_mode == "rel"
                              else best - F32(self.threshold))
        return current > (best * F32(self.threshold + 1.0) if self.threshold_mode == "rel"
                          else best + F32(self.threshold))

    def get_last_lr(self):
        return [Tensor(p.asnumpy().copy()) for p in self._last_lr]


def _per_group(optimizer, value, name):
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"Expected {n} values for {name}, got {len(value)}")
        return list(value)
    return [value] * n


class CyclicLR(LRScheduler):
    """``CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode='triangular',
    gamma=1.0, scale_fn=None, scale_mode='cycle', last_epoch=-1)``."""

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", last_epoch=-1):
        base_lrs = _per_group(optimizer, base_lr, "base_lr")
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"].set_data(np.asarray(lr, np.float32).reshape(()))
        self.max_lrs = [F32(v) for v in _per_group(optimizer, max_lr, "max_lr")]
        up = float(step_size_up)
        down = up if step_size_down is None else float(step_size_down)
        self.total_step_size = up + down
        self.step_up_ratio = up / self.total_step_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode, self.gamma, self._scale_fn_custom = mode, gamma, scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else ("iterations" if mode == "exp_range" else "cycle")
        super().__init__(optimizer, last_epoch)
        self.base_lrs = [F32(v) for v in base_lrs]

    def scale_fn(self, x):
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        e = F32(self.last_epoch)
        cycle = np.floor(1 + e / self.total_step_size)
        x = 1.0 + e / self.total_step_size - cycle
        scale = x / self.step_up_ratio if x <= self.step_up_ratio else (x - 1) / (self.step_up_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else e
        return [b + (m - b) * scale * F32(self.scale_fn(at)) for b, m in zip(self.base_lrs, self.max_lrs)]


class CosineAnnealingWarmRestarts(LRScheduler):
    """``CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0, last_epoch=-1)``."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0, last_epoch=-1):  # noqa: N803 (MindSpore's names)
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"T_0 should be an integer and equal or greater than 0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"T_mult should be an integer and equal or greater than 1, but got {T_mult}")
        if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
            raise TypeError(f"The type of 'eta_min' should be float or int, but got {type(eta_min)}.")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, F32(T_0), T_mult, F32(eta_min)
        self.T_cur = F32(last_epoch)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cos = np.cos(F32(math.pi) * self.T_cur / self.T_i)
        return [self.eta_min + (b - self.eta_min) * (1 + cos) / 2 for b in self.base_lrs]

    def step(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur - self.T_i, self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"epoch should be a non-negative integer, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = F32(epoch % self.T_0)
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = F32(epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1))
                    self.T_i = F32(self.T_0 * self.T_mult ** n)
            else:
                self.T_i, self.T_cur = F32(self.T_0), F32(epoch)
        self.last_epoch = math.floor(epoch)
        for p, value in zip(self._last_lr, self.get_lr()):
            p.set_data(np.asarray(value, np.float32).reshape(()))
        return True
