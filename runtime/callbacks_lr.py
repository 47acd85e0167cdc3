"""Callbacks that change the learning rate or stop training, with ``mindspore.train``'s names and
semantics: LearningRateScheduler, EarlyStopping, ReduceLROnPlateau.

A new learning rate is written into the optimizer's learning-rate Parameter with ``set_data`` (same
shape and dtype: copied into the value the compiled step reads), so it never recompiles the step.
"""

import logging
import math
import numbers

import numpy as np

from ..graph.parameter import Parameter
from .callbacks import Callback, _handle_loss

logger = logging.getLogger("minispore")

# MindSpore's list: with mode='auto' these monitors improve by decreasing, every other one by increasing
_SMALLER_BETTER = ("hausdorff_distance", "mae", "mse", "loss", "perplexity", "mean_surface_distance",
                   "root_mean_square_distance", "eval_loss")


def _lr_parameter(optimizer, who):
    """The optimizer's one learning-rate Parameter (a fixed rate): dynamic and group rates are refused."""
    lr = getattr(optimizer, "learning_rate", None)
    if optimizer is None or not isinstance(lr, Parameter) or getattr(optimizer, "dynamic_lr", False) \
            or getattr(optimizer, "is_group_lr", False) or lr.shape not in ((), (1,)):
        raise ValueError(f"{who} does not support dynamic learning rate and group learning rate now.")
    return lr


def _set_lr(param, value):
    """Write ``value`` into the learning-rate Parameter in place (its shape and dtype kept: no recompile)."""
    param.set_data(np.full(param.shape, value, dtype=param.dtype.np))


def _check_int(value, name, cls):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"For '{cls}', the argument '{name}' must be int, but got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"For '{cls}', the argument '{name}' must be >= 0, but got {value}")
    return int(value)


def _check_type(value, name, types, cls):
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        names = " or ".join(t.__name__ for t in types)
        raise TypeError(f"For '{cls}', the argument '{name}' must be {names}, but got {type(value).__name__}")
    return value


class LearningRateScheduler(Callback):
    """``LearningRateScheduler(learning_rate_function)``: after every step, ``learning_rate_function(lr,
    cur_step_num)`` gives the rate of the next steps (``lr`` the current one, a float); a new value is
    written into the optimizer's learning-rate Parameter (no recompile). A fixed learning rate only."""

    def __init__(self, learning_rate_function):
        super().__init__()
        if not callable(learning_rate_function):
            raise TypeError(f"For 'LearningRateScheduler', the argument 'learning_rate_function' must be callable, "
                            f"but got {type(learning_rate_function).__name__}")
        self.learning_rate_function = learning_rate_function

    def step_end(self, run_context):
        cb_params = run_context.original_args()
        if cb_params.get("mode", "train") != "train":
            return
        param = _lr_parameter(cb_params.get("optimizer"), "LearningRateScheduler")
        lr = float(np.asarray(param.asnumpy()).reshape(-1)[0])
        new_lr = self.learning_rate_function(lr, cb_params.cur_step_num)
        if not math.isclose(lr, new_lr, rel_tol=1e-10):
            _set_lr(param, new_lr)
            logger.info("At step %d, learning_rate change to %s", cb_params.cur_step_num, new_lr)


class _Monitored(Callback):
    """What EarlyStopping and ReduceLROnPlateau share: the monitored value at epoch end and its direction."""

    _what = ""

    def _setup(self, cls, monitor, min_delta, patience, verbose, mode):
        self.monitor = _check_type(monitor, "monitor", (str,), cls)
        self.min_delta = abs(_check_type(min_delta, "min_delta", (float, int), cls))
        self.patience = _check_int(patience, "patience", cls)
        self.verbose = _check_type(verbose, "verbose", (bool,), cls)
        self.mode = _check_type(mode, "mode", (str,), cls)
        if self.mode not in ("auto", "min", "max"):
            raise ValueError(f"mode should be 'auto', 'min' or 'max', but got {self.mode}.")
        self._cls = cls
        self.wait = 0
        self.best = self._worst()

    def _lower_is_better(self):
        return self.mode == "min" or (self.mode == "auto" and self.monitor in _SMALLER_BETTER)

    def _worst(self):
        return np.inf if self._lower_is_better() else -np.inf

    def is_improvement(self, a, b):
        if self._lower_is_better():
            return bool(np.less(a, b - self.min_delta))
        return bool(np.greater(a, b + self.min_delta))

    def _get_monitor_value(self, cb_params):
        """'loss': the training loss of the epoch's last step; otherwise a key of ``cb_params.eval_results``
        (``Model.fit``'s metrics and ``eval_loss``). None (with a warning) when it is not there."""
        candidates = {}
        if self.monitor == "loss":
            value = _handle_loss(cb_params.get("net_outputs"))
            if hasattr(value, "asnumpy"):
                value = float(np.mean(value.asnumpy()))
        else:
            candidates = cb_params.get("eval_results") or {}
            value = candidates.get(self.monitor)
        if value is None:
            logger.warning("%s is conditioned on %s, which is not available. Available choices are: %s", self._what,
                           self.monitor, sorted({"loss", *candidates}))
            return None
        value = np.asarray(value)
        if value.shape != ():
            raise ValueError(f"{self._cls} only supports scalar monitor now.")
        return value


class EarlyStopping(_Monitored):
    """``EarlyStopping(monitor='eval_loss', min_delta=0, patience=0, verbose=False, mode='auto', baseline=None,
    restore_best_weights=False)``: at each epoch end, stop training (``run_context.request_stop()``) once the
    monitored value has not improved by more than ``min_delta`` for ``patience`` epochs. ``monitor``: 'loss'
    (the training loss) or, with ``Model.fit``'s validation, 'eval_loss' or a metric name. ``restore_best_weights``
    writes the best epoch's parameter values back when it stops."""

    _what = "Early stopping"

    def __init__(self, monitor="eval_loss", min_delta=0, patience=0, verbose=False, mode="auto", baseline=None,
                 restore_best_weights=False):
        super().__init__()
        self._setup("EarlyStopping", monitor, min_delta, patience, verbose, mode)
        self.baseline = None if baseline is None else float(_check_type(baseline, "baseline", (float, int),
                                                                        "EarlyStopping"))
        self.restore_best_weights = _check_type(restore_best_weights, "restore_best_weights", (bool,),
                                                "EarlyStopping")
        self.stopped_epoch = 0
        self.best_weights_param_dict = None

    def on_train_begin(self, run_context):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._worst()
        self.best_weights_param_dict = None

    @staticmethod
    def _snapshot(network):
        return {name: p.asnumpy().copy() for name, p in network.parameters_and_names()}

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        current = self._get_monitor_value(cb_params)
        if current is None:
            return
        network = cb_params.train_network
        if self.restore_best_weights and self.best_weights_param_dict is None:
            self.best_weights_param_dict = self._snapshot(network)
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            if self.restore_best_weights:
                self.best_weights_param_dict = self._snapshot(network)
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
        if self.wait >= self.patience:
            self.stopped_epoch = cb_params.cur_epoch_num
            run_context.request_stop()
            if self.restore_best_weights and self.best_weights_param_dict is not None:
                if self.verbose:
                    print("Restoring model weights from the end of the best epoch.")
                for name, p in network.parameters_and_names():
                    if name in self.best_weights_param_dict:
                        p.set_data(self.best_weights_param_dict[name])

    def on_train_end(self, run_context):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch:05d}: early stopping")


class ReduceLROnPlateau(_Monitored):
    """``ReduceLROnPlateau(monitor='eval_loss', factor=0.1, patience=10, verbose=False, mode='auto',
    min_delta=1e-4, cooldown=0, min_lr=0)``: at each epoch end, when the monitored value has not improved for
    ``patience`` epochs, multiply the learning rate by ``factor`` (not below ``min_lr``), then wait ``cooldown``
    epochs. The rate is written into the optimizer's learning-rate Parameter (no recompile); a dynamic or
    group learning rate raises ValueError, as in MindSpore."""

    _what = "Learning rate reduction"

    def __init__(self, monitor="eval_loss", factor=0.1, patience=10, verbose=False, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0):
        super().__init__()
        self._setup("ReduceLROnPlateau", monitor, min_delta, patience, verbose, mode)
        factor = _check_type(factor, "factor", (float, int), "ReduceLROnPlateau")
        if not 0.0 < factor < 1.0:
            raise ValueError(f"For 'ReduceLROnPlateau', the argument 'factor' must be in range of (0.0, 1.0), but "
                             f"got {factor}.")
        self.factor = float(factor)
        self.cooldown = _check_int(cooldown, "cooldown", "ReduceLROnPlateau")
        self.min_lr = _check_type(min_lr, "min_lr", (float, int), "ReduceLROnPlateau")
        self.cooldown_counter = 0

    def on_train_begin(self, run_context):
        self.cooldown_counter = 0
        self.wait = 0
        self.best = self._worst()

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        param = _lr_parameter(cb_params.get("optimizer"), "ReduceLROnPlateau")
        current = self._get_monitor_value(cb_params)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                cur_lr = np.asarray(param.asnumpy()).reshape(-1)[0]  # float32, printed as MindSpore's Tensor
                if cur_lr > self.min_lr:
                    new_lr = max(cur_lr * cur_lr.dtype.type(self.factor), self.min_lr)
                    _set_lr(param, new_lr)
                    if self.verbose:
                        print(f"Epoch {cb_params.cur_epoch_num:05d}: ReduceLROnPlateau reducing learning rate to "
                              f"{new_lr!s}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0


__all__ = ["LearningRateScheduler", "EarlyStopping", "ReduceLROnPlateau"]
