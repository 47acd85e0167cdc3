"""``ProgressBar``: training progress, a tqdm bar on a terminal and MindSpore's plain lines elsewhere.

On a terminal (the output is a TTY) each epoch draws one bar:

    Epoch 1/3: 120/469 |#####     | 00:04<00:11, loss=0.3412, lr=0.01, scale=65536

step/total, the elapsed time, an ETA computed from the steps after the epoch's second one (a new network's
first step runs on the reference executor while its kernels compile, and the second waits for them, which
would skew the rate), the loss of the last step, the learning rate
and, when training with a loss-scaling cell (``(loss, overflow, scale)`` outputs), the loss scale.

Off a terminal (CI, a log file, a pipe) there is no bar: it prints MindSpore's lines, LossMonitor's
``epoch: 1 step: 47, loss is 0.3412...`` every ``per_print_times`` steps of an epoch (by default about
ten per epoch, and the last step), TimeMonitor's ``Train epoch time: ... ms, per step time: ... ms`` at
each epoch end, and LossMonitor's ``Eval result: epoch 1, metrics: {...}`` after ``Model.fit``'s evaluations.
"""

import shutil
import sys
import time

import numpy as np

from ..graph.tensor import Tensor
from .callbacks import Callback, _check_int, _handle_loss, _is_loss_scale_output, _loss_value

try:  # tqdm is a core dependency; without it the plain lines are printed even on a terminal
    from tqdm import tqdm as _tqdm
except ImportError:  # pragma: no cover
    _tqdm = None


def _fmt_loss(value):
    if value is None:
        return "?"
    return f"{value:.4e}" if value != 0 and abs(value) < 1e-3 else f"{value:.4f}"


def _fmt_time(seconds):
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


if _tqdm is not None:
    class _Bar(_tqdm):
        """tqdm with an ``{eta}`` field the callback computes (the first step left out)."""

        eta_text = "?"

        @property
        def format_dict(self):
            d = super().format_dict
            d["eta"] = self.eta_text
            return d


class ProgressBar(Callback):
    """``ProgressBar(per_print_times=None, file=None, leave=True, dynamic=None)``.

    ``dynamic``: draw the bar (True), print plain lines (False), or decide from ``file.isatty()`` (None).
    ``file``: where to write (default: sys.stdout at the start of training). ``leave``: keep each epoch's
    finished bar on screen. ``per_print_times``: for the plain lines, print every that many steps of an
    epoch (None: about ten lines per epoch; 0: only the epoch-end lines)."""

    def __init__(self, per_print_times=None, file=None, leave=True, dynamic=None):
        super().__init__()
        if per_print_times is not None:
            _check_int(per_print_times, "per_print_times", "ProgressBar", positive=False)
        for name, value in (("leave", leave), ("dynamic", dynamic)):
            if value is not None and not isinstance(value, bool):
                raise TypeError(f"For 'ProgressBar', the argument '{name}' must be bool, but got "
                                f"{type(value).__name__}")
        self.per_print_times = per_print_times
        self.file = file
        self.leave = leave
        self.dynamic = dynamic
        self._bar = None
        self._out = None
        self._is_bar = False
        self._lr_shown = None

    # ---- what is shown --------------------------------------------------------------------------
    @staticmethod
    def _read_lr(optimizer):
        """The learning rate as a float (the first of group rates), cheaply for a fixed rate."""
        if optimizer is None:
            return None
        lr = getattr(optimizer, "learning_rate", None)
        if lr is not None and isinstance(lr, Tensor) and not getattr(optimizer, "dynamic_lr", False) \
                and not getattr(optimizer, "is_group_lr", False):
            return float(np.asarray(lr.asnumpy()).reshape(-1)[0])
        if hasattr(optimizer, "get_lr"):
            lr = optimizer.get_lr()
            lr = lr[0] if isinstance(lr, (tuple, list)) else lr
            return float(np.mean(lr.asnumpy()))
        return None

    def _postfix(self, cb_params):
        outputs = cb_params.get("net_outputs")
        parts = [f"loss={_fmt_loss(_loss_value(outputs))}"]
        if self._lr_shown is not None:
            parts.append(f"lr={self._lr_shown:.4g}")
        if _is_loss_scale_output(outputs):
            scale = outputs[2]
            scale = float(np.mean(scale.asnumpy())) if isinstance(scale, Tensor) else scale
            parts.append(f"scale={scale:g}")
        metrics = cb_params.get("metrics")
        if metrics:
            parts.extend(f"{k}={_fmt_loss(float(v)) if np.ndim(v) == 0 else v}" for k, v in metrics.items())
        return ", ".join(parts)

    # ---- hooks ----------------------------------------------------------------------------------
    def on_train_begin(self, run_context):
        self._out = self.file if self.file is not None else sys.stdout
        dynamic = self.dynamic
        if dynamic is None:
            isatty = getattr(self._out, "isatty", None)
            dynamic = bool(isatty and isatty())
        self._is_bar = dynamic and _tqdm is not None

    def on_train_epoch_begin(self, run_context):
        cb_params = run_context.original_args()
        self._epoch_start = time.perf_counter()
        self._eta_start = None  # (time, steps) when the epoch's second step ended (the ETA's start)
        self._calls = 0
        self._done = 0
        self._lr_shown = None
        if self._is_bar:
            self._bar = _Bar(total=cb_params.batch_num, desc=f"Epoch {cb_params.cur_epoch_num}/{cb_params.epoch_num}",
                             file=self._out, leave=self.leave, ascii=None, **self._size(),
                             bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}<{eta}{postfix}")

    def _size(self):
        """The terminal's size at the epoch's start (COLUMNS/LINES, the terminal's, else 100x24): tqdm hides
        its bar on a terminal that reports 0 rows (a fresh pseudo-terminal does)."""
        if self._out not in (sys.stdout, sys.__stdout__, sys.stderr, sys.__stderr__):
            return {}
        size = shutil.get_terminal_size((100, 24))
        return {"ncols": size.columns or 100, "nrows": size.lines or 24}

    def on_train_step_begin(self, run_context):
        if self._bar is not None and (self._lr_shown is None or self._bar_due()):
            self._lr_shown = self._read_lr(run_context.original_args().get("optimizer"))

    def _bar_due(self):
        """Whether the bar redraws at the next update (so the learning rate is worth reading)."""
        return time.time() - self._bar.last_print_t >= self._bar.mininterval

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        steps = cb_params.batch_num if cb_params.get("dataset_sink_mode") else 1
        self._done += steps
        now = time.perf_counter()
        self._calls += 1
        if self._eta_start is None and self._calls == 2:
            self._eta_start = (now, self._done)
        if self._bar is not None:
            t0, n0 = self._eta_start or (now, self._done)
            if self._done > n0:
                rate = (now - t0) / (self._done - n0)
                self._bar.eta_text = _fmt_time(rate * max(cb_params.batch_num - self._done, 0))
            self._bar.set_postfix_str(self._postfix(cb_params), refresh=False)
            self._bar.update(steps)
            return
        every = self.per_print_times
        if every is None:
            every = max(1, cb_params.batch_num // 10)
        step_in_epoch = (cb_params.cur_step_num - 1) % cb_params.batch_num + 1
        if every and (step_in_epoch % every == 0 or step_in_epoch == cb_params.batch_num):
            loss = _handle_loss(cb_params.net_outputs)
            print(f"epoch: {cb_params.cur_epoch_num} step: {step_in_epoch}, loss is {loss!s}", file=self._out,
                  flush=True)

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        metrics = cb_params.get("metrics")
        if self._bar is not None:
            self._bar.eta_text = "00:00"
            self._bar.set_postfix_str(self._postfix(cb_params), refresh=False)
            self._bar.close()
            self._bar = None
            return
        epoch_ms = (time.perf_counter() - self._epoch_start) * 1000
        steps = max(self._done, 1)
        print(f"Train epoch time: {epoch_ms:5.3f} ms, per step time: {epoch_ms / steps:5.3f} ms", file=self._out,
              flush=True)
        if metrics:
            print(f"Eval result: epoch {cb_params.cur_epoch_num}, metrics: {metrics!s}", file=self._out, flush=True)

    def on_train_end(self, run_context):
        if self._bar is not None:  # training stopped inside an epoch
            self._bar.close()
            self._bar = None

    def __exit__(self, *err):
        self.on_train_end(None)


__all__ = ["ProgressBar"]
